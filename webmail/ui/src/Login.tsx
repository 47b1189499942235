import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { api, ApiError, setCsrf, type SessionInfo, type User } from './api';
import { useT } from './i18n';
import { LanguageSwitch } from './LanguageSwitch';

interface Credentials {
  username: string;
  password: string;
  totp?: string;
}

/** Address and password, then a TOTP code when the server asks for one. */
export function Login({ onLogin }: { onLogin: (user: User, mustChangePassword: boolean) => void }) {
  const { t } = useT();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [needTotp, setNeedTotp] = useState(false);
  const [form] = Form.useForm<Credentials>();

  const submit = async (v: Credentials) => {
    setBusy(true);
    setError(undefined);
    try {
      const res = await api<SessionInfo>('POST', '/login', { username: v.username.trim(), password: v.password, ...(needTotp ? { totp: v.totp?.trim() } : {}) });
      if (res.totpRequired) {
        setNeedTotp(true);
        return;
      }
      setCsrf(res.csrfToken);
      onLogin(res.user, res.mustChangePassword === true);
    } catch (e) {
      if (e instanceof ApiError && e.status === 429) setError(t.tooManyTries);
      else setError(needTotp ? t.totpFailed : t.loginFailed);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <Card>
        <Typography.Title level={1} className="login-title">{t.appTitle}</Typography.Title>
        {error && <Alert type="error" title={error} role="alert" className="gap-below" data-testid="login-error" />}
        <Form form={form} name="login" layout="vertical" onFinish={submit} requiredMark={false}>
          <Form.Item name="username" label={t.username} rules={[{ required: true, message: t.required }]} hidden={needTotp}>
            <Input autoComplete="username" inputMode="email" autoFocus />
          </Form.Item>
          <Form.Item name="password" label={t.password} rules={[{ required: true, message: t.required }]} hidden={needTotp}>
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          {needTotp && (
            <>
              <Typography.Paragraph>{t.totpPrompt}</Typography.Paragraph>
              <Form.Item name="totp" label={t.totpCode} rules={[{ required: true, pattern: /^\s*\d{6}\s*$/, message: t.required }]}>
                <Input autoComplete="one-time-code" inputMode="numeric" maxLength={8} autoFocus />
              </Form.Item>
            </>
          )}
          <Button type="primary" htmlType="submit" loading={busy} block>
            {t.login}
          </Button>
          {needTotp && (
            <Button type="link" block onClick={() => { setNeedTotp(false); form.setFieldValue('totp', undefined); }}>
              {t.back}
            </Button>
          )}
        </Form>
        <div className="login-lang">
          <LanguageSwitch />
        </div>
      </Card>
    </main>
  );
}
