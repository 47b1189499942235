import { fileTypeFromBuffer } from 'file-type';
import yauzl from 'yauzl';
import type { Reply } from '../rules.js';

/**
 * The attachment policy: what may arrive as a file, judged by the file's real type (its first bytes)
 * and by its name, inside zip archives too. Data-driven and per domain (`AttachmentPolicy`); the rules
 * are plain functions over the attachments mailparser found, so they are tested without a server.
 */
export interface AttachmentPolicy {
  /** Name extensions refused wherever they are the last one (`.pdf.exe` ends in exe), lower-case, no dot. */
  blockedExtensions: readonly string[];
  /** Largest single attachment in bytes; 0 = only the message size limit applies. */
  maxAttachmentBytes: number;
  /** A password-protected archive cannot be looked into: refuse it, file it in Junk, or let it through. */
  encryptedArchives: 'refuse' | 'junk' | 'allow';
}

export const DEFAULT_BLOCKED_EXTENSIONS = [
  'exe', 'scr', 'com', 'pif', 'cpl', 'dll', 'msi', 'msp', 'js', 'jse', 'vbs', 'vbe', 'wsf', 'wsh', 'hta',
  'bat', 'cmd', 'ps1', 'psm1', 'jar', 'lnk', 'iso', 'img', 'vhd', 'vhdx', 'reg', 'appx', 'msix', 'application',
] as const;

export const DEFAULT_ATTACHMENT_POLICY: AttachmentPolicy = { blockedExtensions: DEFAULT_BLOCKED_EXTENSIONS, maxAttachmentBytes: 0, encryptedArchives: 'junk' };

/** Real types (file-type's names) that are programs whatever the name says. */
const EXECUTABLE_TYPES = new Set(['exe', 'elf', 'macho', 'class', 'dex', 'lnk', 'wasm']);
const isZip = (head: Buffer) => head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
// Directional overrides make "congvan\u202Efdp.exe" display as "congvanexe.pdf".
const BIDI_CONTROLS = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const SNIFF_BYTES = 4100;
const MAX_ARCHIVE_DEPTH = 3;
const MAX_ARCHIVE_ENTRIES = 2000;
const MAX_NESTED_ARCHIVE_BYTES = 20 * 1024 * 1024;

export interface AttachmentFile {
  filename?: string;
  content: Buffer;
}

export type AttachmentFinding =
  | { verdict: 'refuse'; file: string; why: RefusalReason }
  | { verdict: 'junk'; file: string; why: 'encrypted-archive' }
  | { verdict: 'ok' };

export type RefusalReason =
  | { kind: 'extension'; extension: string }
  | { kind: 'executable'; type: string }
  | { kind: 'hidden-name' }
  | { kind: 'too-big'; size: number; max: number }
  | { kind: 'encrypted-archive' }
  | { kind: 'unreadable-archive' };

/** The last extension of a file name, lower-case, ignoring trailing dots and spaces (Windows does too). */
export function lastExtension(name: string): string {
  const trimmed = name.replace(/[.\s]+$/u, '');
  const dot = trimmed.lastIndexOf('.');
  return dot < 0 ? '' : trimmed.slice(dot + 1).trim().toLowerCase();
}

/** What a name alone says, or undefined when the name is fine. */
export function nameVerdict(name: string, policy: AttachmentPolicy): RefusalReason | undefined {
  if (BIDI_CONTROLS.test(name)) return { kind: 'hidden-name' };
  const base = name.split(/[\\/]/).pop() ?? name;
  const ext = lastExtension(base);
  if (ext && policy.blockedExtensions.includes(ext)) return { kind: 'extension', extension: ext };
  return undefined;
}

async function realType(head: Buffer): Promise<string | undefined> {
  if (head.length >= 2 && head[0] === 0x23 && head[1] === 0x21) return 'script';
  return (await fileTypeFromBuffer(head.subarray(0, SNIFF_BYTES)))?.ext;
}

/** Judges one attachment: size, name, real type, and for a zip every member the same way. */
export async function judgeAttachment(file: AttachmentFile, policy: AttachmentPolicy): Promise<AttachmentFinding> {
  const name = file.filename ?? '(không tên / unnamed)';
  if (policy.maxAttachmentBytes > 0 && file.content.length > policy.maxAttachmentBytes) {
    return { verdict: 'refuse', file: name, why: { kind: 'too-big', size: file.content.length, max: policy.maxAttachmentBytes } };
  }
  if (file.filename) {
    const byName = nameVerdict(file.filename, policy);
    if (byName) return { verdict: 'refuse', file: name, why: byName };
  }
  return judgeContent(name, file.content, async () => file.content, policy, 0);
}

/** Judges bytes by their real type; `whole` gives the full content when it is an archive to open. */
async function judgeContent(name: string, head: Buffer, whole: () => Promise<Buffer | undefined>, policy: AttachmentPolicy, depth: number): Promise<AttachmentFinding> {
  const type = await realType(head);
  if (type && EXECUTABLE_TYPES.has(type)) return { verdict: 'refuse', file: name, why: { kind: 'executable', type } };
  if (type === 'script') return { verdict: 'refuse', file: name, why: { kind: 'executable', type: 'script' } };
  // Office documents, ODF, EPUB and APK are zips too, and so is anything whose first member makes file-type say so.
  if (isZip(head)) {
    const content = await whole();
    if (!content) return { verdict: 'refuse', file: name, why: { kind: 'unreadable-archive' } };
    return judgeZip(name, content, policy, depth + 1);
  }
  return { verdict: 'ok' };
}

interface ZipMember {
  name: string;
  encrypted: boolean;
  size: number;
  read(limit: number): Promise<Buffer>;
}

/** Lists a zip from its central directory; members are read lazily, and never more than `limit` bytes. */
function listZip(content: Buffer): Promise<ZipMember[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(content, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('not a zip'));
      const members: ZipMember[] = [];
      zip.on('error', reject);
      zip.on('end', () => resolve(members));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (members.length >= MAX_ARCHIVE_ENTRIES) return reject(new Error(`more than ${MAX_ARCHIVE_ENTRIES} entries`));
        const encrypted = (entry.generalPurposeBitFlag & 1) !== 0;
        members.push({
          name: entry.fileName,
          encrypted,
          size: entry.uncompressedSize,
          read: (limit) => readMember(zip, entry, limit),
        });
        zip.readEntry();
      });
      zip.readEntry();
    });
  });
}

function readMember(zip: yauzl.ZipFile, entry: yauzl.Entry, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) return reject(err ?? new Error('unreadable member'));
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        // Only the head is needed for the type; a zip bomb is never inflated past the limit.
        if (size >= limit) stream.destroy();
      });
      stream.on('close', () => resolve(Buffer.concat(chunks).subarray(0, limit)));
      stream.on('end', () => resolve(Buffer.concat(chunks).subarray(0, limit)));
      stream.on('error', (e) => (size >= limit ? resolve(Buffer.concat(chunks).subarray(0, limit)) : reject(e)));
    });
  });
}

async function judgeZip(archive: string, content: Buffer, policy: AttachmentPolicy, depth: number): Promise<AttachmentFinding> {
  if (depth > MAX_ARCHIVE_DEPTH) return { verdict: 'refuse', file: archive, why: { kind: 'unreadable-archive' } };
  let members: ZipMember[];
  try {
    members = await listZip(content);
  } catch {
    return { verdict: 'refuse', file: archive, why: { kind: 'unreadable-archive' } };
  }
  let encrypted: string | undefined;
  for (const m of members) {
    if (m.name.endsWith('/')) continue;
    const label = `${archive}/${m.name}`;
    const byName = nameVerdict(m.name, policy);
    if (byName) return { verdict: 'refuse', file: label, why: byName };
    if (m.encrypted) {
      encrypted ??= label;
      continue;
    }
    let head: Buffer;
    try {
      head = await m.read(SNIFF_BYTES);
    } catch {
      return { verdict: 'refuse', file: label, why: { kind: 'unreadable-archive' } };
    }
    const whole = () => (m.size <= MAX_NESTED_ARCHIVE_BYTES ? m.read(MAX_NESTED_ARCHIVE_BYTES).catch(() => undefined) : Promise.resolve(undefined));
    const inner = await judgeContent(label, head, whole, policy, depth);
    if (inner.verdict === 'refuse') return inner;
    // A nested encrypted archive marks the whole as junk, but every later member is still judged.
    if (inner.verdict === 'junk') encrypted ??= inner.file;
  }
  if (encrypted) {
    if (policy.encryptedArchives === 'refuse') return { verdict: 'refuse', file: encrypted, why: { kind: 'encrypted-archive' } };
    if (policy.encryptedArchives === 'junk') return { verdict: 'junk', file: encrypted, why: 'encrypted-archive' };
  }
  return { verdict: 'ok' };
}

/** The first finding that is not ok over all attachments (a refusal beats a junk mark). */
export async function judgeAttachments(files: readonly AttachmentFile[], policy: AttachmentPolicy): Promise<AttachmentFinding> {
  let junk: AttachmentFinding | undefined;
  for (const f of files) {
    const finding = await judgeAttachment(f, policy);
    if (finding.verdict === 'refuse') return finding;
    if (finding.verdict === 'junk') junk ??= finding;
  }
  return junk ?? { verdict: 'ok' };
}

function describe(why: RefusalReason): { en: string; vi: string } {
  switch (why.kind) {
    case 'extension':
      return { en: `files ending in .${why.extension} are not accepted`, vi: `không nhận tệp có đuôi .${why.extension}` };
    case 'executable':
      return { en: `it is a program (${why.type}), whatever its name says`, vi: `đây là tệp chương trình (${why.type}) dù tên tệp nói gì` };
    case 'hidden-name':
      return { en: 'its name hides its real extension with direction marks', vi: 'tên tệp dùng ký tự đảo chiều để che đuôi thật' };
    case 'too-big':
      return { en: `it is ${why.size} bytes, the limit is ${why.max}`, vi: `tệp ${why.size} byte, vượt giới hạn ${why.max} byte` };
    case 'encrypted-archive':
      return { en: 'it is a password-protected archive that cannot be checked', vi: 'tệp nén có mật khẩu, không kiểm tra được' };
    case 'unreadable-archive':
      return { en: 'it is an archive that cannot be read or is nested too deep', vi: 'tệp nén hỏng hoặc lồng quá sâu, không kiểm tra được' };
  }
}

/** The 5xx the sender reads: which file, and why, in English and Vietnamese. */
export function attachmentReply(finding: Extract<AttachmentFinding, { verdict: 'refuse' }>): Reply {
  const { en, vi } = describe(finding.why);
  const file = finding.file.replace(/[\r\n]/g, ' ').slice(0, 120);
  const code = finding.why.kind === 'too-big' ? 552 : 550;
  const enhanced = finding.why.kind === 'too-big' ? '5.3.4' : '5.7.1';
  return { code, message: `${enhanced} Attachment "${file}" refused: ${en} / Tệp đính kèm "${file}" bị từ chối: ${vi}` };
}
