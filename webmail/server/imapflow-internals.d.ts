// imapflow's search compiler: the same object → IMAP tokens translation its own search() uses. We hand
// its output to SORT and THREAD, which imapflow 1.7 has no method for (see imap-sort.ts).
declare module 'imapflow/lib/search-compiler.js' {
  import type { ImapFlow, SearchObject } from 'imapflow';
  export function searchCompiler(connection: ImapFlow, query: SearchObject): ImapToken[];
  export type ImapToken = { type: string; value: string } | ImapToken[];
}
