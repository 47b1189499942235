import { Button, Card, Radio, Typography } from 'antd';
import { useT, type Lang } from '../i18n';
import { API } from '../api';
import { SignatureSettings } from './SignatureSettings';
import { TotpSettings } from './TotpSettings';
import { SessionList } from './SessionList';
import { PasswordSettings } from './PasswordSettings';
import { VacationSettings } from './VacationSettings';
import { FilterSettings } from './FilterSettings';

/** Language, signature, automatic reply, filters, password, two-step verification, the signed-in sessions and the Apple profile. */
export default function SettingsView({ onBack }: { onBack: () => void }) {
  const { t, lang, setLang } = useT();
  return (
    <section className="settings" aria-labelledby="settings-heading">
      <Button onClick={onBack} className="gap-below">← {t.backToList}</Button>
      <Typography.Title level={1} id="settings-heading" className="view-title">
        {t.settings}
      </Typography.Title>
      <Card title={<h2 className="card-heading">{t.language}</h2>} className="settings-card">
        <Radio.Group
          aria-label={t.language}
          value={lang}
          onChange={(e) => setLang(e.target.value as Lang)}
          options={[
            { value: 'vi', label: <span lang="vi">{t.vietnamese}</span> },
            { value: 'en', label: <span lang="en">{t.english}</span> },
          ]}
        />
      </Card>
      <SignatureSettings />
      <VacationSettings />
      <FilterSettings />
      <PasswordSettings />
      <TotpSettings />
      <SessionList />
      <Card title={<h2 className="card-heading">{t.appleDevices}</h2>} className="settings-card">
        <Typography.Paragraph>{t.appleProfileHelp}</Typography.Paragraph>
        <a href={`${API}/client-config.mobileconfig`} download data-testid="apple-profile">{t.appleProfileDownload}</a>
      </Card>
    </section>
  );
}
