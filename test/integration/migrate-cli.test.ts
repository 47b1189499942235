import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { QueryTypes } from 'sequelize';
import { startMailEnv, type MailEnv } from '../support/mailenv.js';
import { startSourceDovecot, type SourceDovecot } from '../support/source-dovecot.js';
import { govmail, repoRoot, waitExit } from '../support/cli.js';
import { addDomain, addMailbox } from '../../admin/index.js';

/**
 * `govmail migrate` as an IT officer runs it: killed with SIGKILL in the middle and started again, it
 * ends with every message stored once; bad input is reported per mailbox in Vietnamese and English.
 */
const DOMAIN = 'tinh.gov.vn';
const SRC = 'old.tinh.vn';
const BIG = 1200;

let env: MailEnv;
let src: SourceDovecot;
let tmp: string;

function cliEnv(): NodeJS.ProcessEnv {
  return { DATABASE_URL: env.dbUrl, GOVMAIL_IMAP_PORT: String(env.config.imapPort), GOVMAIL_LOG_LEVEL: 'error' };
}

function args(map: string, ...more: string[]): string[] {
  return ['migrate', '--from', `imap://127.0.0.1:${src.port}`, '--map', map, '--data', env.dataDir, ...more];
}

async function targetMessageIds(user: string): Promise<string[]> {
  const c = new ImapFlow({ host: env.dovecot.imap.host, port: env.dovecot.imap.port, secure: false, doSTARTTLS: true, tls: { rejectUnauthorized: false }, auth: { user: env.dovecot.master.user, pass: env.dovecot.master.password, authzid: `${user}@${DOMAIN}`, loginMethod: 'AUTH=PLAIN' }, logger: false } as any);
  c.on('error', () => undefined);
  await c.connect();
  const box = await c.mailboxOpen('INBOX', { readOnly: true });
  const ids = box.exists ? (await c.fetchAll('1:*', { envelope: true })).map((m) => m.envelope!.messageId!) : [];
  await c.logout();
  return ids;
}

async function copiedSoFar(source: string): Promise<number> {
  const [r] = await env.db.query<{ n: string | null }>(
    'SELECT sum(f.copied) AS n FROM migration_folders f JOIN migration_mailboxes m ON m.id = f.mailbox_id WHERE m.source_address = $1',
    { bind: [source], type: QueryTypes.SELECT },
  );
  return Number(r?.n ?? 0);
}

describe('govmail migrate (CLI)', function () {
  this.timeout(300_000);

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'gm-migrate-cli-'));
    [env, src] = await Promise.all([startMailEnv(), startSourceDovecot()]);
    await addDomain(env.db, DOMAIN);
    for (const u of ['lon', 'mot', 'hai']) {
      src.addUser(`${u}@${SRC}`, `pw-${u}`);
      await addMailbox(env.db, { address: `${u}@${DOMAIN}`, displayName: u, password: 'Mật-khẩu-đủ-dài-2026' }, { defaultQuota: '2G' });
    }
    const c = await src.connect(`lon@${SRC}`, 'pw-lon');
    for (let i = 0; i < BIG; i++) {
      await c.append('INBOX', Buffer.from(`Message-ID: <${i}.lon@${SRC}>\r\nFrom: lon@${SRC}\r\nSubject: so ${i}\r\n\r\nNoi dung ${i}\r\n`), i % 2 ? ['\\Seen'] : [], new Date(Date.UTC(2018, 0, 1) + i * 3600_000));
    }
    await c.logout();
    for (const u of ['mot', 'hai']) {
      const d = await src.connect(`${u}@${SRC}`, `pw-${u}`);
      await d.mailboxCreate('Công văn đi');
      await d.append('Công văn đi', Buffer.from(`Message-ID: <1.${u}@${SRC}>\r\nSubject: x\r\n\r\ny\r\n`), ['\\Seen'], new Date('2022-02-02T02:02:02Z'));
      await d.logout();
    }
  });

  after(async () => {
    await Promise.all([env?.stop(), src?.stop()]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('killed with SIGKILL mid-way and run again: every message stored exactly once', async () => {
    const map = path.join(tmp, 'lon.csv');
    writeFileSync(map, `source_address,source_password,target_address\nlon@${SRC},pw-lon,lon@${DOMAIN}\n`);
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'govmail.js'), ...args(map, '--json')], { env: { ...process.env, GOVMAIL_FROM_SOURCE: '1', ...cliEnv() }, cwd: repoRoot, stdio: 'ignore' });
    let seen = 0;
    while (seen < 100 && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 20));
      seen = await copiedSoFar(`lon@${SRC}`);
    }
    child.kill('SIGKILL');
    await waitExit(child);
    const atKill = await copiedSoFar(`lon@${SRC}`);
    assert.ok(atKill >= 100 && atKill < BIG, `killed mid-way (${atKill} of ${BIG} recorded)`);

    const rerun = await govmail(args(map, '--json'), { env: cliEnv() });
    assert.equal(rerun.code, 0, rerun.stderr);
    const report = JSON.parse(rerun.stdout.trim().split('\n').pop()!);
    assert.equal(report.status, 'done');
    assert.equal(report.sourceMessages, BIG);
    assert.ok(report.copied + report.alreadyPresent <= BIG - atKill + 1, JSON.stringify(report));
    const ids = await targetMessageIds('lon');
    assert.equal(ids.length, BIG, 'no message lost, none twice');
    assert.equal(new Set(ids).size, BIG);
  });

  it('a master user logs in for every row (SASL authzid, password read from stdin); --dry-run only counts', async () => {
    const map = path.join(tmp, 'master.csv');
    writeFileSync(map, `source_address,source_password,target_address\nmot@${SRC},,mot@${DOMAIN}\n`);
    const dry = await govmail(args(map, '--master-user', src.master.user, '--master-password-stdin', '--dry-run'), { env: cliEnv(), input: `${src.master.password}\n` });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /sẽ chép \/ would copy 1 /);
    assert.deepEqual(await targetMessageIds('mot'), []);
    const run = await govmail(args(map, '--master-user', src.master.user, '--master-password-stdin'), { env: cliEnv(), input: `${src.master.password}\n` });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /mot@old\.tinh\.vn → mot@tinh\.gov\.vn: 2 thư mục\/folders, 1 thư trong nguồn\/messages in source, đã chép \/ copied 1 /);
    assert.ok(!run.stdout.includes(src.master.password) && !run.stderr.includes(src.master.password));
  });

  it('a wrong password fails that mailbox only, in Vietnamese and English, exit 1, no stack trace', async () => {
    const map = path.join(tmp, 'bad.csv');
    writeFileSync(map, `source_address,source_password,target_address\nhai@${SRC},khong-dung,hai@${DOMAIN}\nmot@${SRC},pw-mot,mot@${DOMAIN}\n`);
    const r = await govmail(args(map), { env: cliEnv() });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /hai@old\.tinh\.vn → hai@tinh\.gov\.vn: LỖI \/ FAILED — máy chủ nguồn .* từ chối đăng nhập hai@old\.tinh\.vn .* \/ the source server .* refused the login of hai@old\.tinh\.vn/);
    assert.match(r.stdout, /mot@old\.tinh\.vn → mot@tinh\.gov\.vn: .*đã chép \/ copied 0 /);
    assert.match(r.stdout, /2 hộp thư\/mailboxes, lỗi\/failed 1/);
    assert.doesNotMatch(r.stdout + r.stderr, /khong-dung|\n\s+at .*\.ts:\d+/);
  });

  it('bad options are refused before anything is copied', async () => {
    const map = path.join(tmp, 'bad.csv');
    const url = await govmail(['migrate', '--from', 'http://old.tinh.vn', '--map', map, '--data', env.dataDir], { env: cliEnv() });
    assert.equal(url.code, 1);
    assert.match(url.stderr, /--from: cần imap:\/\/MÁY\[:CỔNG\].* \/ --from: expected imap:\/\/HOST\[:PORT\]/);
    const badMap = path.join(tmp, 'cols.csv');
    writeFileSync(badMap, 'email,password\nx@y.vn,z\n');
    const cols = await govmail(args(badMap), { env: cliEnv() });
    assert.equal(cols.code, 1);
    assert.match(cols.stderr, /thiếu cột source_address, target_address.* \/ .*missing column\(s\) source_address, target_address/);
    const since = await govmail(args(map, '--since', '2024-02-30'), { env: cliEnv() });
    assert.equal(since.code, 1);
    assert.match(since.stderr, /--since: cần ngày dạng YYYY-MM-DD .* \/ --since: expected a date YYYY-MM-DD \(got "2024-02-30"\)/);
    assert.doesNotMatch(url.stderr + cols.stderr + since.stderr, /\n\s+at /);
  });
});
