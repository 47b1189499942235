import { useState } from 'react';
import { Alert, App, Button, Card, Form, Input } from 'antd';
import { api, ApiError } from '../api';
import { useT } from '../i18n';

interface PasswordValues {
  currentPassword: string;
  newPassword: string;
  repeat: string;
}

/** Code points, as the server counts them: a Vietnamese letter is one character whatever its UTF-16 length. */
const chars = (s: string) => [...s].length;

/** The server's INVALID_INPUT text starts with the field's name ("newPassword: cần …"); next to the field it is noise. */
const fieldMessage = (text: string) => {
  const rest = text.replace(/^\w+: /, '');
  return rest.charAt(0).toUpperCase() + rest.slice(1);
};

/**
 * Current, new and repeated password, checked here for what the browser can know and then by the server,
 * whose refusals land next to the field they name. The passwords are sent exactly as typed.
 */
export function PasswordForm({ submitLabel, onChanged, autoFocus }: { submitLabel: string; onChanged: () => void; autoFocus?: boolean }) {
  const { t, lang } = useT();
  const [form] = Form.useForm<PasswordValues>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async (v: PasswordValues) => {
    setBusy(true);
    setError(undefined);
    try {
      await api('POST', '/password', { currentPassword: v.currentPassword, newPassword: v.newPassword });
      form.resetFields();
      onChanged();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'PASSWORD_WRONG') form.setFields([{ name: 'currentPassword', errors: [t.passwordWrong] }]);
      else if (e instanceof ApiError && (e.field === 'newPassword' || e.field === 'currentPassword')) form.setFields([{ name: e.field, errors: [fieldMessage(e.text(lang))] }]);
      else if (e instanceof ApiError && e.status === 429) setError(t.tooManyTries);
      else setError(e instanceof ApiError ? e.text(lang) : t.errorGeneric);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Form form={form} name="password" layout="vertical" onFinish={submit} requiredMark={false}>
      {error && <Alert type="error" role="alert" title={error} className="gap-below" />}
      <Form.Item name="currentPassword" label={t.passwordCurrent} rules={[{ required: true, message: t.required }]}>
        <Input.Password autoComplete="current-password" autoFocus={autoFocus} />
      </Form.Item>
      <Form.Item
        name="newPassword"
        label={t.passwordNew}
        extra={t.passwordHint}
        dependencies={['currentPassword']}
        rules={[
          { required: true, message: t.required },
          ({ getFieldValue }) => ({
            validator: async (_, value: string | undefined) => {
              if (!value) return;
              if (chars(value) < 10) throw new Error(t.passwordTooShort);
              if (chars(value) > 1024) throw new Error(t.passwordTooLong);
              if (value === getFieldValue('currentPassword')) throw new Error(t.passwordSame);
            },
          }),
        ]}
      >
        <Input.Password autoComplete="new-password" />
      </Form.Item>
      <Form.Item
        name="repeat"
        label={t.passwordRepeat}
        dependencies={['newPassword']}
        rules={[
          { required: true, message: t.required },
          ({ getFieldValue }) => ({
            validator: async (_, value: string | undefined) => {
              if (value && value !== getFieldValue('newPassword')) throw new Error(t.passwordMismatch);
            },
          }),
        ]}
      >
        <Input.Password autoComplete="new-password" />
      </Form.Item>
      <Button type="primary" htmlType="submit" loading={busy}>
        {submitLabel}
      </Button>
    </Form>
  );
}

/** The Settings card: change the password at any time; the other sessions are signed out by the server. */
export function PasswordSettings() {
  const { t } = useT();
  const { message } = App.useApp();
  return (
    <Card title={<h2 className="card-heading">{t.passwordTitle}</h2>} className="settings-card" data-testid="password">
      <PasswordForm submitLabel={t.passwordChange} onChanged={() => void message.success(t.passwordChanged)} />
    </Card>
  );
}
