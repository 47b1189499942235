import { useEffect, useRef, useState } from 'react';
import { Button, Checkbox, Form, Grid, Input, Modal, Space, type InputRef } from 'antd';
import { SearchIcon } from './SearchIcon';
import type { SearchCriteria } from './api';
import { useT } from './i18n';

type AdvancedFields = Omit<SearchCriteria, 'q'>;

/** Quick search over the whole message, and a form for from, to, subject, body, dates and attachments. */
export function SearchBar({ focusSignal, current, onSearch }: { focusSignal: number; current: string; onSearch: (c: SearchCriteria) => void }) {
  const { t } = useT();
  const input = useRef<InputRef>(null);
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const [form] = Form.useForm<AdvancedFields>();
  const wide = Grid.useBreakpoint().md ?? true;
  const [text, setText] = useState(current);
  // A search cleared or replaced elsewhere shows here too.
  useEffect(() => setText(current), [current]);

  useEffect(() => {
    if (focusSignal) input.current?.focus({ cursor: 'all' });
  }, [focusSignal]);

  const runAdvanced = (v: AdvancedFields) => {
    const criteria: SearchCriteria = {};
    for (const [k, value] of Object.entries(v) as [keyof AdvancedFields, string | boolean | undefined][]) {
      if (typeof value === 'string' && value.trim()) (criteria as Record<string, string>)[k] = value.trim();
      if (value === true) criteria.hasAttachment = true;
    }
    setAdvancedOpen(false);
    onSearch(criteria);
  };

  return (
    <div role="search" className="search-bar">
      <Space.Compact block>
        <Input.Search
          ref={input}
          aria-label={t.search}
          placeholder={t.searchPlaceholder}
          allowClear
          value={text}
          onChange={(e) => setText(e.target.value)}
          enterButton={
            wide ? t.search : (
              <span>
                <SearchIcon />
                <span className="sr-only">{t.search}</span>
              </span>
            )
          }
          onSearch={(q) => onSearch(q.trim() ? { q: q.trim() } : {})}
          data-testid="quick-search"
        />
        <Button onClick={() => setAdvancedOpen(true)} aria-label={t.advancedSearch} title={t.advancedSearch}>
          <span aria-hidden="true">▾</span>
        </Button>
      </Space.Compact>
      <Modal
        open={advancedOpen}
        title={t.advancedSearch}
        onCancel={() => setAdvancedOpen(false)}
        onOk={() => form.submit()}
        okText={t.search}
        cancelText={t.close}
        destroyOnHidden
      >
        <Form form={form} name="search" layout="vertical" onFinish={runAdvanced}>
          <Form.Item name="from" label={t.from}>
            <Input />
          </Form.Item>
          <Form.Item name="to" label={t.to}>
            <Input />
          </Form.Item>
          <Form.Item name="subject" label={t.subject}>
            <Input />
          </Form.Item>
          <Form.Item name="body" label={t.body}>
            <Input />
          </Form.Item>
          <Space wrap>
            <Form.Item name="since" label={t.since}>
              <Input type="date" />
            </Form.Item>
            <Form.Item name="before" label={t.before}>
              <Input type="date" />
            </Form.Item>
          </Space>
          <Form.Item name="hasAttachment" valuePropName="checked">
            <Checkbox>{t.hasAttachment}</Checkbox>
          </Form.Item>
          <Button htmlType="button" onClick={() => { form.resetFields(); runAdvanced({}); }}>
            {t.clearSearch}
          </Button>
        </Form>
      </Modal>
    </div>
  );
}
