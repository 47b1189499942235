import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { Drawer, Grid, Layout, Spin } from 'antd';
import type { RenderedMessage, SearchCriteria, User } from './api';
import { useT } from './i18n';
import { findSpecial, useFolders } from './folders';
import { PAGE_SIZE, useMessageList, type ListQuery } from './useMessageList';
import { useMailEvents } from './useMailEvents';
import { useShortcuts } from './useShortcuts';
import { TopBar } from './TopBar';
import { FolderNav } from './FolderNav';
import { MessageListView } from './list/MessageListView';
import { MessageReader } from './reader/MessageReader';
import { ShortcutHelp } from './ShortcutHelp';
import type { ComposeInit, ComposeMode } from './compose/types';
import { useListActions } from './list/useListActions';

const ComposeView = lazy(() => import('./compose/ComposeView'));
const SettingsView = lazy(() => import('./settings/SettingsView'));

type View = { kind: 'list' } | { kind: 'message'; uid: number } | { kind: 'compose'; init: ComposeInit; back: View } | { kind: 'settings' };

const FIRST_PAGE: Omit<ListQuery, 'folder'> = { page: 1, pageSize: PAGE_SIZE, sort: 'date', order: 'desc', search: {} };

/** The signed-in screen: folders, the list or a message, compose and settings, and the keyboard shortcuts. */
export function MailApp({ user, onLogout }: { user: User; onLogout: () => void }) {
  const { t } = useT();
  const wide = Grid.useBreakpoint().md ?? true;
  const { folders, reload: reloadFolders } = useFolders();
  const [folder, setFolder] = useState('INBOX');
  const [listQuery, setListQuery] = useState(FIRST_PAGE);
  const list = useMessageList({ folder, ...listQuery });
  const [view, setView] = useState<View>({ kind: 'list' });
  const [cursor, setCursor] = useState(0);
  const [selected, setSelected] = useState<number[]>([]);
  const [helpOpen, setHelpOpen] = useState(false);
  const [navOpen, setNavOpen] = useState(false);
  const [searchFocus, setSearchFocus] = useState(0);
  const clearSelection = useCallback(() => setSelected([]), []);
  const actions = useListActions({ folder, folders, list, reloadFolders, afterRemove: clearSelection });

  const inboxUnseen = folders.find((f) => f.path.toUpperCase() === 'INBOX')?.unseen ?? 0;
  useEffect(() => {
    document.title = inboxUnseen ? `(${inboxUnseen}) ${t.appTitle}` : t.appTitle;
  }, [inboxUnseen, t]);

  const refresh = useCallback(() => Promise.all([reloadFolders(), list.reload()]), [reloadFolders, list]);
  useMailEvents((changed) => {
    void reloadFolders();
    if (changed === folder) void list.reload();
  });

  const openFolder = (path: string) => {
    setFolder(path);
    setListQuery(FIRST_PAGE);
    setSelected([]);
    setCursor(0);
    setView({ kind: 'list' });
    setNavOpen(false);
  };
  const search = (criteria: SearchCriteria) => {
    setListQuery({ ...FIRST_PAGE, sort: listQuery.sort, order: listQuery.order, search: criteria });
    setCursor(0);
    setView({ kind: 'list' });
  };
  const messages = list.data.messages;
  const openAt = (index: number) => {
    const m = messages[index];
    if (!m) return;
    setCursor(index);
    setView({ kind: 'message', uid: m.uid });
    if (!m.seen) actions.patchSeen([m.uid], true);
  };
  const compose = (mode: ComposeMode, source?: RenderedMessage) => setView({ kind: 'compose', init: { mode, source }, back: view.kind === 'compose' ? { kind: 'list' } : view });
  const step = (delta: number) => {
    if (!messages.length) return;
    const next = Math.min(Math.max(cursor + delta, 0), messages.length - 1);
    if (view.kind === 'message') openAt(next);
    else setCursor(next);
  };
  /** The open message is about to leave the folder: show the one after it, which then takes its place. */
  const leaveMessage = () => {
    const next = messages[cursor + 1];
    if (!next) {
      setCursor(Math.max(0, cursor - 1));
      return setView({ kind: 'list' });
    }
    setView({ kind: 'message', uid: next.uid });
    if (!next.seen) actions.patchSeen([next.uid], true);
  };
  const inMail = view.kind === 'list' || view.kind === 'message';

  useShortcuts({
    c: () => view.kind !== 'compose' && compose('new'),
    '/': () => setSearchFocus((n) => n + 1),
    '?': () => setHelpOpen(true),
    j: () => inMail && step(1),
    k: () => inMail && step(-1),
    o: () => view.kind === 'list' && openAt(cursor),
    '#': () => view.kind === 'list' && actions.remove(selected.length ? selected : messages[cursor] ? [messages[cursor].uid] : []),
    Escape: () => (view.kind === 'message' || view.kind === 'settings') && setView({ kind: 'list' }),
  });

  const nav = <FolderNav folders={folders} current={view.kind === 'settings' ? '' : folder} onOpen={openFolder} onCompose={() => compose('new')} />;
  const lazyFallback = <Spin className="center-spin" description={t.loading} />;

  return (
    <Layout className="app">
      <TopBar
        user={user}
        wide={wide}
        searchFocus={searchFocus}
        searchText={listQuery.search.q ?? ''}
        onSearch={search}
        onMenu={() => setNavOpen(true)}
        onHelp={() => setHelpOpen(true)}
        onSettings={() => setView({ kind: 'settings' })}
        onLogout={onLogout}
      />
      <Layout>
        {wide ? (
          <Layout.Sider width={232} theme="light" className="folder-sider">{nav}</Layout.Sider>
        ) : (
          <Drawer open={navOpen} onClose={() => setNavOpen(false)} placement="left" size={260} title={t.folders}>{nav}</Drawer>
        )}
        <Layout.Content className="content">
          {view.kind === 'list' && (
            <MessageListView
              folder={folders.find((f) => f.path === folder)}
              folders={folders}
              list={list}
              query={listQuery}
              onQuery={(q) => setListQuery({ ...listQuery, ...q })}
              selected={selected}
              onSelect={setSelected}
              cursor={cursor}
              onOpen={openAt}
              actions={actions}
              onRefresh={refresh}
            />
          )}
          {view.kind === 'message' && (
            <MessageReader
              key={`${folder}/${view.uid}`}
              folder={folder}
              uid={view.uid}
              folders={folders}
              position={{ index: cursor, count: messages.length }}
              onStep={step}
              onLeave={leaveMessage}
              onBack={() => setView({ kind: 'list' })}
              onCompose={compose}
              actions={actions}
            />
          )}
          <Suspense fallback={lazyFallback}>
            {view.kind === 'compose' && (
              <ComposeView
                init={view.init}
                user={user}
                draftsFolder={findSpecial(folders, '\\Drafts')?.path}
                onClose={(sent) => {
                  setView(view.back);
                  if (sent) void refresh();
                }}
              />
            )}
            {view.kind === 'settings' && <SettingsView onBack={() => setView({ kind: 'list' })} />}
          </Suspense>
        </Layout.Content>
      </Layout>
      <ShortcutHelp open={helpOpen} onClose={() => setHelpOpen(false)} />
    </Layout>
  );
}
