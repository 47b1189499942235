import { useCallback, useEffect, useState } from 'react';
import { api, type Folder } from './api';
import type { Strings } from './i18n';

const ORDER = ['\\Inbox', '\\Drafts', '\\Sent', '\\Flagged', '\\All', '\\Archive', '\\Junk', '\\Trash'];

/** The special use of a folder, with INBOX recognised even when the server gives none. */
export function specialUse(folder: Pick<Folder, 'path' | 'specialUse'>): string | null {
  if (folder.path.toUpperCase() === 'INBOX') return '\\Inbox';
  return folder.specialUse ?? null;
}

/** The translated name of a special folder, else the folder's own name. */
export function folderLabel(folder: Folder | undefined, t: Strings): string {
  if (!folder) return '';
  const names: Record<string, string> = {
    '\\Inbox': t.inbox,
    '\\Sent': t.sent,
    '\\Drafts': t.drafts,
    '\\Trash': t.trash,
    '\\Junk': t.junk,
    '\\Archive': t.archive,
    '\\Flagged': t.flaggedFolder,
    '\\All': t.allMail,
  };
  return names[specialUse(folder) ?? ''] ?? folder.name;
}

export function findSpecial(folders: Folder[], use: string): Folder | undefined {
  return folders.find((f) => specialUse(f) === use);
}

/** Special folders first in a fixed order, then the others by path. */
export function sortFolders(folders: Folder[]): Folder[] {
  const rank = (f: Folder) => {
    const i = ORDER.indexOf(specialUse(f) ?? '');
    return i === -1 ? ORDER.length : i;
  };
  return [...folders].sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
}

/** How deep a folder sits (for indenting sub-folders). */
export function folderDepth(folder: Folder): number {
  return folder.delimiter ? folder.path.split(folder.delimiter).length - 1 : 0;
}

export function useFolders(): { folders: Folder[]; reload: () => Promise<void> } {
  const [folders, setFolders] = useState<Folder[]>([]);
  const reload = useCallback(async () => {
    try {
      setFolders(sortFolders(await api<Folder[]>('GET', '/folders')));
    } catch {
      // keep what we have; the next event or refresh tries again
    }
  }, []);
  useEffect(() => void reload(), [reload]);
  return { folders, reload };
}
