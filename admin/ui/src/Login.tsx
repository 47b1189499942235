import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { api, setCsrf, type Me } from './api';
import { useT } from './i18n';

export function Login({ onLogin }: { onLogin: (me: Me) => void }) {
  const { t } = useT();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <Card style={{ maxWidth: 380, margin: '10vh auto' }}>
      <Typography.Title level={3}>{t.appTitle}</Typography.Title>
      {error && <Alert type="error" title={error} style={{ marginBottom: 16 }} data-testid="login-error" />}
      <Form
        layout="vertical"
        onFinish={async (v: { username: string; password: string }) => {
          setBusy(true);
          setError(undefined);
          try {
            const res = await api<Me & { csrfToken: string }>('POST', '/api/session', v);
            setCsrf(res.csrfToken);
            onLogin({ user: res.user, grants: res.grants });
          } catch {
            setError(t.loginFailed);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Form.Item name="username" label={t.username} rules={[{ required: true, message: t.required }]}>
          <Input autoComplete="username" />
        </Form.Item>
        <Form.Item name="password" label={t.password} rules={[{ required: true, message: t.required }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy} block>
          {t.login}
        </Button>
      </Form>
    </Card>
  );
}
