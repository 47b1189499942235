import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, Form, Input, Modal, Space, Table, Tag, Typography } from 'antd';
import { api, type Page } from './api';
import { useT } from './i18n';
import { showServerError } from './forms';

interface MailboxRow {
  address: string;
  displayName: string;
  position: string | null;
  agency: string | null;
  active: boolean;
}

export function Mailboxes() {
  const { t, lang } = useT();
  const [data, setData] = useState<Page<MailboxRow>>({ items: [], total: 0, page: 1, pageSize: 50 });
  const [page, setPage] = useState(1);
  const [agency, setAgency] = useState('');
  const [open, setOpen] = useState(false);
  const [formError, setFormError] = useState<string>();
  const [created, setCreated] = useState<{ address: string; initialPassword?: string }>();
  const [form] = Form.useForm();

  const load = useCallback(async () => {
    const q = new URLSearchParams({ page: String(page), pageSize: '50', ...(agency ? { agency } : {}) });
    setData(await api<Page<MailboxRow>>('GET', `/api/admin/mailboxes?${q}`));
  }, [page, agency]);
  useEffect(() => void load(), [load]);

  const setActive = async (address: string, active: boolean) => {
    await api('POST', `/api/admin/mailboxes/${encodeURIComponent(address)}/${active ? 'resume' : 'suspend'}`);
    await load();
  };

  return (
    <>
      <Space style={{ marginBottom: 16 }} wrap>
        <Input.Search placeholder={t.filterAgency} allowClear onSearch={(v) => { setPage(1); setAgency(v.trim()); }} style={{ width: 240 }} />
        <Button type="primary" onClick={() => setOpen(true)} data-testid="add-mailbox">
          {t.addMailbox}
        </Button>
      </Space>
      {created?.initialPassword && (
        <Alert
          type="success"
          closable={{ onClose: () => setCreated(undefined) }}
          style={{ marginBottom: 16 }}
          title={`${created.address} — ${t.initialPassword}: `}
          description={<Typography.Text copyable code data-testid="initial-password">{created.initialPassword}</Typography.Text>}
        />
      )}
      <Table
        rowKey="address"
        dataSource={data.items}
        pagination={{ current: page, pageSize: data.pageSize, total: data.total, onChange: setPage, showSizeChanger: false }}
        scroll={{ x: true }}
        columns={[
          { title: t.address, dataIndex: 'address' },
          { title: t.fullName, dataIndex: 'displayName' },
          { title: t.position, dataIndex: 'position' },
          { title: t.agency, dataIndex: 'agency' },
          { title: t.status, dataIndex: 'active', render: (a: boolean) => (a ? <Tag color="green">{t.active}</Tag> : <Tag color="red">{t.suspended}</Tag>) },
          {
            title: t.actions,
            render: (_: unknown, row: MailboxRow) => (
              <Button size="small" danger={row.active} onClick={() => setActive(row.address, !row.active)}>
                {row.active ? t.suspend : t.resume}
              </Button>
            ),
          },
        ]}
      />
      <Modal title={t.addMailbox} open={open} onCancel={() => setOpen(false)} onOk={() => form.submit()} okText={t.save} cancelText={t.cancel} forceRender>
        {formError && <Alert type="error" title={formError} style={{ marginBottom: 12 }} />}
        <Form
          form={form}
          layout="vertical"
          onFinish={async (v) => {
            setFormError(undefined);
            try {
              const res = await api<{ address: string; initialPassword?: string }>('POST', '/api/admin/mailboxes', Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined && x !== '')));
              setCreated(res);
              setOpen(false);
              form.resetFields();
              await load();
            } catch (err) {
              setFormError(showServerError(form, err, lang, { full_name: 'displayName' }));
            }
          }}
        >
          <Form.Item name="address" label={t.address} rules={[{ required: true, message: t.required }]}>
            <Input />
          </Form.Item>
          <Form.Item name="displayName" label={t.fullName} rules={[{ required: true, message: t.required }]}>
            <Input />
          </Form.Item>
          <Form.Item name="agency" label={t.agency} rules={[{ required: true, message: t.required }]}>
            <Input />
          </Form.Item>
          <Form.Item name="position" label={t.position}>
            <Input />
          </Form.Item>
          <Form.Item name="phone" label={t.phone}>
            <Input />
          </Form.Item>
          <Form.Item name="cccd" label={t.cccd}>
            <Input />
          </Form.Item>
          <Form.Item name="quota" label={t.quota}>
            <Input placeholder="2G" />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
