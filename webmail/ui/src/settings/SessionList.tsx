import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, Card, Table, Tag } from 'antd';
import { api, ApiError } from '../api';
import { formatDate, useT } from '../i18n';

interface SessionRow {
  id: string;
  current?: boolean;
  createdAt?: string;
  lastSeenAt?: string;
  ip?: string;
  userAgent?: string;
}

/** The user's sessions, with remote sign-out; a server without /sessions gets a notice, not an error. */
export function SessionList() {
  const { t, lang } = useT();
  const [rows, setRows] = useState<SessionRow[] | null>(null);
  const [state, setState] = useState<'ok' | 'unavailable' | 'failed'>('ok');

  const load = useCallback(async () => {
    try {
      setRows(await api<SessionRow[]>('GET', '/sessions'));
      setState('ok');
    } catch (e) {
      setState(e instanceof ApiError && (e.status === 404 || e.status === 405) ? 'unavailable' : 'failed');
    }
  }, []);
  useEffect(() => void load(), [load]);

  const signOut = async (id: string) => {
    await api('DELETE', `/sessions/${encodeURIComponent(id)}`).catch(() => undefined);
    await load();
  };

  return (
    <Card title={<h2 className="card-heading">{t.sessions}</h2>} className="settings-card" data-testid="sessions">
      {state === 'unavailable' && <Alert type="info" title={t.sessionsUnavailable} />}
      {state === 'failed' && <Alert type="error" title={t.loadFailed} />}
      {state === 'ok' && rows && (
        <Table<SessionRow>
          rowKey="id"
          size="small"
          pagination={false}
          dataSource={rows}
          scroll={{ x: true }}
          columns={[
            { key: 'device', title: t.device, render: (_, s) => <>{s.userAgent ?? '—'} {s.current && <Tag color="#1d6b34">{t.thisSession}</Tag>}</> },
            { key: 'ip', title: t.ipAddress, render: (_, s) => s.ip ?? '—' },
            { key: 'created', title: t.signedInAt, render: (_, s) => formatDate(s.createdAt, lang, true) },
            { key: 'seen', title: t.lastActive, render: (_, s) => formatDate(s.lastSeenAt, lang, true) },
            { key: 'action', title: t.action, render: (_, s) => !s.current && <Button size="small" onClick={() => void signOut(s.id)}>{t.signOutSession}</Button> },
          ]}
        />
      )}
    </Card>
  );
}
