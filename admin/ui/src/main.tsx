import { StrictMode, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Button, ConfigProvider, Layout, Menu, Space, Typography } from 'antd';
import viVN from 'antd/locale/vi_VN';
import enUS from 'antd/locale/en_US';
import { api } from './api';
import { dictionaries, LangContext, type Lang } from './i18n';
import { Login } from './Login';
import { Agencies } from './Agencies';
import { Mailboxes } from './Mailboxes';
import { Audit } from './Audit';

type PageKey = 'agencies' | 'mailboxes' | 'audit';

function App() {
  const [lang, setLang] = useState<Lang>((localStorage.getItem('gm_lang') as Lang) ?? 'vi');
  const [user, setUser] = useState<string | null | undefined>(undefined);
  const [page, setPage] = useState<PageKey>('agencies');
  const t = dictionaries[lang];
  const ctx = useMemo(() => ({ lang, t, toggle: () => setLang((l) => { const n = l === 'vi' ? 'en' : 'vi'; localStorage.setItem('gm_lang', n); return n; }) }), [lang, t]);

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = t.appTitle;
  }, [lang, t]);
  useEffect(() => {
    api<{ user: string }>('GET', '/api/admin/me').then((me) => setUser(me.user), () => setUser(null));
  }, []);

  const body =
    user === undefined ? null : user === null ? (
      <Login onLogin={setUser} />
    ) : (
      <Layout style={{ minHeight: '100vh' }}>
        <Layout.Sider breakpoint="md" collapsedWidth={0} theme="light">
          <Typography.Title level={5} style={{ padding: 16, margin: 0 }}>GovMail</Typography.Title>
          <Menu
            selectedKeys={[page]}
            onClick={(e) => setPage(e.key as PageKey)}
            items={[
              { key: 'agencies', label: t.agencies },
              { key: 'mailboxes', label: t.mailboxes },
              { key: 'audit', label: t.audit },
            ]}
          />
        </Layout.Sider>
        <Layout>
          <Layout.Header style={{ background: 'transparent', display: 'flex', justifyContent: 'flex-end' }}>
            <Space>
              <Typography.Text>{t.signedInAs}: {user}</Typography.Text>
              <Button size="small" onClick={ctx.toggle}>{t.language}</Button>
              <Button size="small" onClick={async () => { await api('DELETE', '/api/session'); setUser(null); }}>{t.logout}</Button>
            </Space>
          </Layout.Header>
          <Layout.Content style={{ padding: 16 }}>
            {page === 'agencies' && <Agencies />}
            {page === 'mailboxes' && <Mailboxes />}
            {page === 'audit' && <Audit />}
          </Layout.Content>
        </Layout>
      </Layout>
    );

  return (
    <LangContext.Provider value={ctx}>
      <ConfigProvider locale={lang === 'vi' ? viVN : enUS}>{body}</ConfigProvider>
    </LangContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
