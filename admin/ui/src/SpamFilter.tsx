import { useEffect, useState } from 'react';
import { Alert, Card, Descriptions, Space, Table, Tag, Typography } from 'antd';
import { api, ApiError } from './api';
import { useT, type Strings } from './i18n';

type Archives = 'refuse' | 'junk' | 'allow';

interface ScanSettings {
  junkScore: number;
  rejectScore: number;
  blockedExtensions: string[];
  maxAttachmentSize: string;
  encryptedArchives: Archives;
}

/** GET /api/admin/spam-filter (admin/routes/spam-filter.ts). */
export interface SpamFilterStatus {
  enabled: boolean;
  scanner: 'embedded' | 'external' | 'off';
  externalHost?: string;
  health?: { rspamd: 'running' | 'restarting'; clamav: 'running' | 'restarting' | 'absent' | 'no-signatures'; clamavDatabaseDir: string; restarts: number };
  defaults: ScanSettings & { unavailable: 'tempfail' | 'accept'; timeoutMs: number; builtInExtensions: boolean };
  domains: Array<{ domain: string } & Partial<ScanSettings>>;
}

const stateColor = (s: string) => (s === 'running' ? 'green' : s === 'restarting' ? 'orange' : 'red');
const sizeText = (t: Strings, size: string) => (/^0+[KMGT]?$/i.test(size) ? t.noAttachmentLimit : size.toUpperCase());
const extensionsText = (list: string[]) => list.map((e) => `.${e}`).join(' ');

/** The spam and malware filter: scanner state (with what to do when ClamAV is missing), thresholds and per-domain overrides. Read-only. */
export function SpamFilter() {
  const { t, lang } = useT();
  const [status, setStatus] = useState<SpamFilterStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<SpamFilterStatus>('GET', '/api/admin/spam-filter').then(setStatus, (e: unknown) => setError(e instanceof ApiError ? (lang === 'vi' ? e.messageVi : e.message) : String(e)));
  }, [lang]);

  if (error) return <Alert type="error" showIcon title={error} />;
  if (!status) return null;
  const { defaults, health } = status;
  const clamav = health?.clamav;

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }} data-testid="spam-filter">
      <Typography.Title level={4} style={{ margin: 0 }}>{t.spamFilter}</Typography.Title>
      {!status.enabled && <Alert type="warning" showIcon title={t.scannerModes.off} />}
      {clamav === 'absent' && <Alert type="error" showIcon data-testid="clamav-warning" title={t.clamavAbsentTitle} description={t.clamavAbsentText} />}
      {clamav === 'no-signatures' && (
        <Alert type="error" showIcon data-testid="clamav-warning" title={t.clamavNoSignaturesTitle} description={t.clamavNoSignaturesText(health!.clamavDatabaseDir)} />
      )}
      <Card size="small" title={t.scannerMode}>
        <Descriptions size="small" column={1} bordered>
          <Descriptions.Item label={t.scannerMode}>
            {t.scannerModes[status.scanner]}
            {status.externalHost ? ` (${status.externalHost})` : ''}
          </Descriptions.Item>
          {status.scanner === 'embedded' && (
            <>
              <Descriptions.Item label="rspamd">{health ? <Tag color={stateColor(health.rspamd)}>{t.scannerState[health.rspamd]}</Tag> : t.scannerUnknown}</Descriptions.Item>
              <Descriptions.Item label="ClamAV">
                {health ? (
                  <Space wrap>
                    <Tag color={stateColor(health.clamav)}>{t.scannerState[health.clamav]}</Tag>
                    <Typography.Text type="secondary">{health.clamavDatabaseDir}</Typography.Text>
                  </Space>
                ) : (
                  t.scannerUnknown
                )}
              </Descriptions.Item>
              {health && <Descriptions.Item label={t.scannerRestarts}>{health.restarts}</Descriptions.Item>}
            </>
          )}
        </Descriptions>
      </Card>
      <Card size="small" title={t.spamDefaults}>
        <Descriptions size="small" column={1} bordered>
          <Descriptions.Item label={t.junkScore}>{defaults.junkScore}</Descriptions.Item>
          <Descriptions.Item label={t.rejectScore}>{defaults.rejectScore}</Descriptions.Item>
          <Descriptions.Item label={t.scanUnavailable}>{t.scanUnavailableModes[defaults.unavailable]}</Descriptions.Item>
          <Descriptions.Item label={t.scanTimeout}>{defaults.timeoutMs / 1000} s</Descriptions.Item>
          <Descriptions.Item label={t.blockedExtensions}>
            <Typography.Text style={{ wordBreak: 'break-word' }}>{extensionsText(defaults.blockedExtensions)}</Typography.Text>
            {defaults.builtInExtensions && <Typography.Text type="secondary"> ({t.builtInList})</Typography.Text>}
          </Descriptions.Item>
          <Descriptions.Item label={t.maxAttachmentSize}>{sizeText(t, defaults.maxAttachmentSize)}</Descriptions.Item>
          <Descriptions.Item label={t.encryptedArchives}>{t.encryptedArchiveModes[defaults.encryptedArchives]}</Descriptions.Item>
        </Descriptions>
      </Card>
      <Card size="small" title={t.domainOverrides}>
        {status.domains.length === 0 ? (
          <Typography.Text type="secondary">{t.noDomainOverrides}</Typography.Text>
        ) : (
          <Table
            rowKey="domain"
            size="small"
            pagination={false}
            dataSource={status.domains}
            scroll={{ x: true }}
            columns={[
              { title: t.domain, dataIndex: 'domain' },
              { title: t.junkScore, dataIndex: 'junkScore', render: (v?: number) => v ?? <Typography.Text type="secondary">{t.sameAsDefault} ({defaults.junkScore})</Typography.Text> },
              { title: t.rejectScore, dataIndex: 'rejectScore', render: (v?: number) => v ?? <Typography.Text type="secondary">{t.sameAsDefault} ({defaults.rejectScore})</Typography.Text> },
              { title: t.blockedExtensions, dataIndex: 'blockedExtensions', render: (v?: string[]) => (v ? extensionsText(v) : <Typography.Text type="secondary">{t.sameAsDefault}</Typography.Text>) },
              { title: t.maxAttachmentSize, dataIndex: 'maxAttachmentSize', render: (v?: string) => (v ? sizeText(t, v) : <Typography.Text type="secondary">{t.sameAsDefault}</Typography.Text>) },
              { title: t.encryptedArchives, dataIndex: 'encryptedArchives', render: (v?: Archives) => (v ? t.encryptedArchiveModes[v] : <Typography.Text type="secondary">{t.sameAsDefault}</Typography.Text>) },
            ]}
          />
        )}
      </Card>
      <Typography.Text type="secondary">{t.readOnlySettings}</Typography.Text>
    </Space>
  );
}
