import { Alert, AutoComplete, Button, Card, Checkbox, Form, Input, Select, Space, Typography } from 'antd';
import { useT } from '../i18n';
import { useFolders } from '../folders';
import { CustomScriptNotice } from './VacationSettings';
import { CONTROL, DOMAIN, EMAIL, HEADER_NAME, type FilterModel } from './sieveApi';
import { useSieveSection } from './useSieveSection';

/** Only the keys that belong to each kind of condition and action, as the server stores them. */
const clean = (filters: FilterModel[]): FilterModel[] =>
  filters.map((f) => ({
    name: f.name,
    match: f.match,
    conditions: f.conditions.map((c) => ({ field: c.field, ...(c.field === 'header' ? { header: c.header } : {}), op: c.op, value: c.value })),
    actions: f.actions.map((a) =>
      a.type === 'fileinto' ? { type: a.type, folder: a.folder } : a.type === 'redirect' ? { type: a.type, address: a.address, ...(a.copy ? { copy: true } : {}) } : { type: a.type },
    ),
  }));

const newFilter = (): FilterModel => ({ name: '', match: 'all', conditions: [{ field: 'from', op: 'contains', value: '' }], actions: [{ type: 'fileinto', folder: '' }] });

/** Required single-line text of at most `max` characters. */
const textRules = (t: ReturnType<typeof useT>['t'], max: number) => [
  { required: true, whitespace: true, message: t.required },
  { max, message: t.tooLong(max) },
  { validator: async (_: unknown, v?: string) => { if (v && (CONTROL.test(v) || /[\r\n\t]/.test(v))) throw new Error(t.noControlChars); } },
];

/** Filters run in order when mail arrives (Sieve in Dovecot), before the vacation reply. */
export function FilterSettings() {
  const { t } = useT();
  // One folder list for every filter's "file into" field (each call of useFolders fetches).
  const { folders } = useFolders();
  const folderOptions = folders.map((f) => ({ value: f.path, label: f.path }));
  const [form] = Form.useForm<{ filters: FilterModel[] }>();
  const { settings, state, error, busy, save } = useSieveSection({
    form,
    part: 'filters',
    toForm: (m) => ({ filters: m.filters }),
    toModel: (values: { filters?: FilterModel[] }) => ({ filters: clean(values.filters ?? []) }),
    // A whole filter or its lists are shown above the form; a field inside a filter next to it.
    fieldFor: (path) => (path.length > 2 ? path : undefined),
  });

  const text = (max: number) => textRules(t, max);

  return (
    <Card title={<h2 className="card-heading">{t.filtersTitle}</h2>} className="settings-card" data-testid="filters">
      {state === 'unavailable' && <Alert type="info" title={t.sieveUnavailable} />}
      {error && <Alert type="error" role="alert" title={error} className="gap-below" />}
      {settings?.status === 'custom' && <CustomScriptNotice settings={settings} busy={busy} onReplace={() => void save(true)} />}
      {state !== 'unavailable' && (
        <Form form={form} name="filters" layout="vertical" requiredMark={false} aria-busy={state === 'loading'} onFinish={() => void save()}>
          <Typography.Paragraph type="secondary">{t.filtersHint}</Typography.Paragraph>
          <Form.List name="filters">
            {(filters, { add, remove }) => (
              <>
                {filters.map((filter) => (
                  <Card
                    key={filter.key}
                    size="small"
                    className="gap-below"
                    title={t.filterNumber(filter.name + 1)}
                    extra={<Button type="link" danger onClick={() => remove(filter.name)}>{t.filterRemove}</Button>}
                  >
                    <Form.Item name={[filter.name, 'name']} label={t.filterName} rules={text(100)}>
                      <Input maxLength={100} />
                    </Form.Item>
                    <Form.Item name={[filter.name, 'match']} label={t.filterMatch}>
                      <Select style={{ width: 260 }} options={[{ value: 'all', label: t.filterMatchAll }, { value: 'any', label: t.filterMatchAny }]} />
                    </Form.Item>
                    <div>
                      <Typography.Text strong>{t.filterConditions}</Typography.Text>
                    </div>
                    <ConditionsList filterName={filter.name} />
                    <div>
                      <Typography.Text strong>{t.filterActions}</Typography.Text>
                    </div>
                    <ActionsList filterName={filter.name} folderOptions={folderOptions} />
                  </Card>
                ))}
                <Space>
                  <Button onClick={() => add(newFilter())} disabled={filters.length >= 50}>{t.filterAdd}</Button>
                  <Button type="primary" htmlType="submit" loading={busy} disabled={state !== 'ready' || settings?.status === 'custom'}>{t.save}</Button>
                </Space>
              </>
            )}
          </Form.List>
        </Form>
      )}
    </Card>
  );
}

/** The conditions of one filter: field (or a named header), comparison and value. */
function ConditionsList({ filterName }: { filterName: number }) {
  const { t } = useT();
  const text = (max: number) => textRules(t, max);
  return (
    <Form.List name={[filterName, 'conditions']}>
      {(conds, c) => (
        <>
          {conds.map((cond) => (
            <Space key={cond.key} wrap align="start" className="gap-above">
              <Form.Item name={[cond.name, 'field']} noStyle>
                <Select
                  style={{ width: 170 }}
                  aria-label={t.filterField}
                  options={[
                    { value: 'from', label: t.fieldFrom },
                    { value: 'to', label: t.fieldTo },
                    { value: 'cc', label: t.fieldCc },
                    { value: 'subject', label: t.fieldSubject },
                    { value: 'header', label: t.fieldHeader },
                  ]}
                />
              </Form.Item>
              <Form.Item noStyle dependencies={[['filters', filterName, 'conditions', cond.name, 'field']]}>
                {({ getFieldValue }) =>
                  getFieldValue(['filters', filterName, 'conditions', cond.name, 'field']) === 'header' && (
                    <Form.Item name={[cond.name, 'header']} rules={[{ required: true, pattern: HEADER_NAME, message: t.headerNameInvalid }]}>
                      <Input placeholder={t.headerName} aria-label={t.headerName} style={{ width: 170 }} />
                    </Form.Item>
                  )
                }
              </Form.Item>
              <Form.Item noStyle dependencies={[['filters', filterName, 'conditions', cond.name, 'field']]}>
                {({ getFieldValue }) => (
                  <Form.Item name={[cond.name, 'op']} noStyle>
                    <Select
                      style={{ width: 160 }}
                      aria-label={t.filterOp}
                      options={[
                        { value: 'contains', label: t.opContains },
                        { value: 'is', label: t.opIs },
                        ...(['from', 'to', 'cc'].includes(getFieldValue(['filters', filterName, 'conditions', cond.name, 'field'])) ? [{ value: 'matches-domain', label: t.opDomain }] : []),
                      ]}
                    />
                  </Form.Item>
                )}
              </Form.Item>
              <Form.Item
                name={[cond.name, 'value']}
                dependencies={[['filters', filterName, 'conditions', cond.name, 'op']]}
                rules={[
                  ...text(500),
                  ({ getFieldValue }) => ({
                    validator: async (_, v?: string) => {
                      if (v && getFieldValue(['filters', filterName, 'conditions', cond.name, 'op']) === 'matches-domain' && !DOMAIN.test(v)) throw new Error(t.invalidDomain);
                    },
                  }),
                ]}
              >
                <Input placeholder={t.conditionValue} aria-label={t.conditionValue} style={{ width: 240 }} />
              </Form.Item>
              {conds.length > 1 && <Button onClick={() => c.remove(cond.name)} aria-label={t.filterRemove}>−</Button>}
            </Space>
          ))}
          <div>
            <Button type="dashed" size="small" className="gap-below" onClick={() => c.add({ field: 'subject', op: 'contains', value: '' })}>{t.filterAddCondition}</Button>
          </div>
        </>
      )}
    </Form.List>
  );
}

/** The actions of one filter: file into a folder, mark read, redirect (with or without a copy), discard, stop. */
function ActionsList({ filterName, folderOptions }: { filterName: number; folderOptions: Array<{ value: string; label: string }> }) {
  const { t } = useT();
  const text = (max: number) => textRules(t, max);
  return (
    <Form.List name={[filterName, 'actions']}>
      {(acts, a) => (
        <>
          {acts.map((act) => (
            <Space key={act.key} wrap align="start" className="gap-above">
              <Form.Item name={[act.name, 'type']} noStyle>
                <Select
                  style={{ width: 240 }}
                  aria-label={t.filterActions}
                  options={[
                    { value: 'fileinto', label: t.actFileinto },
                    { value: 'markread', label: t.actMarkread },
                    { value: 'redirect', label: t.actRedirect },
                    { value: 'discard', label: t.actDiscard },
                    { value: 'stop', label: t.actStop },
                  ]}
                />
              </Form.Item>
              <Form.Item noStyle dependencies={[['filters', filterName, 'actions', act.name, 'type']]}>
                {({ getFieldValue }) => {
                  const type = getFieldValue(['filters', filterName, 'actions', act.name, 'type']);
                  if (type === 'fileinto') {
                    return (
                      <Form.Item name={[act.name, 'folder']} rules={text(500)}>
                        <AutoComplete options={folderOptions} placeholder={t.actFolder} aria-label={t.actFolder} style={{ width: 240 }} filterOption />
                      </Form.Item>
                    );
                  }
                  if (type === 'redirect') {
                    return (
                      <Space align="start">
                        <Form.Item name={[act.name, 'address']} rules={[{ required: true, pattern: EMAIL, message: t.invalidEmail }]}>
                          <Input placeholder={t.actAddress} aria-label={t.actAddress} style={{ width: 240 }} />
                        </Form.Item>
                        <Form.Item name={[act.name, 'copy']} valuePropName="checked">
                          <Checkbox>{t.actKeepCopy}</Checkbox>
                        </Form.Item>
                      </Space>
                    );
                  }
                  return null;
                }}
              </Form.Item>
              {acts.length > 1 && <Button onClick={() => a.remove(act.name)} aria-label={t.filterRemove}>−</Button>}
            </Space>
          ))}
          <div>
            <Button type="dashed" size="small" onClick={() => a.add({ type: 'markread' })}>{t.filterAddAction}</Button>
          </div>
        </>
      )}
    </Form.List>
  );
}
