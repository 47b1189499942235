/**
 * Message-ID lists from a message's own header block (References, In-Reply-To), for replies that
 * keep the thread. Read from the raw header only — the body is never looked at.
 */
export function headerMessageIds(raw: Buffer, name: string): string[] {
  let end = raw.indexOf('\r\n\r\n');
  if (end < 0) end = raw.indexOf('\n\n');
  const head = raw
    .subarray(0, end < 0 ? Math.min(raw.length, 256 * 1024) : end)
    .toString('latin1')
    .replace(/\r?\n[ \t]+/g, ' ');
  const wanted = name.toLowerCase() + ':';
  const ids: string[] = [];
  for (const line of head.split(/\r?\n/)) {
    if (line.slice(0, wanted.length).toLowerCase() !== wanted) continue;
    for (const m of line.slice(wanted.length).matchAll(/<[^<>\s]{1,500}>/g)) ids.push(m[0]);
  }
  return ids.slice(0, 100);
}
