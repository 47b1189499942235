import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { CertificateProfileError, checkTbsProfile, checkValidityTime } from '../../signer/issuance-rules.js';
import { generateKey, spkiDer } from '../../signer/keys.js';
import { parseDer, encodeTlv } from '../../signer/pathvalidation/der.js';
import { subjectName } from '../../signer/subject.js';
import { buildCertificate, cidrBytes, keyIdentifier, publicKeyInfoFromDer, toDer, type CertificateSpec } from '../../signer/x509.js';
import { x509Time } from '../../signer/x509-sign.js';

/** One unit test per RFC 5280 §4 rule the CA enforces: the bad input is built, the clear error expected. */
describe('x509 issuance profile rules (RFC 5280 §4)', function () {
  this.timeout(30_000);
  let key: { privateKey: KeyObject; publicKey: KeyObject };
  let spki: pkijs.PublicKeyInfo;
  const base = (): CertificateSpec => ({
    subject: subjectName({ country: 'VN', organization: 'UBND tỉnh Bắc Ninh', commonName: 'Thử nghiệm' }),
    publicKeyInfo: spki,
    signingKey: key.privateKey,
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2027-01-01T00:00:00Z'),
    keyUsage: ['digitalSignature'],
    extendedKeyUsage: ['emailProtection'],
  });
  const refused = (rule: string, text: RegExp) => (e: unknown) => {
    assert.ok(e instanceof CertificateProfileError, `expected a CertificateProfileError, got ${String(e)}`);
    assert.equal(e.rule, rule);
    assert.match(e.message, text);
    assert.match(e.messageVi, /^từ chối cấp chứng thư \(RFC 5280/);
    return true;
  };
  /** A TBSCertificate with exactly the extensions given, to break rules buildCertificate never would. */
  const tbsWith = (extensions: pkijs.Extension[], subject = base().subject) => {
    const cert = new pkijs.Certificate();
    cert.version = 2;
    cert.serialNumber = new asn1js.Integer({ valueHex: Uint8Array.of(0x01, 0x02).buffer });
    cert.signature = new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.10045.4.3.2' });
    cert.issuer = subject;
    cert.subject = subject;
    cert.notBefore = x509Time(new Date('2026-01-01T00:00:00Z'));
    cert.notAfter = x509Time(new Date('2027-01-01T00:00:00Z'));
    cert.subjectPublicKeyInfo = spki;
    cert.extensions = extensions;
    return new Uint8Array((cert as unknown as { encodeTBS(): asn1js.Sequence }).encodeTBS().toBER(false));
  };
  const keyIds = () => ({ issuerKeyId: keyIdentifier(spki), subjectKeyId: keyIdentifier(spki) });
  const ski = () => new pkijs.Extension({ extnID: '2.5.29.14', extnValue: new asn1js.OctetString({ valueHex: new Uint8Array(keyIdentifier(spki)).buffer }).toBER(false) });
  const aki = (id = keyIdentifier(spki)) => new pkijs.Extension({ extnID: '2.5.29.35', extnValue: new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: new Uint8Array(id).buffer }) }).toSchema().toBER(false) });

  before(async () => {
    key = await generateKey('p-256');
    spki = publicKeyInfoFromDer(spkiDer(key.publicKey));
  });

  it('a well-formed certificate passes, with AKI = SKI for a self-signed one', async () => {
    const cert = await buildCertificate(base());
    assert.doesNotThrow(() => checkTbsProfile(cert.tbsView, keyIds()));
  });

  it('§4.1.2.2 serial: negative, longer than 20 octets, a superfluous leading zero and zero are refused', async () => {
    await assert.rejects(buildCertificate({ ...base(), serial: Buffer.from([0x80, 1, 2]) }), refused('§4.1.2.2', /negative/));
    await assert.rejects(buildCertificate({ ...base(), serial: Buffer.alloc(21, 0x11) }), refused('§4.1.2.2', /21 octets; expected 1 to 20/));
    await assert.rejects(buildCertificate({ ...base(), serial: Buffer.from([0x00, 0x7f]) }), refused('§4.1.2.2', /leading zero/));
    await assert.rejects(buildCertificate({ ...base(), serial: Buffer.from([0x00]) }), refused('§4.1.2.2', /zero/));
    // 20 octets with the high bit clear is the largest allowed, and 0x00 0x80 is minimal DER.
    await buildCertificate({ ...base(), serial: Buffer.alloc(20, 0x7f) });
    await buildCertificate({ ...base(), serial: Buffer.from([0x00, 0x80]) });
  });

  it('§4.1.2.5 validity: UTCTime through 2049, GeneralizedTime from 2050, whole seconds, Z', async () => {
    const cert = await buildCertificate({ ...base(), notBefore: new Date('2049-12-31T23:59:59.750Z'), notAfter: new Date('2050-01-01T00:00:00.250Z') });
    const validity = parseDer(cert.tbsView).kids[4]!;
    assert.deepEqual(validity.kids.map((k) => [k.tag, Buffer.from(k.content).toString()]), [[23, '491231235959Z'], [24, '20500101000000Z']]);
    const time = (tag: number, text: string) => parseDer(encodeTlv(tag, Buffer.from(text)));
    assert.throws(() => checkValidityTime(time(0x18, '20300101000000Z'), 'notAfter'), refused('§4.1.2.5', /1950 to 2049 must be written as UTCTime/));
    assert.throws(() => checkValidityTime(time(0x18, '20500101000000.5Z'), 'notAfter'), refused('§4.1.2.5', /no fraction/));
    assert.throws(() => checkValidityTime(time(0x17, '300101000000+0700'), 'notBefore'), refused('§4.1.2.5', /UTCTime YYMMDDHHMMSSZ/));
    assert.throws(() => checkValidityTime(time(0x17, '3001010000Z'), 'notBefore'), refused('§4.1.2.5', /seconds/));
    assert.doesNotThrow(() => checkValidityTime(time(0x17, '300101000000Z'), 'notBefore'));
  });

  it('§4.2.1.2 / §4.2.1.1: a missing or wrong SKI, and an AKI missing or not equal to the issuer’s SKI, are refused', () => {
    assert.throws(() => checkTbsProfile(tbsWith([aki()]), keyIds()), refused('§4.2.1.2', /subjectKeyIdentifier is missing/));
    assert.throws(() => checkTbsProfile(tbsWith([ski(), aki()]), { ...keyIds(), subjectKeyId: Buffer.alloc(20, 1) }), refused('§4.2.1.2', /does not match the subject public key/));
    assert.throws(() => checkTbsProfile(tbsWith([ski()]), keyIds()), refused('§4.2.1.1', /authorityKeyIdentifier with a keyIdentifier is missing/));
    assert.throws(() => checkTbsProfile(tbsWith([ski(), aki(Buffer.alloc(20, 7))]), keyIds()), refused('§4.2.1.1', /does not equal the issuer's subjectKeyIdentifier/));
    assert.doesNotThrow(() => checkTbsProfile(tbsWith([ski(), aki()]), keyIds()));
  });

  it('§4.1.2.6: an empty subject needs a critical subjectAltName (which buildCertificate then writes)', async () => {
    const empty = new pkijs.RelativeDistinguishedNames();
    await assert.rejects(buildCertificate({ ...base(), subject: empty }), refused('§4.1.2.6', /empty subject without a critical subjectAltName/));
    const cert = await buildCertificate({ ...base(), subject: empty, emails: ['vanthu@bacninh.gov.vn'] });
    const san = cert.extensions!.find((e) => e.extnID === '2.5.29.17')!;
    assert.equal(san.critical, true);
    const nonCritical = new pkijs.Extension({ extnID: '2.5.29.17', critical: false, extnValue: new pkijs.GeneralNames({ names: [new pkijs.GeneralName({ type: 1, value: 'a@b.vn' })] }).toSchema().toBER(false) });
    const emptyName = pkijs.RelativeDistinguishedNames.fromBER(Uint8Array.of(0x30, 0));
    assert.throws(() => checkTbsProfile(tbsWith([ski(), aki(), nonCritical], emptyName), keyIds()), refused('§4.1.2.6', /empty subject/));
    // pkijs alone writes an attribute-less Name as SEQUENCE { SET {} }: an empty RDN, refused as such.
    assert.throws(() => checkTbsProfile(tbsWith([ski(), aki(), nonCritical], empty), keyIds()), refused('§4.1.2.4', /empty RelativeDistinguishedName/));
  });

  it('§4.2.1.12: an extendedKeyUsage with no purpose is refused', async () => {
    await assert.rejects(buildCertificate({ ...base(), extendedKeyUsage: [] }), refused('§4.2.1.12', /lists no purpose/));
  });

  it('§4.2: an extension that appears twice is refused', () => {
    assert.throws(() => checkTbsProfile(tbsWith([ski(), aki(), ski()]), keyIds()), refused('§4.2', /2\.5\.29\.14 appears twice/));
  });

  it('§4.2.1.10: name-constraint bases must be well formed, in a CA certificate, critical', async () => {
    const ca = { ...base(), ca: { pathLength: 0 }, keyUsage: ['keyCertSign', 'cRLSign'] as CertificateSpec['keyUsage'], extendedKeyUsage: undefined };
    const good = await buildCertificate({ ...ca, nameConstraints: { permitted: [{ dns: 'bacninh.gov.vn' }, { email: '.bacninh.gov.vn' }, { ip: '10.0.0.0/8' }, { ip: '2001:db8::/32' }], excluded: [{ uri: '.example.vn' }] } });
    const nc = good.extensions!.find((e) => e.extnID === '2.5.29.30')!;
    assert.equal(nc.critical, true);
    assert.ok(Buffer.from(toDer(good)).includes(Buffer.from([0x87, 0x08, 10, 0, 0, 0, 255, 0, 0, 0])), 'iPAddress 10.0.0.0/8 as address and mask');
    await assert.rejects(buildCertificate({ ...ca, nameConstraints: { permitted: [{ dns: 'bad..name' }] } }), refused('§4.2.1.10', /dNSName "bad\.\.name"/));
    await assert.rejects(buildCertificate({ ...ca, nameConstraints: { permitted: [{ email: 'a@b@c.vn' }] } }), refused('§4.2.1.10', /rfc822Name/));
    await assert.rejects(buildCertificate({ ...ca, nameConstraints: { permitted: [] } }), refused('§4.2.1.10', /empty subtrees list/));
    await assert.rejects(buildCertificate({ ...base(), nameConstraints: { permitted: [{ dns: 'bacninh.gov.vn' }] } }), refused('§4.2.1.10', /not a CA/));
    assert.throws(() => cidrBytes('10.0.0.0/33'), /nameConstraints\.ip: expected an IPv4 or IPv6 block/);
    assert.throws(() => cidrBytes('mail.vn/8'), /nameConstraints\.ip/);
    // A mask with a hole cannot come from CIDR; it is refused in the bytes to be signed all the same.
    const holey = new pkijs.NameConstraints({ permittedSubtrees: [new pkijs.GeneralSubtree({ base: new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: Uint8Array.of(10, 0, 0, 0, 255, 0, 255, 0).buffer }) }) })] });
    const bc = new pkijs.Extension({ extnID: '2.5.29.19', critical: true, extnValue: new pkijs.BasicConstraints({ cA: true }).toSchema().toBER(false) });
    const ncExt = new pkijs.Extension({ extnID: '2.5.29.30', critical: true, extnValue: holey.toSchema().toBER(false) });
    assert.throws(() => checkTbsProfile(tbsWith([bc, ski(), aki(), ncExt]), keyIds()), refused('§4.2.1.10', /non-contiguous mask/));
  });
});
