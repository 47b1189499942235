import { StrictMode, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App as AntApp, ConfigProvider } from 'antd';
import viVN from 'antd/locale/vi_VN';
import enUS from 'antd/locale/en_US';
import { api, PASSWORD_CHANGE_REQUIRED, setCsrf, SIGNED_OUT, type SessionInfo, type User } from './api';
import { dictionaries, LangContext, savedLang, saveLang, type Lang } from './i18n';
import { Login } from './Login';
import { MailApp } from './MailApp';
import { FirstPasswordChange } from './FirstPasswordChange';
import './app.css';

/** Government red, and text colours that keep a 4.5:1 contrast on white (antd's greys and link blue do not). */
const THEME = {
  token: {
    colorPrimary: '#b3261e',
    colorLink: '#0b57d0',
    colorError: '#c5221f',
    colorTextSecondary: '#5f5f5f',
    colorTextDescription: '#5f5f5f',
    colorTextPlaceholder: '#737373',
    borderRadius: 6,
  },
};

function Root() {
  const [lang, setLangState] = useState<Lang>(savedLang);
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [mustChangePassword, setMustChangePassword] = useState(false);
  const t = dictionaries[lang];
  const langState = useMemo(() => ({ lang, t, setLang: (l: Lang) => { saveLang(l); setLangState(l); } }), [lang, t]);

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = t.appTitle;
  }, [lang, t]);
  useEffect(() => {
    api<SessionInfo>('GET', '/session').then(
      (s) => {
        setCsrf(s.csrfToken);
        setMustChangePassword(s.mustChangePassword === true);
        setUser(s.user);
      },
      () => setUser(null),
    );
    const signedOut = () => setUser(null);
    const changeRequired = () => setMustChangePassword(true);
    window.addEventListener(SIGNED_OUT, signedOut);
    window.addEventListener(PASSWORD_CHANGE_REQUIRED, changeRequired);
    return () => {
      window.removeEventListener(SIGNED_OUT, signedOut);
      window.removeEventListener(PASSWORD_CHANGE_REQUIRED, changeRequired);
    };
  }, []);

  return (
    <LangContext.Provider value={langState}>
      <ConfigProvider locale={lang === 'vi' ? viVN : enUS} theme={THEME}>
        <AntApp>
          {user === undefined ? null : user === null ? (
            <Login
              onLogin={(u, mustChange) => {
                setMustChangePassword(mustChange);
                setUser(u);
              }}
            />
          ) : mustChangePassword ? (
            <FirstPasswordChange user={user} onDone={() => setMustChangePassword(false)} onLogout={() => setUser(null)} />
          ) : (
            <MailApp user={user} onLogout={() => setUser(null)} />
          )}
        </AntApp>
      </ConfigProvider>
    </LangContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
