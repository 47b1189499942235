import { useEffect, useState } from 'react';
import { Table } from 'antd';
import { api, type Page } from './api';
import { useT } from './i18n';

interface Entry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
}

export function Audit() {
  const { t } = useT();
  const [page, setPage] = useState(1);
  const [data, setData] = useState<Page<Entry>>({ items: [], total: 0, page: 1, pageSize: 50 });
  useEffect(() => void api<Page<Entry>>('GET', `/api/admin/audit?page=${page}&pageSize=50`).then(setData), [page]);
  return (
    <Table
      rowKey="id"
      dataSource={data.items}
      pagination={{ current: page, pageSize: data.pageSize, total: data.total, onChange: setPage, showSizeChanger: false }}
      scroll={{ x: true }}
      columns={[
        { title: t.time, dataIndex: 'at', render: (at: string) => new Date(at).toLocaleString('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh' }) },
        { title: t.actor, dataIndex: 'actor' },
        { title: t.action, dataIndex: 'action' },
        { title: t.target, dataIndex: 'target' },
      ]}
    />
  );
}
