import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { QueryTypes } from 'sequelize';
import { startMailEnv, type MailEnv } from '../support/mailenv.js';
import { startSourceDovecot, type SourceDovecot } from '../support/source-dovecot.js';
import { freePort } from '../support/postgres.js';
import { addDomain, addMailbox, runMigration, sourceServerKey, type MigrationMapRow, type TargetServer, type SourceServer, type MigrationRunOptions } from '../../admin/index.js';

/**
 * The copy engine against a real second Dovecot (Maildir++, "." separator) filled over IMAP APPEND,
 * into our real Dovecot, compared folder by folder by Message-ID, flags, internal date and bytes.
 */
const DOMAIN = 'tinh.gov.vn';
const SRC = 'old.tinh.vn';
// Set by our Dovecot at save time (mail_attachment_detection_options): not part of the source's flags.
const OURS = new Set(['$HasAttachment', '$HasNoAttachment']);

let env: MailEnv;
let src: SourceDovecot;
let tmp: string;
let signedMessage: Buffer;

function message(n: number, user: string, subject: string, extra = ''): Buffer {
  return Buffer.from(
    [`Message-ID: <${n}.${user}@${SRC}>`, `From: ${user}@${SRC}`, `To: vanthu@${SRC}`, `Subject: =?UTF-8?B?${Buffer.from(subject).toString('base64')}?=`, 'Date: Mon, 4 Mar 2019 05:06:07 +0700', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', `Nội dung công văn số ${n}.${extra}`, ''].join('\r\n'),
  );
}

/** An S/MIME signed message made by openssl (an independent tool), verified again by openssl after the copy. */
function makeSigned(): Buffer {
  const key = path.join(tmp, 'k.pem');
  const cert = path.join(tmp, 'c.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', '/CN=Van thu/emailAddress=vanthu@old.tinh.vn'], { stdio: 'ignore' });
  writeFileSync(path.join(tmp, 'body.txt'), 'Content-Type: text/plain; charset=utf-8\r\n\r\nQuyết định số 12/QĐ-UBND\r\n');
  const signed = execFileSync('openssl', ['smime', '-sign', '-in', path.join(tmp, 'body.txt'), '-signer', cert, '-inkey', key, '-crlfeol']);
  return Buffer.concat([Buffer.from(`Message-ID: <signed@${SRC}>\r\nFrom: vanthu@${SRC}\r\nSubject: Signed\r\n`), signed]);
}

const FOLDERS: Array<{ source: string; target: string }> = [
  { source: 'INBOX', target: 'INBOX' },
  { source: 'Sent Items', target: 'Sent' },
  { source: 'Deleted Items', target: 'Trash' },
  { source: 'Thư rác', target: 'Junk' },
  { source: 'Bản nháp', target: 'Drafts' },
  { source: 'Công văn đến', target: 'Công văn đến' },
  { source: 'Công văn đến.2026', target: 'Công văn đến/2026' },
  { source: 'Dự án.Sent', target: 'Dự án/Sent' },
];
const FLAGS = [[], ['\\Seen'], ['\\Seen', '\\Flagged'], ['\\Answered', '$Important'], ['\\Draft', 'Official'], ['\\Seen', '\\Answered', '\\Flagged', 'NonJunk']];

async function fill(user: string, password: string, perFolder: number, start = 0): Promise<void> {
  const c = await src.connect(user, password);
  try {
    for (const [i, f] of FOLDERS.entries()) {
      if (f.source !== 'INBOX') await c.mailboxCreate(f.source).catch(() => undefined);
      for (let k = 0; k < perFolder; k++) {
        const n = start + i * 1000 + k;
        await c.append(f.source, message(n, user.split('@')[0], `Công văn ${n} — ${f.source}`), FLAGS[n % FLAGS.length], new Date(Date.UTC(2015 + (n % 10), n % 12, 1 + (n % 27), n % 24, 7, 9)));
      }
    }
  } finally {
    await c.logout();
  }
}

interface Snap {
  messageId: string;
  flags: string[];
  date: number;
  sha: string;
}

async function snapshot(c: ImapFlow, folder: string, strip = false): Promise<Snap[]> {
  const box = await c.mailboxOpen(folder, { readOnly: true });
  if (!box.exists) return [];
  const out: Snap[] = [];
  for (const m of await c.fetchAll('1:*', { source: true, flags: true, internalDate: true, envelope: true })) {
    out.push({
      messageId: m.envelope?.messageId ?? '',
      flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent' && !(strip && OURS.has(f))).sort(),
      date: new Date(m.internalDate!).getTime(),
      sha: createHash('sha256').update(m.source!).digest('hex'),
    });
  }
  return out.sort((a, b) => (a.messageId + a.sha < b.messageId + b.sha ? -1 : 1));
}

function targetServer(): TargetServer {
  return { host: env.dovecot.imap.host, port: env.dovecot.imap.port, master: { user: env.dovecot.master.user, password: env.dovecot.master.password } };
}

function sourceServer(): SourceServer {
  return { host: src.host, port: src.port, secure: false };
}

function row(user: string, password: string, line = 2, target = user): MigrationMapRow {
  return { line, sourceAddress: `${user}@${SRC}`, sourcePassword: password, targetAddress: `${target}@${DOMAIN}`, fullName: '', agencyCode: '' };
}

function options(extra: Partial<MigrationRunOptions> = {}): MigrationRunOptions {
  return { concurrency: 4, defaultQuota: '2G', maxMessageBytes: 25 * 1024 * 1024, authFor: (r) => ({ kind: 'password', password: r.sourcePassword }), ...extra };
}

async function targetClient(user: string): Promise<ImapFlow> {
  const c = new ImapFlow({ host: env.dovecot.imap.host, port: env.dovecot.imap.port, secure: false, doSTARTTLS: true, tls: { rejectUnauthorized: false }, auth: { user: env.dovecot.master.user, pass: env.dovecot.master.password, authzid: `${user}@${DOMAIN}`, loginMethod: 'AUTH=PLAIN' }, logger: false } as any);
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

async function compareAll(user: string, password: string): Promise<number> {
  const s = await src.connect(`${user}@${SRC}`, password);
  const t = await targetClient(user);
  let total = 0;
  try {
    for (const f of FOLDERS) {
      const a = await snapshot(s, f.source);
      const b = await snapshot(t, f.target, true);
      assert.deepEqual(b, a, `${f.source} → ${f.target}`);
      total += a.length;
    }
  } finally {
    await s.logout();
    await t.logout();
  }
  return total;
}

describe('migrate: copy engine against a real source Dovecot', function () {
  this.timeout(240_000);

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'gm-migrate-'));
    [env, src] = await Promise.all([startMailEnv(), startSourceDovecot()]);
    await addDomain(env.db, DOMAIN);
    for (const u of ['an', 'binh', 'chi', 'dung', 'em', 'full']) {
      src.addUser(`${u}@${SRC}`, `pw-${u}`);
      await addMailbox(env.db, { address: `${u}@${DOMAIN}`, displayName: u, password: 'Mật-khẩu-đủ-dài-2026', quota: u === 'full' ? '20K' : undefined }, { defaultQuota: '2G' });
    }
    signedMessage = makeSigned();
    await Promise.all([fill(`an@${SRC}`, 'pw-an', 4), fill(`binh@${SRC}`, 'pw-binh', 3), fill(`full@${SRC}`, 'pw-full', 10)]);
    const c = await src.connect(`an@${SRC}`, 'pw-an');
    await c.append('INBOX', signedMessage, ['\\Seen'], new Date('2020-02-29T23:59:58Z'));
    await c.logout();
  });

  after(async () => {
    await Promise.all([env?.stop(), src?.stop()]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('copies every folder exactly: hierarchy, Vietnamese names, special folders, flags, internal dates, bytes', async () => {
    const report = await runMigration(env.db, sourceServer(), targetServer(), [row('an', 'pw-an'), row('binh', 'pw-binh', 3)], options());
    assert.equal(report.failed, 0, JSON.stringify(report.mailboxes.map((m) => m.error)));
    assert.deepEqual(report.mailboxes.map((m) => m.copied), [FOLDERS.length * 4 + 1, FOLDERS.length * 3]);
    assert.equal(await compareAll('an', 'pw-an'), FOLDERS.length * 4 + 1);
    assert.equal(await compareAll('binh', 'pw-binh'), FOLDERS.length * 3);
    const t = await targetClient('an');
    const list = await t.list();
    assert.ok(list.find((f) => f.path === 'Công văn đến/2026'), 'nested Vietnamese folder');
    assert.equal(list.find((f) => f.path === 'Sent')!.specialUse, '\\Sent');
    assert.ok(!list.map((f) => f.path).includes('Sent Items'));
    // The signed message still verifies (openssl), from the bytes our store now holds.
    await t.mailboxOpen('INBOX', { readOnly: true });
    const [signed] = await t.fetchAll({ header: { 'message-id': `signed@${SRC}` } } as any, { source: true });
    await t.logout();
    // Compared with what the source serves (it normalises line ends on APPEND, as any IMAP server may).
    const s = await src.connect(`an@${SRC}`, 'pw-an');
    await s.mailboxOpen('INBOX', { readOnly: true });
    const [original] = await s.fetchAll({ header: { 'message-id': `signed@${SRC}` } } as any, { source: true });
    await s.logout();
    assert.equal(Buffer.compare(signed.source!, original.source!), 0);
    assert.ok(signed.source!.includes(Buffer.from('application/x-pkcs7-signature')) || signed.source!.includes(Buffer.from('application/pkcs7-signature')));
    writeFileSync(path.join(tmp, 'copied.eml'), signed.source!);
    execFileSync('openssl', ['smime', '-verify', '-noverify', '-in', path.join(tmp, 'copied.eml'), '-out', '/dev/null'], { stdio: 'ignore' });
  });

  it('a second run copies nothing; a delta pass copies only what is new', async () => {
    const again = await runMigration(env.db, sourceServer(), targetServer(), [row('an', 'pw-an')], options());
    assert.equal(again.mailboxes[0].copied, 0);
    assert.equal(again.mailboxes[0].alreadyPresent, 0);
    await fill(`an@${SRC}`, 'pw-an', 1, 500);
    const delta = await runMigration(env.db, sourceServer(), targetServer(), [row('an', 'pw-an')], options());
    assert.equal(delta.mailboxes[0].copied, FOLDERS.length);
    assert.equal(await compareAll('an', 'pw-an'), FOLDERS.length * 5 + 1);
  });

  it('two runs into one mailbox at once: one copies, the other is refused as busy and stores nothing', async () => {
    await fill(`em@${SRC}`, 'pw-em', 2);
    const [a, b] = await Promise.all([1, 2].map(() => runMigration(env.db, sourceServer(), targetServer(), [row('em', 'pw-em')], options())));
    const reports = [a.mailboxes[0], b.mailboxes[0]];
    const busy = reports.filter((r) => r.error?.code === 'MIGRATE_BUSY');
    assert.equal(busy.length, 1, JSON.stringify(reports.map((r) => r.error)));
    assert.match(busy[0].error!.message, /đang chép vào em@tinh\.gov\.vn.*another migration run is copying into em@tinh\.gov\.vn/s);
    assert.equal(busy[0].copied, 0);
    assert.equal(reports.find((r) => r !== busy[0])!.copied, FOLDERS.length * 2);
    assert.equal(await compareAll('em', 'pw-em'), FOLDERS.length * 2);
    // The lock goes with the run: the next one is not refused.
    const next = await runMigration(env.db, sourceServer(), targetServer(), [row('em', 'pw-em')], options());
    assert.deepEqual({ status: next.mailboxes[0].status, copied: next.mailboxes[0].copied }, { status: 'done', copied: 0 });
  });

  it('a progress write lost after an acknowledged APPEND does not store the message twice', async () => {
    await fill(`binh@${SRC}`, 'pw-binh', 1, 600);
    await runMigration(env.db, sourceServer(), targetServer(), [row('binh', 'pw-binh')], options());
    // What a kill between the APPEND's OK and the UPDATE leaves: copies the progress does not know about.
    await env.db.query(
      `UPDATE migration_folders f SET last_uid = f.last_uid - 1, target_last_uid = f.target_last_uid - 1, copied = f.copied - 1
       FROM migration_mailboxes m WHERE m.id = f.mailbox_id AND m.source_address = $1`,
      { bind: [`binh@${SRC}`] },
    );
    const resumed = await runMigration(env.db, sourceServer(), targetServer(), [row('binh', 'pw-binh')], options());
    assert.equal(resumed.mailboxes[0].copied, 0);
    assert.equal(resumed.mailboxes[0].alreadyPresent, FOLDERS.length);
    assert.equal(await compareAll('binh', 'pw-binh'), FOLDERS.length * 4);
  });

  it('a folder whose UIDVALIDITY changed at the source is copied again without duplicates', async () => {
    const s = await src.connect(`binh@${SRC}`, 'pw-binh');
    await s.mailboxOpen('Công văn đến', { readOnly: true });
    const all = await s.fetchAll('1:*', { source: true, flags: true, internalDate: true });
    const before = s.mailbox && s.mailbox.uidValidity;
    await s.mailboxClose();
    await s.mailboxDelete('Công văn đến');
    await s.mailboxCreate('Công văn đến');
    for (const m of all) await s.append('Công văn đến', m.source!, [...m.flags!], m.internalDate);
    await s.append('Công văn đến', message(777, 'binh', 'mới sau khi tạo lại'), [], new Date('2024-05-05T05:05:05Z'));
    const box = await s.mailboxOpen('Công văn đến', { readOnly: true });
    assert.notEqual(box.uidValidity, before);
    await s.logout();
    const r = await runMigration(env.db, sourceServer(), targetServer(), [row('binh', 'pw-binh')], options());
    assert.equal(r.mailboxes[0].alreadyPresent, all.length);
    assert.equal(r.mailboxes[0].copied, 1);
    const t = await targetClient('binh');
    const snap = await snapshot(t, 'Công văn đến', true);
    await t.logout();
    assert.equal(new Set(snap.map((m) => m.messageId)).size, snap.length);
    assert.equal(snap.length, all.length + 1);
  });

  it('a message over the size limit is recorded as skipped and the rest of the mailbox is copied', async () => {
    const c = await src.connect(`chi@${SRC}`, 'pw-chi');
    await c.append('INBOX', message(1, 'chi', 'nhỏ'), [], new Date('2021-01-01T00:00:00Z'));
    await c.append('INBOX', message(2, 'chi', 'lớn', 'x'.repeat(5000)), [], new Date('2021-01-02T00:00:00Z'));
    await c.append('INBOX', message(3, 'chi', 'nhỏ'), [], new Date('2021-01-03T00:00:00Z'));
    await c.logout();
    const r = await runMigration(env.db, sourceServer(), targetServer(), [row('chi', 'pw-chi')], options({ maxMessageBytes: 2000 }));
    assert.equal(r.mailboxes[0].status, 'done');
    assert.equal(r.mailboxes[0].copied, 2);
    assert.deepEqual(r.mailboxes[0].folders[0].skipped, [{ uid: 2, reason: 'larger than 2000 bytes / lớn hơn 2000 byte' }]);
    const [skip] = await env.db.query<{ uid: string; reason: string }>('SELECT uid, reason FROM migration_skips', { type: QueryTypes.SELECT });
    assert.equal(Number(skip.uid), 2);
    // Recorded once and passed: the next run does not try it again.
    const again = await runMigration(env.db, sourceServer(), targetServer(), [row('chi', 'pw-chi')], options({ maxMessageBytes: 2000 }));
    assert.equal(again.mailboxes[0].skipped, 0);
  });

  it('wrong password, unreachable host, missing target and a full target are each reported per mailbox; the others are copied', async () => {
    const rows = [row('dung', 'sai-mat-khau-9'), row('binh', 'pw-binh', 3), row('full', 'pw-full', 4), row('an', 'pw-an', 5, 'khongco')];
    const r = await runMigration(env.db, sourceServer(), targetServer(), rows, options());
    const by = Object.fromEntries(r.mailboxes.map((m) => [m.targetAddress.split('@')[0], m]));
    assert.equal(by.dung.status, 'failed');
    assert.equal(by.dung.error!.code, 'MIGRATE_SOURCE_LOGIN');
    assert.match(by.dung.error!.message, /từ chối đăng nhập dung@old\.tinh\.vn.* \/ the source server .* refused the login of dung@old\.tinh\.vn/);
    assert.equal(by.binh.status, 'done');
    assert.equal(by.full.error!.code, 'MIGRATE_TARGET_QUOTA');
    assert.match(by.full.error!.message, /full@tinh\.gov\.vn đã đầy .* \/ the GovMail mailbox full@tinh\.gov\.vn is full/);
    assert.equal(by.khongco.error!.code, 'MIGRATE_TARGET_MISSING');
    assert.equal(r.failed, 3);
    const closed = await freePort();
    const down = await runMigration(env.db, { host: '127.0.0.1', port: closed, secure: false }, targetServer(), [row('an', 'pw-an')], options());
    assert.equal(down.mailboxes[0].error!.code, 'MIGRATE_SOURCE_UNREACHABLE');
    assert.ok(down.mailboxes[0].error!.message.includes(`127.0.0.1:${closed}`));
    // No source password anywhere in our tables.
    const dump = JSON.stringify(await env.db.query('SELECT m.*, f.* FROM migration_mailboxes m LEFT JOIN migration_folders f ON f.mailbox_id = m.id', { type: QueryTypes.SELECT }));
    assert.doesNotMatch(dump, /pw-(an|binh|full)|sai-mat-khau/);
    assert.equal(sourceServerKey(sourceServer()), `imap://127.0.0.1:${src.port}`);
  });
});


