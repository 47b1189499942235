import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, Form, Input, Modal, Select, Space, Table } from 'antd';
import { api, type Page } from './api';
import { useT } from './i18n';
import { showServerError } from './forms';

interface AgencyRow {
  code: string;
  name: string;
  level: string;
  parent: string | null;
}
const LEVELS = ['province', 'department', 'district', 'commune', 'unit'] as const;

export function Agencies() {
  const { t, lang } = useT();
  const [data, setData] = useState<Page<AgencyRow>>({ items: [], total: 0, page: 1, pageSize: 50 });
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState(false);
  const [formError, setFormError] = useState<string>();
  const [form] = Form.useForm();

  const load = useCallback(async () => setData(await api<Page<AgencyRow>>('GET', `/api/admin/agencies?page=${page}&pageSize=50`)), [page]);
  useEffect(() => void load(), [load]);

  return (
    <>
      <Space style={{ marginBottom: 16 }}>
        <Button type="primary" onClick={() => setOpen(true)} data-testid="add-agency">
          {t.addAgency}
        </Button>
      </Space>
      <Table
        rowKey="code"
        dataSource={data.items}
        pagination={{ current: page, pageSize: data.pageSize, total: data.total, onChange: setPage, showSizeChanger: false }}
        scroll={{ x: true }}
        columns={[
          { title: t.code, dataIndex: 'code' },
          { title: t.name, dataIndex: 'name' },
          { title: t.level, dataIndex: 'level', render: (l: (typeof LEVELS)[number]) => t[l] },
          { title: t.parent, dataIndex: 'parent' },
        ]}
      />
      <Modal title={t.addAgency} open={open} onCancel={() => setOpen(false)} onOk={() => form.submit()} okText={t.save} cancelText={t.cancel} forceRender>
        {formError && <Alert type="error" title={formError} style={{ marginBottom: 12 }} />}
        <Form
          form={form}
          layout="vertical"
          onFinish={async (v) => {
            setFormError(undefined);
            try {
              await api('POST', '/api/admin/agencies', Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined && x !== '')));
              setOpen(false);
              form.resetFields();
              await load();
            } catch (err) {
              setFormError(showServerError(form, err, lang));
            }
          }}
        >
          <Form.Item name="code" label={t.code} rules={[{ required: true, message: t.required }]}>
            <Input />
          </Form.Item>
          <Form.Item name="name" label={t.name} rules={[{ required: true, message: t.required }]}>
            <Input />
          </Form.Item>
          <Form.Item name="level" label={t.level} rules={[{ required: true, message: t.required }]}>
            <Select options={LEVELS.map((l) => ({ value: l, label: t[l] }))} />
          </Form.Item>
          <Form.Item name="parent" label={t.parent}>
            <Input />
          </Form.Item>
          <Form.Item name="domain" label={t.domain}>
            <Input />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
