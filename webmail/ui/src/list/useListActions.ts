import { useMemo } from 'react';
import { App } from 'antd';
import { ApiError, type Folder, type MessagePage } from '../api';
import { useT } from '../i18n';
import { findSpecial } from '../folders';
import { markFlagged, markSeen, moveMessages, deleteMessages, reportNotSpam, reportSpam } from '../mailActions';

interface Options {
  folder: string;
  folders: Folder[];
  list: { patch: (fn: (p: MessagePage) => MessagePage) => void; reload: () => Promise<void> };
  reloadFolders: () => Promise<void>;
  afterRemove: () => void;
}

export type ListActions = ReturnType<typeof useListActions>;

/**
 * What can be done to messages of the open folder. The list changes at once; the server call follows,
 * and on failure the list is reloaded and the error shown.
 */
export function useListActions({ folder, folders, list, reloadFolders, afterRemove }: Options) {
  const { t, lang } = useT();
  const { message } = App.useApp();

  const inTrash = findSpecial(folders, '\\Trash')?.path === folder;
  return useMemo(() => {
    const fail = (e: unknown) => {
      message.error(e instanceof ApiError ? e.text(lang) : t.errorGeneric);
      void list.reload();
    };
    const patchRows = (uids: number[], change: (m: MessagePage['messages'][number]) => MessagePage['messages'][number]) =>
      list.patch((p) => ({ ...p, messages: p.messages.map((m) => (uids.includes(m.uid) ? change(m) : m)) }));
    const dropRows = (uids: number[]) =>
      list.patch((p) => ({ ...p, total: Math.max(0, p.total - uids.length), messages: p.messages.filter((m) => !uids.includes(m.uid)) }));

    const removeWith = async (uids: number[], call: () => Promise<void>, done: string) => {
      if (!uids.length) return;
      dropRows(uids);
      afterRemove();
      try {
        await call();
        message.success(done);
        void reloadFolders();
        void list.reload();
      } catch (e) {
        fail(e);
      }
    };
    const patchSeen = (uids: number[], seen: boolean) => patchRows(uids, (m) => ({ ...m, seen }));

    return {
      reloadFolders,
      patchSeen,
      async setSeen(uids: number[], seen: boolean) {
        if (!uids.length) return;
        patchSeen(uids, seen);
        await markSeen(folder, uids, seen).then(reloadFolders, fail);
      },
      async setFlagged(uids: number[], flagged: boolean) {
        if (!uids.length) return;
        patchRows(uids, (m) => ({ ...m, flagged }));
        await markFlagged(folder, uids, flagged).catch(fail);
      },
      remove: (uids: number[]) => removeWith(uids, () => deleteMessages(folder, uids), inTrash ? t.deletedForever : t.deleted),
      spam: (uids: number[]) => removeWith(uids, () => reportSpam(folder, uids), t.markedSpam),
      notSpam: (uids: number[]) => removeWith(uids, () => reportNotSpam(folder, uids), t.markedNotSpam),
      move: (uids: number[], to: string) => removeWith(uids, () => moveMessages(folder, uids, to), t.moved),
    };
  }, [folder, inTrash, list, reloadFolders, afterRemove, message, t, lang]);
}
