import { StrictMode, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Button, ConfigProvider, Layout, Menu, Space, Typography } from 'antd';
import viVN from 'antd/locale/vi_VN';
import enUS from 'antd/locale/en_US';
import { api, type Me, type Role } from './api';
import { dictionaries, LangContext, type Lang } from './i18n';
import { Login } from './Login';
import { Agencies } from './Agencies';
import { Mailboxes } from './Mailboxes';
import { Audit } from './Audit';
import { Reports } from './Reports';
import { Certificates } from './Certificates';
import { SpamFilter } from './SpamFilter';

type PageKey = 'agencies' | 'mailboxes' | 'certificates' | 'reports' | 'spamFilter' | 'audit';

/** Which roles each page is for (the server decides; this only spares people pages they would be refused). */
const PAGE_ROLES: Record<PageKey, Role[]> = {
  agencies: ['superadmin', 'agency_admin', 'auditor'],
  mailboxes: ['superadmin', 'agency_admin', 'auditor'],
  certificates: ['superadmin', 'agency_admin'],
  reports: ['superadmin', 'agency_admin', 'auditor'],
  // The MX is the province's: agency admins do not see it (the route answers them 403).
  spamFilter: ['superadmin', 'auditor'],
  audit: ['superadmin', 'auditor'],
};

function App() {
  const [lang, setLang] = useState<Lang>((localStorage.getItem('gm_lang') as Lang) ?? 'vi');
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const user = me === undefined ? undefined : (me?.user ?? null);
  const [page, setPage] = useState<PageKey>('agencies');
  const t = dictionaries[lang];
  const ctx = useMemo(() => ({ lang, t, toggle: () => setLang((l) => { const n = l === 'vi' ? 'en' : 'vi'; localStorage.setItem('gm_lang', n); return n; }) }), [lang, t]);

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = t.appTitle;
  }, [lang, t]);
  useEffect(() => {
    api<Me>('GET', '/api/admin/me').then(setMe, () => setMe(null));
  }, []);

  const roles = new Set((me?.grants ?? []).map((g) => g.role));
  const pages = (Object.keys(PAGE_ROLES) as PageKey[]).filter((k) => PAGE_ROLES[k].some((r) => roles.has(r)));

  const body =
    user === undefined ? null : user === null ? (
      <Login onLogin={setMe} />
    ) : (
      <Layout style={{ minHeight: '100vh' }}>
        <Layout.Sider breakpoint="md" collapsedWidth={0} theme="light">
          <Typography.Title level={5} style={{ padding: 16, margin: 0 }}>GovMail</Typography.Title>
          <Menu
            selectedKeys={[page]}
            onClick={(e) => setPage(e.key as PageKey)}
            items={pages.map((key) => ({ key, label: t[key] }))}
          />
        </Layout.Sider>
        <Layout>
          <Layout.Header style={{ background: 'transparent', display: 'flex', justifyContent: 'flex-end', height: 'auto', minHeight: 64, lineHeight: 'normal', alignItems: 'center', paddingInline: 16 }}>
            <Space wrap style={{ justifyContent: 'flex-end' }}>
              <Typography.Text>{t.signedInAs}: {user}</Typography.Text>
              <Button size="small" onClick={ctx.toggle}>{t.language}</Button>
              <Button size="small" onClick={async () => { await api('DELETE', '/api/session'); setMe(null); setPage('agencies'); }}>{t.logout}</Button>
            </Space>
          </Layout.Header>
          <Layout.Content style={{ padding: 16 }}>
            {page === 'agencies' && <Agencies />}
            {page === 'mailboxes' && <Mailboxes />}
            {page === 'certificates' && <Certificates canApprove={roles.has('superadmin')} />}
            {page === 'reports' && <Reports />}
            {page === 'spamFilter' && <SpamFilter />}
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
