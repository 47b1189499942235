import { Button, Card, Typography } from 'antd';
import { api, type User } from './api';
import { useT } from './i18n';
import { LanguageSwitch } from './LanguageSwitch';
import { PasswordForm } from './settings/PasswordSettings';

/**
 * Instead of the mail, while the mailbox still has the password an administrator issued: the server
 * refuses every mail route until it is replaced, so there is nothing else to show.
 */
export function FirstPasswordChange({ user, onDone, onLogout }: { user: User; onDone: () => void; onLogout: () => void }) {
  const { t } = useT();
  const logout = async () => {
    await api('POST', '/logout').catch(() => undefined);
    onLogout();
  };
  return (
    <main className="login" data-testid="first-password">
      <Card>
        <Typography.Title level={1} className="login-title">{t.passwordFirstTitle}</Typography.Title>
        <Typography.Paragraph>{t.passwordFirstIntro}</Typography.Paragraph>
        <Typography.Paragraph type="secondary">
          {t.signedInAs}: {user.address}
        </Typography.Paragraph>
        <PasswordForm submitLabel={t.passwordChangeAndContinue} onChanged={onDone} autoFocus />
        <Button type="link" block onClick={() => void logout()} className="gap-above">
          {t.logout}
        </Button>
        <div className="login-lang">
          <LanguageSwitch />
        </div>
      </Card>
    </main>
  );
}
