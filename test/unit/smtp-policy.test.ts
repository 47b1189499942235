import assert from 'node:assert/strict';
import { classifiedPolicy, governmentAddress, messageClassification } from '../../smtp/policy.js';
import { documentHeaders, documentMetadataFromHeaders, parseDocumentMetadata } from '../../signer/index.js';

const message = (headers: string[], body = 'Kính gửi các cơ quan.') => Buffer.from(`${['From: vanthu@snv.bacninh.gov.vn', 'To: x@y', 'Subject: Công văn', ...headers].join('\r\n')}\r\n\r\n${body}\r\n`);

describe('smtp/policy — classified documents go only to government addresses', () => {
  it('refuses a classified message to an external address with 550 5.7.1, naming the addresses and the classification in both languages', () => {
    const d = classifiedPolicy(message(['X-GovMail-Classification: mat']), ['doitac@gmail.com', 'vanphong@sotttt.bacninh.gov.vn', 'Ban@Congty.VN']);
    assert.equal(d.allowed, false);
    if (d.allowed) return;
    assert.equal(d.reply.code, 550);
    assert.match(d.reply.message, /^5\.7\.1 /);
    assert.deepEqual(d.refused, ['doitac@gmail.com', 'ban@congty.vn']);
    assert.match(d.reply.message, /<doitac@gmail\.com>, <ban@congty\.vn>/);
    assert.doesNotMatch(d.reply.message, /sotttt/, 'a government recipient is not named as refused');
    assert.match(d.reply.message, /Classified document \(confidential, mat\)/);
    assert.match(d.reply.message, /Văn bản mật \(độ mật: Mật\)/);
    assert.match(d.reply.message, /\*\.gov\.vn/);
  });

  it('lets a classified message go to gov.vn addresses, our own domains and subdomains of gov.vn only', () => {
    const tuyetMat = message(['X-GovMail-Classification: tuyet-mat']);
    assert.equal(classifiedPolicy(tuyetMat, ['a@bacninh.gov.vn', 'b@sotttt.bacninh.gov.vn', 'c@gov.vn']).allowed, true);
    assert.equal(classifiedPolicy(tuyetMat, ['a@noibo.local'], { localDomains: ['noibo.local'] }).allowed, true);
    for (const lookalike of ['a@evilgov.vn', 'a@gov.vn.attacker.com', 'a@bacninh.gov.vn.com', 'a@govvn.vn']) {
      assert.equal(classifiedPolicy(tuyetMat, [lookalike]).allowed, false, lookalike);
    }
  });

  it('lets unclassified messages and messages without the header go anywhere', () => {
    assert.equal(classifiedPolicy(message([]), ['doitac@gmail.com']).allowed, true);
    assert.equal(classifiedPolicy(message(['X-GovMail-Classification: none']), ['doitac@gmail.com']).allowed, true);
    // The header only counts in the header block, not in the body.
    assert.equal(classifiedPolicy(message([], 'X-GovMail-Classification: mat'), ['doitac@gmail.com']).allowed, true);
  });

  it('fails closed: an unknown value, a Vietnamese label, a folded or repeated header all count as classified', () => {
    const d = classifiedPolicy(message(['X-GovMail-Classification: secret']), ['a@gmail.com']);
    assert.equal(d.allowed, false);
    assert.match(d.allowed ? '' : d.reply.message, /"secret" \(unknown, treated as classified\)/);
    assert.equal(messageClassification(message(['x-govmail-classification:  Tối mật'])), 'toi-mat');
    assert.equal(messageClassification(message(['X-GovMail-Classification:\r\n tuyet-mat'])), 'tuyet-mat');
    assert.equal(messageClassification(message(['X-GovMail-Classification: none', 'X-GovMail-Classification: mat'])), 'mat', 'the strictest of several wins');
    assert.equal(messageClassification(message(['X-GovMail-Classification: '])), 'none');
  });

  it('takes a configurable list of government suffixes and names at most three addresses', () => {
    const m = message(['X-GovMail-Classification: mat']);
    assert.equal(classifiedPolicy(m, ['a@mod.example'], { governmentSuffixes: ['gov.vn', '.mod.example', 'mod.example'] }).allowed, true);
    assert.equal(governmentAddress('a@bacninh.gov.vn', { governmentSuffixes: ['mod.example'] }), false, 'the list replaces the default');
    const many = classifiedPolicy(m, ['a@x.vn', 'b@x.vn', 'c@x.vn', 'd@x.vn', 'e@x.vn']);
    assert.equal(many.allowed, false);
    if (!many.allowed) {
      assert.equal(many.refused.length, 5);
      assert.match(many.reply.message, /and 2 more/);
      assert.match(many.reply.message, /và 2 địa chỉ khác/);
      assert.ok(many.reply.message.length < 500, 'one short SMTP reply line');
    }
  });
});

describe('signer/documents — metadata and its headers', () => {
  it('round-trips metadata through the X-GovMail headers, Vietnamese numbers included', () => {
    const m = parseDocumentMetadata({ number: '05/2026/QĐ-UBND', date: '15/03/2026', urgency: 'Thượng khẩn', classification: 'TỐI MẬT' });
    assert.deepEqual(m, { number: '05/2026/QĐ-UBND', date: '2026-03-15', urgency: 'thuong-khan', classification: 'toi-mat' });
    const h = documentHeaders(m);
    assert.deepEqual(Object.keys(h), ['X-GovMail-Doc-Number', 'X-GovMail-Doc-Date', 'X-GovMail-Urgency', 'X-GovMail-Classification']);
    for (const v of Object.values(h)) assert.match(v, /^[\x20-\x7e]+$/, 'header values are ASCII');
    assert.match(h['X-GovMail-Doc-Number']!, /^=\?UTF-8\?B\?/);
    const raw = `${Object.entries(h).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\nbody`;
    assert.deepEqual(documentMetadataFromHeaders(raw), m);
    assert.deepEqual(documentMetadataFromHeaders(new Map(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]))), m);
    assert.deepEqual(documentMetadataFromHeaders({ 'x-govmail-doc-number': '123/UBND-VP' }), { number: '123/UBND-VP', urgency: 'thuong', classification: 'none' });
    assert.equal(documentMetadataFromHeaders('Subject: x\r\n\r\n'), undefined);
  });

  it('names the wrong field in Vietnamese and English', () => {
    assert.throws(() => parseDocumentMetadata({ urgency: 'urgent' }), (e: any) => e.field === 'urgency' && /urgency: expected one of thuong, khan/.test(e.message) && /độ khẩn/.test(e.messageVi) && /"urgent"/.test(e.message));
    assert.throws(() => parseDocumentMetadata({ classification: 'secret' }), (e: any) => e.field === 'classification' && /độ mật/.test(e.messageVi));
    assert.throws(() => parseDocumentMetadata({ date: '2026-02-30' }), (e: any) => e.field === 'date' && /YYYY-MM-DD/.test(e.message) && /ngày văn bản/.test(e.messageVi));
    assert.throws(() => parseDocumentMetadata({ number: 'a\r\nBcc: x@y' }), (e: any) => e.field === 'number' && /số, ký hiệu/.test(e.messageVi));
    assert.throws(() => parseDocumentMetadata({ numero: '1' }), (e: any) => e.field === 'numero' && /known: number, date, urgency, classification/.test(e.message));
    assert.throws(() => documentMetadataFromHeaders('X-GovMail-Urgency: soon\r\n\r\n'), (e: any) => e.field === 'X-GovMail-Urgency');
  });
});
