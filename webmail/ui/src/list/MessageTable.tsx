import { useEffect, useRef } from 'react';
import { Grid, Table, type TableProps } from 'antd';
import type { MessagePage, MessageSummary, SortKey } from '../api';
import { formatDate, formatSize, useT } from '../i18n';
import { fullAddresses, shortName } from '../addresses';
import type { ListQuery } from '../useMessageList';
import { StarButton } from './StarButton';
import { PaperclipIcon } from '../PaperclipIcon';

interface Props {
  data: MessagePage;
  loading: boolean;
  query: Omit<ListQuery, 'folder'>;
  onQuery: (q: Partial<Omit<ListQuery, 'folder'>>) => void;
  selected: number[];
  onSelect: (uids: number[]) => void;
  cursor: number;
  onOpen: (index: number) => void;
  onFlag: (uid: number, flagged: boolean) => void;
  /** Whose address to show: the recipients in Sent and Drafts, the sender elsewhere. */
  showRecipients: boolean;
}

/** The paged, sortable message list. A row opens on click or Enter on its subject link. */
export function MessageTable({ data, loading, query, onQuery, selected, onSelect, cursor, onOpen, onFlag, showRecipients }: Props) {
  const { t, lang } = useT();
  const wide = Grid.useBreakpoint().md ?? true;
  const body = useRef<HTMLDivElement>(null);

  const cursorLink = () => body.current?.querySelector<HTMLElement>(`[data-row-index="${cursor}"] .subject-link`);
  useEffect(() => {
    // j/k move the focus along with the cursor, so Enter opens what is highlighted.
    const link = cursorLink();
    link?.scrollIntoView({ block: 'nearest' });
    const focused = document.activeElement;
    if (focused === document.body || focused?.classList.contains('subject-link')) link?.focus({ preventScroll: true });
    // follows the cursor only
  }, [cursor]);
  useEffect(() => {
    // Back from a message, focus was on something that is gone: put it on the message we came from.
    if (document.activeElement === document.body) cursorLink()?.focus({ preventScroll: true });
    // only when the list appears
  }, [data.messages.length > 0]);

  const sortOrder = (key: SortKey) => (query.sort === key ? (query.order === 'asc' ? 'ascend' : 'descend') : null);
  const who = (m: MessageSummary) => (showRecipients ? m.to : m.from);
  // The spoken extras stay outside the link: its name is the subject alone.
  const subjectLink = (m: MessageSummary, index: number) => (
    <>
      {!m.seen && <span className="sr-only">{t.unread}: </span>}
      <a
        href={`#${m.uid}`}
        className="subject-link"
        onClick={(e) => {
          e.preventDefault();
          onOpen(index);
        }}
      >
        {m.subject || t.noSubject}
      </a>
      {m.hasAttachments && (
        <span className="attachment-mark" title={t.hasAttachment}>
          {' '}
          <PaperclipIcon />
          <span className="sr-only">{t.hasAttachment}</span>
        </span>
      )}
    </>
  );
  const star = (m: MessageSummary) => <StarButton flagged={m.flagged} onToggle={() => onFlag(m.uid, !m.flagged)} />;

  const columns: TableProps<MessageSummary>['columns'] = wide
    ? [
        { key: 'star', width: 44, title: <span className="sr-only">{t.flag}</span>, render: (_, m) => star(m) },
        { key: 'from', title: showRecipients ? t.to : t.from, sorter: true, sortOrder: sortOrder('from'), width: '24%', ellipsis: true, render: (_, m) => <span title={fullAddresses(who(m))}>{shortName(who(m))}</span> },
        { key: 'subject', title: t.subject, sorter: true, sortOrder: sortOrder('subject'), ellipsis: true, render: (_, m, i) => subjectLink(m, i) },
        { key: 'date', title: t.date, sorter: true, sortOrder: sortOrder('date'), width: 120, align: 'end', render: (_, m) => <time dateTime={m.date}>{formatDate(m.date, lang)}</time> },
        { key: 'size', title: t.size, sorter: true, sortOrder: sortOrder('size'), width: 124, align: 'end', responsive: ['lg'], render: (_, m) => formatSize(m.size) },
      ]
    : [
        { key: 'star', width: 40, title: <span className="sr-only">{t.flag}</span>, render: (_, m) => star(m) },
        {
          key: 'message',
          title: t.messageList,
          render: (_, m, i) => (
            <div className="compact-row">
              <span className="compact-from">{shortName(who(m))}</span>
              <time dateTime={m.date}>{formatDate(m.date, lang)}</time>
              <div className="compact-subject">{subjectLink(m, i)}</div>
            </div>
          ),
        },
      ];

  return (
    <div ref={body}>
      <Table<MessageSummary>
        rowKey="uid"
        size="small"
        loading={loading}
        dataSource={data.messages}
        columns={columns}
        tableLayout="fixed"
        showSorterTooltip={false}
        sortDirections={['descend', 'ascend']}
        locale={{ emptyText: t.noMessages }}
        rowClassName={(m, i) => `${m.seen ? 'row-read' : 'row-unread'}${i === cursor ? ' row-cursor' : ''}`}
        onRow={(_, i) => ({ 'data-row-index': i, onClick: (e) => !(e.target as HTMLElement).closest('button, a, input, label') && onOpen(i ?? 0) }) as React.HTMLAttributes<HTMLElement>}
        rowSelection={{
          selectedRowKeys: selected,
          onChange: (keys) => onSelect(keys as number[]),
          getCheckboxProps: (m) => ({ 'aria-label': t.selectMessage(m.subject || t.noSubject) }),
          getTitleCheckboxProps: () => ({ 'aria-label': t.selectAll }),
          columnWidth: 40,
        }}
        onChange={(_p, _f, sorter, extra) => {
          // antd calls this on paging too; only a sort change resets to page 1 (pagination.onChange pages).
          if (extra.action !== 'sort') return;
          const s = Array.isArray(sorter) ? sorter[0] : sorter;
          if (!s?.order) return onQuery({ sort: 'date', order: 'desc', page: 1 });
          onQuery({ sort: s.columnKey as SortKey, order: s.order === 'ascend' ? 'asc' : 'desc', page: 1 });
        }}
        pagination={{
          current: data.page,
          pageSize: data.pageSize,
          total: data.total,
          showSizeChanger: false,
          size: 'small',
          showTotal: (total, [from, to]) => t.rangeOf(from, to, total),
          onChange: (page) => onQuery({ page }),
        }}
      />
    </div>
  );
}
