import { useEffect, useState } from 'react';
import { Alert, App, Button, Card, Form, Input, InputNumber, Popconfirm, Space, Switch, Typography } from 'antd';
import { ApiError } from '../api';
import { useT } from '../i18n';
import { CONTROL, EMAIL, fieldMessage, fieldPath, loadSieve, saveSieve, unavailable, type SieveSettings, type VacationModel } from './sieveApi';

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
  const { t, lang } = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm<VacationForm>();
  const [settings, setSettings] = useState<SieveSettings>();
  const [state, setState] = useState<'loading' | 'ready' | 'unavailable'>('loading');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const enabled = Form.useWatch('enabled', form);

  const apply = (s: SieveSettings) => {
    setSettings(s);
    form.setFieldsValue(toForm(s.model.vacation));
    setState('ready');
  };
  useEffect(() => {
    loadSieve().then(apply, (e) => (unavailable(e) ? setState('unavailable') : setError(e instanceof ApiError ? e.text(lang) : t.errorGeneric)));
    // Loaded once; the language only changes how errors read.
  }, []);

  const save = async (replaceCustom = false) => {
    let values: VacationForm;
    try {
      values = await form.validateFields();
    } catch {
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      apply(await saveSieve({ vacation: fromForm(values) }, replaceCustom));
      message.success(t.saved);
    } catch (e) {
      const path = fieldPath(e, 'vacation');
      if (path && e instanceof ApiError) form.setFields([{ name: (path[0] === 'addresses' ? ['addresses'] : path) as never, errors: [fieldMessage(e.text(lang))] }]);
      else if (e instanceof ApiError && e.code === 'SIEVE_CUSTOM') await loadSieve().then(apply, () => undefined);
      else setError(e instanceof ApiError ? e.text(lang) : t.errorGeneric);
    } finally {
      setBusy(false);
    }
  };

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
