import { useEffect, useState } from 'react';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { api, ApiError } from '../api';
import { useT } from '../i18n';

interface TotpSetup {
  secret: string;
  uri: string;
}

/** One 6-digit code and a button. */
function CodeForm({ name, label, button, onFinish }: { name: string; label: string; button: string; onFinish: (v: { code: string }) => void }) {
  const { t } = useT();
  return (
    <Form name={name} layout="inline" onFinish={onFinish}>
      <Form.Item name="code" label={label} rules={[{ required: true, pattern: /^\s*\d{6}\s*$/, message: t.required }]}>
        <Input inputMode="numeric" autoComplete="one-time-code" maxLength={8} />
      </Form.Item>
      <Button type="primary" htmlType="submit">{button}</Button>
    </Form>
  );
}

/**
 * Two-step verification: the server makes a secret, we show it and its otpauth URI as text (to type or
 * paste into an authenticator), and the user proves it works with one code.
 */
export function TotpSettings() {
  const { t, lang } = useT();
  const [setup, setSetup] = useState<TotpSetup | null>(null);
  const [state, setState] = useState<'idle' | 'enabled' | 'unavailable'>('idle');
  const [error, setError] = useState<string>();

  useEffect(() => {
    api<{ enabled: boolean }>('GET', '/totp').then(
      (r) => r?.enabled && setState('enabled'),
      (e) => e instanceof ApiError && (e.status === 404 || e.status === 405) && setState('unavailable'),
    );
  }, []);

  const begin = async () => {
    setError(undefined);
    try {
      setSetup(await api<TotpSetup>('POST', '/totp/setup'));
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 405)) setState('unavailable');
      else if (e instanceof ApiError && e.code === 'TOTP_ALREADY_ENABLED') setState('enabled');
      else setError(e instanceof ApiError ? e.text(lang) : t.errorGeneric);
    }
  };
  /** Sends a code to /totp/enable or /totp/disable; the server refuses a wrong or reused one with 400. */
  const confirm = (action: 'enable' | 'disable') => async ({ code }: { code: string }) => {
    setError(undefined);
    try {
      await api('POST', `/totp/${action}`, { code: code.trim() });
      setSetup(null);
      setState(action === 'enable' ? 'enabled' : 'idle');
    } catch (e) {
      setError(e instanceof ApiError && e.status !== 400 ? e.text(lang) : t.totpFailed);
    }
  };

  return (
    <Card title={<h2 className="card-heading">{t.totpTitle}</h2>} className="settings-card" data-testid="totp">
      {state === 'unavailable' && <Alert type="info" title={t.totpUnavailable} />}
      {state === 'enabled' && (
        <>
          <Alert type="success" title={t.totpEnabled} className="gap-below" />
          <CodeForm name="totp-off" label={t.totpCode} button={t.totpDisable} onFinish={confirm('disable')} />
        </>
      )}
      {error && <Alert type="error" role="alert" title={error} className="gap-below" />}
      {state === 'idle' && !setup && <Button onClick={() => void begin()}>{t.totpStart}</Button>}
      {setup && (
        <>
          <Typography.Paragraph>{t.totpIntro}</Typography.Paragraph>
          <dl className="totp-fields">
            <dt>{t.totpSecret}</dt>
            <dd>
              <Typography.Text code copyable data-testid="totp-secret">{setup.secret}</Typography.Text>
            </dd>
            <dt>{t.totpUri}</dt>
            <dd>
              <Typography.Text code copyable className="break-all" data-testid="totp-uri">{setup.uri}</Typography.Text>
            </dd>
          </dl>
          <CodeForm name="totp-on" label={t.totpCode} button={t.totpEnable} onFinish={confirm('enable')} />
        </>
      )}
    </Card>
  );
}
