import { api } from './api';

const folderPath = (folder: string) => `/messages/${encodeURIComponent(folder)}`;

export function setFlags(folder: string, uids: number[], change: { add?: string[]; remove?: string[] }): Promise<void> {
  return api('POST', `${folderPath(folder)}/flags`, { uids, ...change });
}
export function markSeen(folder: string, uids: number[], seen: boolean): Promise<void> {
  return setFlags(folder, uids, seen ? { add: ['\\Seen'] } : { remove: ['\\Seen'] });
}
export function markFlagged(folder: string, uids: number[], flagged: boolean): Promise<void> {
  return setFlags(folder, uids, flagged ? { add: ['\\Flagged'] } : { remove: ['\\Flagged'] });
}
export function moveMessages(folder: string, uids: number[], to: string): Promise<void> {
  return api('POST', `${folderPath(folder)}/move`, { uids, to });
}
/** To Trash; from Trash the server expunges. */
export function deleteMessages(folder: string, uids: number[]): Promise<void> {
  return api('POST', `${folderPath(folder)}/delete`, { uids });
}
export function reportSpam(folder: string, uids: number[]): Promise<void> {
  return api('POST', `${folderPath(folder)}/spam`, { uids });
}
/** Back to INBOX from Junk; the spam filter learns the message was wanted. */
export function reportNotSpam(folder: string, uids: number[]): Promise<void> {
  return api('POST', `${folderPath(folder)}/not-spam`, { uids });
}
