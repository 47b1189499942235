import type { ListResponse } from 'imapflow';

/**
 * Where each source folder goes in our store. Our hierarchy separator is "/" and our special folders
 * are Drafts, Sent, Trash, Junk (mailstore SPECIAL_FOLDERS) plus a plain "Archive". A source folder is
 * taken as special when the server flags it (RFC 6154 SPECIAL-USE) or, for a top-level folder (or one
 * directly under INBOX, Courier style), when its name is a known one in some language: imapflow's
 * list() recognises "Sent Items", "Đã gửi", "Deleted Items", "Thư rác"… A "Sent" deeper down the tree
 * ("Dự án/Sent") is an ordinary folder and keeps its name.
 */
const OUR_SPECIAL: Record<string, string> = {
  '\\Sent': 'Sent',
  '\\Drafts': 'Drafts',
  '\\Trash': 'Trash',
  '\\Junk': 'Junk',
  '\\Archive': 'Archive',
};

/** Vietnamese names imapflow's list does not know, as Vietnamese servers and clients name them (NFC, lower case). */
const VIETNAMESE_NAMES: Record<string, string> = {
  'bản nháp': '\\Drafts',
  'nháp': '\\Drafts',
  'thư nháp': '\\Drafts',
  'đã gửi': '\\Sent',
  'thư đã gửi': '\\Sent',
  'thư gửi đi': '\\Sent',
  'thùng rác': '\\Trash',
  'đã xóa': '\\Trash',
  'đã xoá': '\\Trash',
  'thư đã xóa': '\\Trash',
  'thư rác': '\\Junk',
  'lưu trữ': '\\Archive',
};

/** Views of other folders, not folders of their own: copying them would store every message twice. */
const VIRTUAL = new Set(['\\All', '\\Flagged']);

export interface FolderPlan {
  source: string;
  /** The source path with "/" between levels, for people and for --folders patterns. */
  display: string;
  target: string;
  specialUse?: string;
}

export function planFolder(entry: ListResponse, namespacePrefix: string): FolderPlan | undefined {
  if (entry.flags.has('\\Noselect') || entry.flags.has('\\NonExistent')) return undefined;
  const delimiter = entry.delimiter || '/';
  if (entry.path.toUpperCase() === 'INBOX') return { source: entry.path, display: 'INBOX', target: 'INBOX' };
  let rest = entry.path;
  if (namespacePrefix && rest.startsWith(namespacePrefix)) rest = rest.slice(namespacePrefix.length);
  // Our separator inside a level name would split it into two levels here: keep it one level.
  const levels = rest.split(delimiter).map((l) => (delimiter === '/' ? l : l.replace(/\//g, '_')));
  const display = levels.join('/');
  const use = entry.specialUse || VIETNAMESE_NAMES[levels[levels.length - 1].normalize('NFC').toLowerCase()];
  const fromServer = (entry as ListResponse & { specialUseSource?: string }).specialUseSource === 'extension' || (entry.flags && use ? entry.flags.has(use) : false);
  if (use && VIRTUAL.has(use) && fromServer) return undefined;
  const shallow = levels.length === 1 || (levels.length === 2 && levels[0].toUpperCase() === 'INBOX');
  if (use && OUR_SPECIAL[use] && (fromServer || shallow)) return { source: entry.path, display, target: OUR_SPECIAL[use], specialUse: use };
  return { source: entry.path, display, target: display };
}

/**
 * `--folders "INBOX,Công văn*,!Trash"`: comma-separated patterns on the source path (levels joined by
 * "/"), `*` any run of characters, `?` one, case-insensitive; a leading "!" excludes. No include
 * pattern means every folder.
 */
export function folderFilter(spec: string | undefined): (display: string) => boolean {
  const parts = (spec ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  const toRe = (glob: string) => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'iu');
  const include = parts.filter((p) => !p.startsWith('!')).map(toRe);
  const exclude = parts.filter((p) => p.startsWith('!')).map((p) => toRe(p.slice(1)));
  return (display) => (!include.length || include.some((r) => r.test(display))) && !exclude.some((r) => r.test(display));
}
