import assert from 'node:assert/strict';
import { emptyModel, generateScript, parseScript, sieveString, validateModel, type SieveModel } from '../../webmail/server/sieve-script.js';
import { encodeArg, parseLine, parseResponse } from '../../webmail/server/managesieve.js';
import { InvalidInputError } from '../../core/errors.js';

const INJECTION = '" ; discard; "';

const model = (over: Partial<SieveModel> = {}): SieveModel => ({
  vacation: { enabled: true, subject: 'Nghỉ phép', body: 'Tôi đang nghỉ phép.\nXin liên hệ văn thư.', days: 7 },
  filters: [],
  ...over,
});

/** The script with its comment lines and quoted strings removed: what is left is Sieve syntax only. */
const syntaxOnly = (script: string) =>
  script
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n')
    .replace(/"(?:[^"\\]|\\.)*"/g, '""');

describe('webmail/sieve-script — the settings model as one Sieve script', () => {
  it('escapes backslash and double quote, and refuses control characters', () => {
    assert.equal(sieveString('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(sieveString('${x} và ${hex:41}'), '"${x} và ${hex:41}"');
    assert.throws(() => sieveString('a\nb'), InvalidInputError);
    assert.throws(() => sieveString('a\u0000b', 'x', true), InvalidInputError);
    assert.throws(() => sieveString('a\u0085b'), InvalidInputError);
    assert.equal(sieveString('dòng 1\r\ndòng 2', 'body', true), '"dòng 1\ndòng 2"');
  });

  it('writes a vacation reply with days, subject, addresses and a date range in Vietnam time', () => {
    const s = generateScript(model({ vacation: { enabled: true, subject: 'Nghỉ phép', body: 'Tôi đang nghỉ.', days: 3, from: '2026-01-02', to: '2026-01-09', addresses: ['vanthu@so.tinh.gov.vn'] } }));
    assert.match(s, /^require \["vacation", "date", "relational"\];$/m);
    assert.match(s, /currentdate :zone "\+0700" :value "ge" "date" "2026-01-02"/);
    assert.match(s, /currentdate :zone "\+0700" :value "le" "date" "2026-01-09"/);
    assert.match(s, /vacation :days 3 :subject "Nghỉ phép" :addresses \["vanthu@so\.tinh\.gov\.vn"\] "Tôi đang nghỉ\."/);
    const plain = generateScript(model());
    assert.match(plain, /^require \["vacation"\];$/m);
    assert.doesNotMatch(plain, /currentdate|variables/);
    assert.doesNotMatch(generateScript(emptyModel()), /require|vacation /);
  });

  it('writes filters with the tests and actions asked for, flags before filing', () => {
    const s = generateScript(
      model({
        vacation: { enabled: false, subject: '', body: '', days: 7 },
        filters: [
          {
            name: 'Công văn Sở Tài chính',
            match: 'any',
            conditions: [
              { field: 'from', op: 'matches-domain', value: 'stc.tinh.gov.vn' },
              { field: 'subject', op: 'contains', value: 'Công văn' },
              { field: 'header', header: 'X-Priority', op: 'is', value: '1' },
            ],
            actions: [{ type: 'fileinto', folder: 'Công văn/Sở TC' }, { type: 'markread' }, { type: 'stop' }],
          },
          { name: 'Chuyển tiếp', match: 'all', conditions: [{ field: 'to', op: 'contains', value: 'hop' }], actions: [{ type: 'redirect', address: 'a@b.gov.vn', copy: true }, { type: 'discard' }] },
        ],
      }),
    );
    assert.match(s, /^require \["fileinto", "mailbox", "imap4flags", "copy"\];$/m);
    assert.match(s, /if anyof \(address :domain :is "from" "stc\.tinh\.gov\.vn", header :contains "subject" "Công văn", header :is "X-Priority" "1"\) \{\n {2}addflag "\\\\Seen";\n {2}fileinto :create "Công văn\/Sở TC";\n {2}stop;\n\}/);
    assert.match(s, /if address :contains "to" "hop" \{\n {2}redirect :copy "a@b\.gov\.vn";\n {2}discard;\n\}/);
  });

  it('keeps an injection attempt inside its string', () => {
    const s = generateScript(
      model({
        vacation: { enabled: true, subject: INJECTION, body: `${INJECTION}\n"}\nkeep;`, days: 1 },
        filters: [{ name: INJECTION, match: 'all', conditions: [{ field: 'subject', op: 'contains', value: INJECTION }], actions: [{ type: 'fileinto', folder: INJECTION }] }],
      }),
    );
    assert.match(s, /header :contains "subject" "\\" ; discard; \\""/);
    const code = syntaxOnly(s);
    assert.doesNotMatch(code, /discard|keep/, code);
    assert.equal((code.match(/;/g) ?? []).length, 3, code); // require, fileinto, vacation
  });

  it('refuses what cannot be written safely, naming the field', () => {
    const field = (m: unknown) => {
      try {
        validateModel(m);
      } catch (err) {
        return (err as InvalidInputError).field;
      }
      return 'accepted';
    };
    assert.equal(field(model({ vacation: { ...model().vacation, subject: 'a\r\nBcc: x@y' } })), 'vacation.subject');
    assert.equal(field(model({ vacation: { ...model().vacation, days: 31 } })), 'vacation.days');
    assert.equal(field(model({ vacation: { ...model().vacation, from: '2026-02-30' } })), 'vacation.from');
    assert.equal(field(model({ vacation: { ...model().vacation, from: '2026-03-02', to: '2026-03-01' } })), 'vacation.to');
    assert.equal(field(model({ vacation: { ...model().vacation, body: '' } })), 'vacation.body');
    assert.equal(field(model({ vacation: { enabled: false, subject: '', body: '', days: 7 } })), 'accepted');
    const f = (c: object, a: object = { type: 'discard' }) => model({ filters: [{ name: 'x', match: 'all', conditions: [c as never], actions: [a as never] }] });
    assert.equal(field(f({ field: 'header', header: 'X-A: b', op: 'is', value: 'v' })), 'filters.0.conditions.0.header');
    assert.equal(field(f({ field: 'subject', op: 'matches-domain', value: 'a.vn' })), 'filters.0.conditions.0.op');
    assert.equal(field(f({ field: 'from', op: 'matches-domain', value: 'a"b.vn' })), 'filters.0.conditions.0.value');
    assert.equal(field(f({ field: 'from', op: 'is', value: 'x' }, { type: 'redirect', address: 'a@b.vn", "c@d.vn' })), 'filters.0.actions.0.address');
    assert.equal(field(f({ field: 'from', op: 'is', value: 'x' }, { type: 'reject' })), 'filters.0.actions.0.type');
  });

  it('reads back exactly the model it wrote, and calls anything else custom', () => {
    const m = model({
      vacation: { enabled: true, subject: 'Vắng mặt', body: 'Nội dung\r\nhai dòng', days: 5, to: '2026-12-31' },
      filters: [{ name: 'Thư rác', match: 'all', conditions: [{ field: 'subject', op: 'contains', value: '[SPAM]' }], actions: [{ type: 'fileinto', folder: 'Junk' }] }],
    });
    const s = generateScript(m);
    const back = parseScript(s);
    assert.equal(back.kind, 'govmail');
    assert.deepEqual(back.kind === 'govmail' && back.model, validateModel(m));
    assert.deepEqual(parseScript('require "fileinto";\nfileinto "X";\n'), { kind: 'custom', reason: 'no-model' });
    assert.deepEqual(parseScript(s.replace('fileinto :create "Junk";', 'discard;')), { kind: 'custom', reason: 'edited' });
    assert.deepEqual(parseScript('# govmail-model: !!!\n'), { kind: 'custom', reason: 'edited' });
  });
});

describe('webmail/managesieve — response parser', () => {
  it('reads capabilities, quoted strings with escapes and response codes', () => {
    const greeting = Buffer.from('"IMPLEMENTATION" "Dovecot Pigeonhole"\r\n"SIEVE" "fileinto vacation"\r\n"STARTTLS"\r\nOK "Dovecot ready."\r\n');
    const r = parseResponse(greeting)!;
    assert.equal(r.response.status, 'OK');
    assert.equal(r.response.text, 'Dovecot ready.');
    assert.equal(r.response.lines.length, 3);
    assert.equal(r.next, greeting.length);
    const no = parseResponse(Buffer.from('NO (NONEXISTENT) "There is no \\"x\\" script"\r\n'))!.response;
    assert.deepEqual([no.status, no.code, no.text], ['NO', 'NONEXISTENT', 'There is no "x" script']);
    const warn = parseResponse(Buffer.from('OK (WARNINGS) "line 2: x"\r\n'))!.response;
    assert.equal(warn.code, 'WARNINGS');
    const quota = parseResponse(Buffer.from('NO (QUOTA/MAXSIZE) "too big"\r\n'))!.response;
    assert.equal(quota.code, 'QUOTA/MAXSIZE');
    const bye = parseResponse(Buffer.from('BYE (REFERRAL "sieve://x") "go away"\r\n'))!.response;
    assert.equal(bye.status, 'BYE');
    assert.equal(bye.codeArgs?.[0]?.v, 'sieve://x');
  });

  it('reads literals by octet count, also split across reads', () => {
    const script = 'require "vacation";\r\nvacation "Tôi nghỉ\r\nOK";\r\n';
    const bytes = Buffer.from(script);
    const full = Buffer.concat([Buffer.from(`{${bytes.length}}\r\n`), bytes, Buffer.from('\r\nOK "Getscript completed."\r\n')]);
    for (let cut = 0; cut < full.length; cut++) assert.equal(parseResponse(full.subarray(0, cut)), null, `cut at ${cut}`);
    const r = parseResponse(full)!.response;
    assert.equal(r.lines[0][0].v, script);
    assert.equal(r.status, 'OK');
    const list = parseResponse(Buffer.from('"govmail" ACTIVE\r\n{5}\r\nkhác\r\nOK\r\n'))!.response;
    assert.deepEqual(list.lines.map((l) => l.map((t) => t.v)), [['govmail', 'ACTIVE'], ['khác']]);
  });

  it('refuses malformed input and encodes unsafe arguments as literals', () => {
    assert.throws(() => parseLine(Buffer.from('OK "a\r\nb"\r\n')));
    assert.throws(() => parseLine(Buffer.from('OK {x}\r\n')));
    assert.throws(() => parseLine(Buffer.from('OK )\r\n')));
    assert.equal(encodeArg('govmail').toString(), '"govmail"');
    assert.equal(encodeArg('a"b\r\nc').toString(), '{6+}\r\na"b\r\nc');
  });
});

describe('govmail sendmail — what Dovecot runs for Sieve', () => {
  it('reads the command line Pigeonhole uses, and the usual sendmail options', async () => {
    const { parseSendmailArgs } = await import('../../cli/sendmail.js');
    assert.deepEqual(parseSendmailArgs(['-i', '-f', '<>', '--', 'a@b.vn']), { sender: '', recipients: ['a@b.vn'] });
    assert.deepEqual(parseSendmailArgs(['-oi', '-fx@y.vn', '-F', 'Tên', 'a@b.vn', 'c@d.vn']), { sender: 'x@y.vn', recipients: ['a@b.vn', 'c@d.vn'] });
    assert.deepEqual(parseSendmailArgs(['-i', '-f', 'x@y.vn', '--', '-not-an-option@b.vn']), { sender: 'x@y.vn', recipients: ['-not-an-option@b.vn'] });
    assert.ok('error' in parseSendmailArgs(['-t']));
  });

  it('names the wrapper in the Dovecot config and quotes everything it carries', async () => {
    const { generateDovecotConfig, sendmailWrapper } = await import('../../mailstore/config.js');
    const base = {
      confDir: '/d/dovecot', stateDir: '/d/s', baseDir: '/tmp/gm-x', mailRoot: '/d/mail', listen: '127.0.0.1',
      ports: { imap: 1, pop3: 2, managesieve: 3, lmtp: 4 }, tls: { certFile: '/c', keyFile: '/k' },
      user: { name: 'govmail', uid: 998, gid: 997 }, hostname: 'mail.tinh.gov.vn',
    };
    for (const mode of ['embedded', 'production'] as const) {
      const c = generateDovecotConfig({ ...base, mode });
      assert.match(c, /^sendmail_path = \/d\/dovecot\/sendmail$/m);
      assert.match(c, /^ {2}sieve_redirect_envelope_from = recipient$/m);
      assert.match(c, /service lmtp \{[^}]*vsz_limit = 16G/);
      assert.match(c, /^ {2}sieve_before = \/d\/dovecot\/junk\.sieve$/m);
    }
    assert.throws(() => generateDovecotConfig({ ...base, mode: 'embedded', sendmailPath: '/a b/sendmail' }));
    const w = sendmailWrapper({ node: '/usr/bin/node', entry: "/o'k/bin/govmail.js", cwd: '/o', env: { DATABASE_URL: "postgres://u:p'$x@h/db", GOVMAIL_FROM_SOURCE: undefined } });
    assert.match(w, /^DATABASE_URL='postgres:\/\/u:p'\\''\$x@h\/db'$/m);
    assert.doesNotMatch(w, /GOVMAIL_FROM_SOURCE/);
    assert.match(w, /^exec '\/usr\/bin\/node' --disable-wasm-trap-handler '\/o'\\''k\/bin\/govmail\.js' sendmail "\$@"$/m);
  });
});
