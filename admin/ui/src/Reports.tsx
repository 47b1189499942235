import { useEffect, useMemo, useState, type HTMLAttributes } from 'react';
import { Alert, Button, Card, Col, Form, Input, Row, Segmented, Space, Table, Typography } from 'antd';
import { api, ApiError } from './api';
import { useT, type Lang, type Strings } from './i18n';
import { BarChart, CHART_COLORS } from './charts';

export interface UsageRow {
  group: string;
  name: string;
  level: string | null;
  mailboxes: number;
  activeUsers: number;
  sentInternal: number;
  sentExternal: number;
  receivedInternal: number;
  receivedExternal: number;
  /** refused by the MX's scan (spam, malware, forbidden attachments), once per recipient mailbox */
  refused: number;
  storageBytes: number;
  signedMessages: number;
  signedDocuments: number;
}

interface CertificateCount {
  level: string;
  profile: 'organisation' | 'individual';
  valid: number;
  revoked: number;
  expiringIn60Days: number;
}

type Grouping = 'level' | 'agency';
type NumberKey = 'mailboxes' | 'activeUsers' | 'sentInternal' | 'sentExternal' | 'receivedInternal' | 'receivedExternal' | 'refused' | 'storageBytes' | 'signedMessages' | 'signedDocuments';
const NUMBER_KEYS: NumberKey[] = ['mailboxes', 'activeUsers', 'sentInternal', 'sentExternal', 'receivedInternal', 'receivedExternal', 'refused', 'storageBytes', 'signedMessages', 'signedDocuments'];
const LEVELS = ['province', 'department', 'district', 'commune', 'unit'] as const;
type Level = (typeof LEVELS)[number];
/** More bars than this do not fit a screen; the table keeps every group. */
const CHART_GROUPS = 12;

/** Report days are Vietnamese days (UTC+7), as on the server. */
export function vietnamToday(now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

export const numberFormat = (lang: Lang) => {
  const f = new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-US');
  return (n: number) => f.format(n);
};

function bytesText(n: number, fmt: (n: number) => string): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${fmt(Math.round(v * 10) / 10)} ${units[i]}`;
}

const isLevel = (l: string | null): l is Level => (LEVELS as readonly string[]).includes(l ?? '');
const levelText = (t: Strings, level: string | null) => (isLevel(level) ? t[level] : (level ?? ''));
/** What a row is called: a level's name, or the agency's. */
const groupText = (t: Strings, by: Grouping, r: UsageRow) => (r.group === '' ? t.noAgency : by === 'level' ? levelText(t, r.level) : r.name);

function totals(rows: UsageRow[]): Record<NumberKey, number> {
  return Object.fromEntries(NUMBER_KEYS.map((k) => [k, rows.reduce((sum, r) => sum + r[k], 0)])) as Record<NumberKey, number>;
}

export function Reports() {
  const { lang } = useT();
  const fmt = useMemo(() => numberFormat(lang), [lang]);
  const today = vietnamToday();
  const [from, setFrom] = useState(`${today.slice(0, 8)}01`);
  const [to, setTo] = useState(today);
  const [by, setBy] = useState<Grouping>('level');
  const [rows, setRows] = useState<UsageRow[]>([]);
  const [shownBy, setShownBy] = useState<Grouping>('level');
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string>();

  const periodOk = Boolean(from && to && from <= to);
  const query = new URLSearchParams({ by, from, to }).toString();

  useEffect(() => {
    if (!periodOk) return;
    let current = true;
    setLoading(true);
    setError(undefined);
    api<{ items: UsageRow[] }>('GET', `/api/admin/reports/usage?${query}`)
      .then((res) => {
        if (!current) return;
        setRows(res.items);
        setShownBy(by);
      })
      .catch((err) => current && setError(err instanceof ApiError ? (lang === 'vi' ? err.messageVi : err.message) : String(err)))
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
  }, [query, periodOk, by, lang]);

  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      <ReportFilters today={today} from={from} to={to} by={by} periodOk={periodOk} query={query} setFrom={setFrom} setTo={setTo} setBy={setBy} />
      {error && <Alert type="error" title={error} />}
      <UsageTableCard rows={rows} shownBy={shownBy} loading={loading} fmt={fmt} />
      {rows.length > 0 && <UsageCharts rows={rows} shownBy={shownBy} fmt={fmt} />}
      <CertificateCountsCard fmt={fmt} />
    </Space>
  );
}

/** Period, grouping and the CSV/XLSX downloads of the same query. */
function ReportFilters(p: {
  today: string;
  from: string;
  to: string;
  by: Grouping;
  periodOk: boolean;
  query: string;
  setFrom: (v: string) => void;
  setTo: (v: string) => void;
  setBy: (v: Grouping) => void;
}) {
  const { t } = useT();
  return (
    <Form layout="inline" style={{ rowGap: 12 }}>
      <Form.Item label={t.periodFrom} htmlFor="report-from" validateStatus={p.periodOk ? undefined : 'error'} help={p.periodOk ? undefined : t.periodInvalid}>
        <Input id="report-from" type="date" value={p.from} max={p.today} onChange={(e) => p.setFrom(e.target.value)} style={{ width: 160 }} />
      </Form.Item>
      <Form.Item label={t.periodTo} htmlFor="report-to">
        <Input id="report-to" type="date" value={p.to} max={p.today} onChange={(e) => p.setTo(e.target.value)} style={{ width: 160 }} />
      </Form.Item>
      <Form.Item label={t.groupBy}>
        <Segmented<Grouping>
          value={p.by}
          onChange={p.setBy}
          options={[
            { value: 'level', label: t.byLevel },
            { value: 'agency', label: t.byAgency },
          ]}
        />
      </Form.Item>
      <Form.Item>
        <Space wrap>
          <Button href={`/api/admin/reports/usage?${p.query}&format=csv`} download disabled={!p.periodOk} data-testid="export-csv">
            {t.exportCsv}
          </Button>
          <Button href={`/api/admin/reports/usage?${p.query}&format=xlsx`} download disabled={!p.periodOk} data-testid="export-xlsx">
            {t.exportXlsx}
          </Button>
        </Space>
      </Form.Item>
    </Form>
  );
}

/** The report itself: one row per level or agency, with a totals row. */
function UsageTableCard({ rows, shownBy, loading, fmt }: { rows: UsageRow[]; shownBy: Grouping; loading: boolean; fmt: (n: number) => string }) {
  const { t } = useT();
  const sum = totals(rows);
  const numberColumn = (key: NumberKey, title: string) => ({
    title,
    dataIndex: key,
    align: 'right' as const,
    onCell: () => ({ 'data-col': key }) as HTMLAttributes<HTMLTableCellElement>,
    render: (v: number) => (key === 'storageBytes' ? bytesText(v, fmt) : fmt(v)),
  });
  return (
    <Card title={t.reportTable} size="small">
      <Table<UsageRow>
        rowKey={(r) => r.group || '-'}
        dataSource={rows}
        loading={loading}
        size="small"
        pagination={rows.length > 50 ? { pageSize: 50, showSizeChanger: false } : false}
        // A fixed minimum lets the long headers wrap; narrower screens scroll the table, not the page.
        scroll={{ x: 960 }}
        locale={{ emptyText: t.noData }}
        columns={[
          {
            title: shownBy === 'level' ? t.level : t.agency,
            key: 'group',
            fixed: 'left',
            onCell: () => ({ 'data-col': 'group' }) as HTMLAttributes<HTMLTableCellElement>,
            render: (_: unknown, r: UsageRow) =>
              shownBy === 'level' || r.group === '' ? (
                groupText(t, shownBy, r)
              ) : (
                <>
                  {r.name}
                  <br />
                  <Typography.Text type="secondary">{r.group}</Typography.Text>
                </>
              ),
          },
          ...(shownBy === 'agency' ? [{ title: t.level, key: 'level', render: (_: unknown, r: UsageRow) => levelText(t, r.level) }] : []),
          numberColumn('mailboxes', t.mailboxesProvisioned),
          numberColumn('activeUsers', t.activeUsers),
          numberColumn('sentInternal', t.sentInternal),
          numberColumn('sentExternal', t.sentExternal),
          numberColumn('receivedInternal', t.receivedInternal),
          numberColumn('receivedExternal', t.receivedExternal),
          numberColumn('refused', t.refused),
          numberColumn('storageBytes', t.storage),
          numberColumn('signedMessages', t.signedMessages),
          numberColumn('signedDocuments', t.signedDocuments),
        ]}
        summary={() =>
          rows.length ? (
            <Table.Summary fixed>
              <Table.Summary.Row data-testid="report-totals">
                <Table.Summary.Cell index={0}>
                  <strong>{t.total}</strong>
                </Table.Summary.Cell>
                {shownBy === 'agency' && <Table.Summary.Cell index={1} />}
                {NUMBER_KEYS.map((k, i) => (
                  <Table.Summary.Cell key={k} index={i + (shownBy === 'agency' ? 2 : 1)} align="right">
                    <strong data-col={k}>{k === 'storageBytes' ? bytesText(sum[k], fmt) : fmt(sum[k])}</strong>
                  </Table.Summary.Cell>
                ))}
              </Table.Summary.Row>
            </Table.Summary>
          ) : null
        }
      />
    </Card>
  );
}

/** Traffic and users as bar charts matching the table (by agency, the largest groups only). */
function UsageCharts({ rows, shownBy, fmt }: { rows: UsageRow[]; shownBy: Grouping; fmt: (n: number) => string }) {
  const { t } = useT();
  const byTraffic = [...rows].sort((a, b) => b.sentInternal + b.sentExternal + b.receivedInternal + b.receivedExternal - (a.sentInternal + a.sentExternal + a.receivedInternal + a.receivedExternal));
  const byMailboxes = [...rows].sort((a, b) => b.mailboxes - a.mailboxes);
  // By level the order is the hierarchy's; by agency the largest groups are charted.
  const trafficRows = shownBy === 'level' ? rows : byTraffic.slice(0, CHART_GROUPS);
  const userRows = shownBy === 'level' ? rows : byMailboxes.slice(0, CHART_GROUPS);
  const categories = (list: UsageRow[]) => list.map((r) => ({ key: r.group || '-', label: groupText(t, shownBy, r) }));
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} xxl={12}>
        <Card size="small">
          <BarChart
            testId="traffic-chart"
            title={t.trafficChart}
            axisLabel={t.messagesAxis}
            format={fmt}
            categories={categories(trafficRows)}
            series={[
              { key: 'sentInternal', label: t.sentInternal, color: CHART_COLORS.blue, values: trafficRows.map((r) => r.sentInternal) },
              { key: 'sentExternal', label: t.sentExternal, color: CHART_COLORS.blue, hatched: true, values: trafficRows.map((r) => r.sentExternal) },
              { key: 'receivedInternal', label: t.receivedInternal, color: CHART_COLORS.brown, values: trafficRows.map((r) => r.receivedInternal) },
              { key: 'receivedExternal', label: t.receivedExternal, color: CHART_COLORS.brown, hatched: true, values: trafficRows.map((r) => r.receivedExternal) },
            ]}
          />
          <Typography.Text type="secondary">
            {t.chartInternal}; {t.chartExternal}.{trafficRows.length < rows.length ? ` ${t.chartShowsTop(trafficRows.length, rows.length)}` : ''}
          </Typography.Text>
        </Card>
      </Col>
      <Col xs={24} xxl={12}>
        <Card size="small">
          <BarChart
            testId="users-chart"
            title={t.usersChart}
            axisLabel={t.usersAxis}
            format={fmt}
            categories={categories(userRows)}
            series={[
              { key: 'mailboxes', label: t.mailboxesProvisioned, color: CHART_COLORS.slate, values: userRows.map((r) => r.mailboxes) },
              { key: 'activeUsers', label: t.activeUsers, color: CHART_COLORS.green, values: userRows.map((r) => r.activeUsers) },
            ]}
          />
          {userRows.length < rows.length && <Typography.Text type="secondary">{t.chartShowsTop(userRows.length, rows.length)}</Typography.Text>}
        </Card>
      </Col>
    </Row>
  );
}

/** Certificates valid, revoked and expiring within 60 days, by level and profile. */
function CertificateCountsCard({ fmt }: { fmt: (n: number) => string }) {
  const { t } = useT();
  const [counts, setCounts] = useState<CertificateCount[]>([]);
  useEffect(() => {
    api<{ items: CertificateCount[] }>('GET', '/api/admin/reports/certificates').then((res) => setCounts(res.items), () => setCounts([]));
  }, []);
  return (
    <Card title={t.certificateCounts} size="small">
      <Table<CertificateCount>
        rowKey={(c) => `${c.level}/${c.profile}`}
        dataSource={counts}
        size="small"
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t.noData }}
        columns={[
          { title: t.level, dataIndex: 'level', render: (l: string) => levelText(t, l) },
          { title: t.profile, dataIndex: 'profile', render: (p: CertificateCount['profile']) => t.profiles[p] ?? p },
          { title: t.validCount, dataIndex: 'valid', align: 'right', render: fmt },
          { title: t.revokedCount, dataIndex: 'revoked', align: 'right', render: fmt },
          { title: t.expiringCount, dataIndex: 'expiringIn60Days', align: 'right', render: fmt },
        ]}
        summary={() =>
          counts.length ? (
            <Table.Summary.Row>
              <Table.Summary.Cell index={0} colSpan={2}>
                <strong>{t.total}</strong>
              </Table.Summary.Cell>
              {(['valid', 'revoked', 'expiringIn60Days'] as const).map((k, i) => (
                <Table.Summary.Cell key={k} index={i + 2} align="right">
                  <strong>{fmt(counts.reduce((s, c) => s + c[k], 0))}</strong>
                </Table.Summary.Cell>
              ))}
            </Table.Summary.Row>
          ) : null
        }
      />
    </Card>
  );
}
