import { Alert, Button, Card, Form, Input, InputNumber, Popconfirm, Space, Switch, Typography } from 'antd';
import { useT } from '../i18n';
import { CONTROL, EMAIL, type SieveSettings, type VacationModel } from './sieveApi';
import { useSieveSection } from './useSieveSection';

interface VacationForm {
  enabled: boolean;
  subject: string;
  body: string;
  from?: string;
  to?: string;
  days: number;
  addresses?: string;
}

const toForm = (v: VacationModel): VacationForm => ({ ...v, addresses: (v.addresses ?? []).join(', ') });
const fromForm = (f: VacationForm): VacationModel => {
  const addresses = (f.addresses ?? '').split(/[\s,;]+/).filter(Boolean);
  return {
    enabled: !!f.enabled,
    subject: f.subject ?? '',
    body: f.body ?? '',
    ...(f.from ? { from: f.from } : {}),
    ...(f.to ? { to: f.to } : {}),
    days: Number(f.days),
    ...(addresses.length ? { addresses } : {}),
  };
};

/** Shown instead of editing when the active Sieve script was made by another program; replacing it needs a confirmation. */
export function CustomScriptNotice({ settings, onReplace, busy }: { settings: SieveSettings; onReplace: () => void; busy: boolean }) {
  const { t } = useT();
  return (
    <Alert
      type="warning"
      className="gap-below"
      title={settings.customReason === 'edited' ? t.sieveCustomEdited : t.sieveCustom(settings.activeScript ?? '')}
      description={
        <Popconfirm title={t.sieveReplaceConfirm} okText={t.sieveReplace} cancelText={t.cancel} onConfirm={onReplace}>
          <Button danger loading={busy} data-testid="sieve-replace">{t.sieveReplace}</Button>
        </Popconfirm>
      }
    />
  );
}

/** The automatic reply while away: Dovecot sends it (Sieve "vacation"), at most once per sender in `days`. */
export function VacationSettings() {
  const { t } = useT();
  const [form] = Form.useForm<VacationForm>();
  const { settings, state, error, busy, save } = useSieveSection({
    form,
    part: 'vacation',
    toForm: (m) => toForm(m.vacation),
    toModel: (values: VacationForm) => ({ vacation: fromForm(values) }),
    // The addresses are one text field in the form, a list on the server.
    fieldFor: (path) => (path[0] === 'addresses' ? ['addresses'] : path),
  });
  const enabled = Form.useWatch('enabled', form);

  const noControl = { validator: async (_: unknown, v?: string) => { if (v && CONTROL.test(v)) throw new Error(t.noControlChars); } };
  return (
    <Card title={<h2 className="card-heading">{t.vacationTitle}</h2>} className="settings-card" data-testid="vacation">
      {state === 'unavailable' && <Alert type="info" title={t.sieveUnavailable} />}
      {error && <Alert type="error" role="alert" title={error} className="gap-below" />}
      {settings?.status === 'custom' && <CustomScriptNotice settings={settings} busy={busy} onReplace={() => void save(true)} />}
      {state !== 'unavailable' && (
        <Form form={form} name="vacation" layout="vertical" requiredMark={false} initialValues={{ enabled: false, days: 7 }} aria-busy={state === 'loading'} onFinish={() => void save()}>
          <Typography.Paragraph type="secondary">{t.vacationHint}</Typography.Paragraph>
          <Form.Item name="enabled" label={t.vacationEnabled} valuePropName="checked">
            <Switch />
          </Form.Item>
          <Form.Item
            name="subject"
            label={t.vacationSubject}
            rules={[{ required: !!enabled, whitespace: true, message: t.required }, { max: 200, message: t.tooLong(200) }, { pattern: /^[^\r\n]*$/, message: t.noControlChars }, noControl]}
          >
            <Input maxLength={200} />
          </Form.Item>
          <Form.Item name="body" label={t.vacationBody} rules={[{ required: !!enabled, whitespace: true, message: t.required }, { max: 10_000, message: t.tooLong(10_000) }, noControl]}>
            <Input.TextArea autoSize={{ minRows: 4 }} maxLength={10_000} />
          </Form.Item>
          <div>
            <Typography.Text>{t.vacationRange}</Typography.Text>
          </div>
          <Space wrap className="gap-above">
            <Form.Item name="from" label={t.vacationFrom}>
              <Input type="date" />
            </Form.Item>
            <Form.Item
              name="to"
              label={t.vacationTo}
              dependencies={['from']}
              rules={[({ getFieldValue }) => ({ validator: async (_, v?: string) => { if (v && getFieldValue('from') && v < getFieldValue('from')) throw new Error(t.dateOrder); } })]}
            >
              <Input type="date" />
            </Form.Item>
          </Space>
          <Form.Item name="days" label={t.vacationDays} rules={[{ required: true, type: 'integer', min: 1, max: 30, message: t.vacationDaysRange }]}>
            <InputNumber min={1} max={30} precision={0} />
          </Form.Item>
          <Form.Item
            name="addresses"
            label={t.vacationAddresses}
            extra={t.vacationAddressesHint}
            rules={[{ validator: async (_, v?: string) => { const bad = (v ?? '').split(/[\s,;]+/).filter(Boolean).find((a) => !EMAIL.test(a)); if (bad) throw new Error(`${t.invalidEmail}: ${bad}`); } }]}
          >
            <Input />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy} disabled={state !== 'ready' || settings?.status === 'custom'}>
            {t.save}
          </Button>
        </Form>
      )}
    </Card>
  );
}
