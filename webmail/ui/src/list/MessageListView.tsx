import { Alert, Button, Space, Typography } from 'antd';
import type { Folder, MessagePage } from '../api';
import { useT } from '../i18n';
import { folderLabel, specialUse } from '../folders';
import type { ListQuery } from '../useMessageList';
import type { ListActions } from './useListActions';
import { ListToolbar } from './ListToolbar';
import { MessageTable } from './MessageTable';

interface Props {
  folder: Folder | undefined;
  folders: Folder[];
  list: { data: MessagePage; loading: boolean; failed: boolean };
  query: Omit<ListQuery, 'folder'>;
  onQuery: (q: Partial<Omit<ListQuery, 'folder'>>) => void;
  selected: number[];
  onSelect: (uids: number[]) => void;
  cursor: number;
  onOpen: (index: number) => void;
  actions: ListActions;
  onRefresh: () => void;
}

/** A folder's heading, the toolbar and the table; or the search results with a way back. */
export function MessageListView({ folder, folders, list, query, onQuery, selected, onSelect, cursor, onOpen, actions, onRefresh }: Props) {
  const { t } = useT();
  const path = folder?.path ?? 'INBOX';
  const searching = Object.keys(query.search).length > 0;
  const use = folder ? specialUse(folder) : null;
  return (
    <section aria-labelledby="list-heading" className="list-view">
      <Space className="list-heading" wrap>
        <Typography.Title level={1} id="list-heading" className="view-title">
          {searching ? `${t.searchResults} — ${folderLabel(folder, t)}` : folderLabel(folder, t) || t.inbox}
        </Typography.Title>
        {searching && <Button onClick={() => onQuery({ search: {}, page: 1 })}>{t.clearSearch}</Button>}
      </Space>
      <ListToolbar
        folders={folders}
        current={path}
        count={selected.length}
        onDelete={() => actions.remove(selected)}
        onSpam={() => actions.spam(selected)}
        onNotSpam={() => actions.notSpam(selected)}
        onSeen={(seen) => actions.setSeen(selected, seen)}
        onFlag={(flagged) => actions.setFlagged(selected, flagged)}
        onMove={(to) => actions.move(selected, to)}
        onRefresh={onRefresh}
      />
      {list.failed && <Alert type="error" title={t.loadFailed} role="alert" className="gap-below" />}
      <MessageTable
        data={list.data}
        loading={list.loading}
        query={query}
        onQuery={onQuery}
        selected={selected}
        onSelect={onSelect}
        cursor={cursor}
        onOpen={onOpen}
        onFlag={(uid, flagged) => actions.setFlagged([uid], flagged)}
        showRecipients={use === '\\Sent' || use === '\\Drafts'}
      />
    </section>
  );
}
