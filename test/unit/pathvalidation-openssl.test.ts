// Differential test: ~45 generated certification paths, each judged by signer/pathvalidation and by
// `openssl verify` (OpenSSL 3.0 defaults: no -x509_strict, no -partial_chain; -purpose only where
// the case asks for one). Our verdict (valid / not valid) must equal OpenSSL's for every case except
// the deliberate differences listed in DIFFERENCES, each with its reason (also in signer/README.md).
import assert from 'node:assert/strict';
import { validatePath, type Purpose } from '../../signer/pathvalidation/index.js';
import {
  CA_EXTS, EKU, LEAF_EXTS, certDer, cn, ext, genTime, keyId, newKey, octets, opensslVerify, parse, rootCa, seq, tlv, utcTime,
  type Ext, type Key, type Time,
} from '../support/pathvalidation-certs.js';

const AT = new Date('2026-06-01T00:00:00Z');
const PAST = { notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') };
const FUTURE = { notBefore: new Date('2030-01-01T00:00:00Z'), notAfter: new Date('2031-01-01T00:00:00Z') };

interface Case {
  anchor: Buffer;
  untrusted: Buffer[];
  leaf: Buffer;
  purpose?: Purpose;
}

interface Shape {
  rootExts?: Ext[];
  rootTimes?: { notBefore?: Time; notAfter?: Time };
  /** intermediates from the root down; none when empty */
  ints?: { exts?: Ext[]; times?: { notBefore?: Time; notAfter?: Time }; subject?: Uint8Array; selfIssuedRekey?: boolean }[];
  leafExts?: Ext[];
  leafTimes?: { notBefore?: Time; notAfter?: Time };
  leafSerial?: bigint | Uint8Array;
  leafSubject?: Uint8Array;
  purpose?: Purpose;
}

/** root -> intermediates -> leaf; every certificate well-formed unless the shape says otherwise. */
function chain(s: Shape = {}): Case {
  const rootKey = newKey();
  const root = rootCa('Diff Root', rootKey, [...(s.rootExts ?? CA_EXTS()), ext.ski(keyId(rootKey))], s.rootTimes ?? {});
  let issuer = { name: root.name, key: root.key };
  const untrusted: Buffer[] = [];
  (s.ints ?? [{}]).forEach((i, n) => {
    const key = newKey();
    const subject = i.selfIssuedRekey ? issuer.name : (i.subject ?? cn(`Diff Intermediate ${n}`));
    untrusted.push(certDer({ subject, issuer: issuer.name, key, signer: issuer.key, exts: i.exts ?? CA_EXTS(), keyIds: true, ...(i.times ?? {}) }));
    issuer = { name: subject, key };
  });
  const leaf = certDer({
    subject: s.leafSubject ?? cn('Nguyễn Văn A'),
    issuer: issuer.name,
    key: newKey(),
    signer: issuer.key,
    exts: s.leafExts ?? LEAF_EXTS,
    keyIds: true,
    ...(s.leafTimes ?? {}),
    ...(s.leafSerial !== undefined ? { serial: s.leafSerial } : {}),
  });
  return { anchor: root.der, untrusted, leaf, ...(s.purpose ? { purpose: s.purpose } : {}) };
}

const leafWith = (...extra: Ext[]) => [...LEAF_EXTS, ...extra];
const ncDns = (o: { permittedDns?: string[]; excludedDns?: string[] }) => [...CA_EXTS(), ext.nameConstraints(o)];
const sameNameMaze = (): Case => {
  const root = rootCa('Diff Root');
  const maze = cn('Maze CA');
  const keys: Key[] = Array.from({ length: 25 }, () => newKey());
  const untrusted = keys.map((key, i) => certDer({ subject: maze, issuer: maze, key, signer: keys[(i + 1) % keys.length]!, exts: CA_EXTS() }));
  const leaf = certDer({ subject: cn('Leaf'), issuer: maze, key: newKey(), signer: keys[0]!, exts: LEAF_EXTS });
  return { anchor: root.der, untrusted, leaf };
};
const crossLoop = (): Case => {
  const root = rootCa('Diff Root');
  const [kx, ky] = [newKey(), newKey()];
  const x = certDer({ subject: cn('X CA'), issuer: cn('Y CA'), key: kx, signer: ky, exts: CA_EXTS() });
  const y = certDer({ subject: cn('Y CA'), issuer: cn('X CA'), key: ky, signer: kx, exts: CA_EXTS() });
  const leaf = certDer({ subject: cn('Leaf'), issuer: cn('X CA'), key: newKey(), signer: kx, exts: LEAF_EXTS });
  return { anchor: root.der, untrusted: [x, y], leaf };
};
const akiMismatch = (): Case => {
  const root = rootCa('Diff Root');
  const ki = newKey();
  const i = certDer({ subject: cn('Int'), issuer: root.name, key: ki, signer: root.key, exts: [...CA_EXTS(), ext.ski(Buffer.alloc(20, 1))] });
  const leaf = certDer({ subject: cn('Leaf'), issuer: cn('Int'), key: newKey(), signer: ki, exts: leafWith(ext.aki(Buffer.alloc(20, 2))) });
  return { anchor: root.der, untrusted: [i], leaf };
};
const manyNames = (): Case => {
  const sans = Array.from({ length: 1100 }, (_, i) => `host${i}.example.gov.vn`);
  const bases = Array.from({ length: 1000 }, (_, i) => `zone${i}.gov.vn`);
  return chain({ ints: [{ exts: ncDns({ excludedDns: bases }) }], leafExts: leafWith(ext.sanDns(sans)) });
};

const dupKu = [ext.keyUsage(0, 1), ext.keyUsage(0)];
const emptyEku: Ext = { oid: '2.5.29.37', value: seq() };
const badIpBase = tlv(0x87, Uint8Array.of(10, 0, 0)); // iPAddress base must be 8 or 32 octets

const CASES: Record<string, () => Case> = {
  'baseline root -> intermediate -> leaf': () => chain(),
  'leaf directly under the root': () => chain({ ints: [] }),
  'anchor expired': () => chain({ rootTimes: PAST }),
  'anchor not yet valid': () => chain({ rootTimes: FUTURE }),
  'anchor pathLen 0 above one intermediate': () => chain({ rootExts: CA_EXTS(0) }),
  'anchor pathLen 0 directly above the leaf': () => chain({ rootExts: CA_EXTS(0), ints: [] }),
  'anchor pathLen 1 above two intermediates': () => chain({ rootExts: CA_EXTS(1), ints: [{}, {}] }),
  'anchor name constraints exclude the leaf SAN': () => chain({ rootExts: ncDns({ excludedDns: ['evil.vn'] }), leafExts: leafWith(ext.sanDns(['www.evil.vn'])) }),
  'anchor name constraints permit the leaf SAN': () => chain({ rootExts: ncDns({ permittedDns: ['gov.vn'] }), leafExts: leafWith(ext.sanDns(['mail.hanoi.gov.vn'])) }),
  'anchor name constraints do not permit the leaf SAN': () => chain({ rootExts: ncDns({ permittedDns: ['gov.vn'] }), leafExts: leafWith(ext.sanDns(['mail.example.com'])) }),
  'anchor without basicConstraints': () => chain({ rootExts: [ext.keyUsage(5, 6)] }),
  'anchor with cA false': () => chain({ rootExts: [ext.basicConstraints(false), ext.keyUsage(5, 6)] }),
  'anchor keyUsage without keyCertSign': () => chain({ rootExts: [ext.basicConstraints(true), ext.keyUsage(6)] }),
  'anchor with an unknown critical extension': () => chain({ rootExts: [...CA_EXTS(), { oid: '1.3.6.1.4.1.32473.1.1', critical: true, value: octets(Uint8Array.of(1)) }] }),
  'intermediate expired': () => chain({ ints: [{ times: PAST }] }),
  'intermediate not a CA': () => chain({ ints: [{ exts: [ext.basicConstraints(false), ext.keyUsage(5, 6)] }] }),
  'intermediate without basicConstraints': () => chain({ ints: [{ exts: [ext.keyUsage(5, 6)] }] }),
  'intermediate pathLen 0 above another intermediate': () => chain({ ints: [{ exts: CA_EXTS(0) }, {}] }),
  'intermediate pathLen 0 above a self-issued re-key': () => chain({ ints: [{ exts: CA_EXTS(0) }, { selfIssuedRekey: true }] }),
  'intermediate keyUsage without keyCertSign': () => chain({ ints: [{ exts: [ext.basicConstraints(true), ext.keyUsage(6)] }] }),
  'intermediate name constraints exclude the leaf SAN': () => chain({ ints: [{ exts: ncDns({ excludedDns: ['evil.vn'] }) }], leafExts: leafWith(ext.sanDns(['a.evil.vn'])) }),
  'intermediate name constraints permit the leaf SAN': () => chain({ ints: [{ exts: ncDns({ permittedDns: ['hanoi.gov.vn'] }) }], leafExts: leafWith(ext.sanDns(['mail.hanoi.gov.vn'])) }),
  'intermediate with a malformed name-constraint base': () => chain({ ints: [{ exts: [...CA_EXTS(), ext.nameConstraints({ permittedRaw: [badIpBase] })] }] }),
  'leaf expired': () => chain({ leafTimes: PAST }),
  'leaf not yet valid': () => chain({ leafTimes: FUTURE }),
  'leaf with an unknown critical extension': () => chain({ leafExts: leafWith({ oid: '1.3.6.1.4.1.32473.1.2', critical: true, value: octets(Uint8Array.of(1)) }) }),
  'leaf with two keyUsage extensions': () => chain({ leafExts: [ext.basicConstraints(false), ...dupKu] }),
  'intermediate with two basicConstraints extensions': () => chain({ ints: [{ exts: [ext.basicConstraints(true), ext.basicConstraints(true), ext.keyUsage(5, 6)] }] }),
  'leaf with an empty extendedKeyUsage': () => chain({ leafExts: [ext.basicConstraints(false), ext.keyUsage(0), emptyEku] }),
  'leaf serial negative': () => chain({ leafSerial: -5n }),
  'leaf serial zero': () => chain({ leafSerial: 0n }),
  'leaf serial 20 octets': () => chain({ leafSerial: Buffer.alloc(20, 0x11) }),
  'leaf serial 21 octets': () => chain({ leafSerial: Buffer.alloc(21, 0x11) }),
  'leaf with an empty subject and a critical SAN': () => chain({ leafSubject: seq(), leafExts: leafWith(ext.sanEmail(['a@hanoi.gov.vn'], true)) }),
  'leaf with an empty subject and a non-critical SAN': () => chain({ leafSubject: seq(), leafExts: leafWith(ext.sanEmail(['a@hanoi.gov.vn'], false)) }),
  'leaf with an empty subject and no SAN': () => chain({ leafSubject: seq() }),
  'leaf UTCTime without seconds': () => chain({ leafTimes: { notBefore: utcTime('2501010000Z') } }),
  'leaf GeneralizedTime with fractional seconds': () => chain({ leafTimes: { notBefore: genTime('20250101000000.5Z') } }),
  'leaf GeneralizedTime before 2050': () => chain({ leafTimes: { notBefore: genTime('20250101000000Z') } }),
  'leaf UTCTime with a time-zone offset': () => chain({ leafTimes: { notBefore: utcTime('250101000000+0700') } }),
  'leaf authorityKeyIdentifier differs from the issuer subjectKeyIdentifier': akiMismatch,
  'same-named maze with no path': sameNameMaze,
  'two CAs cross-signing each other': crossLoop,
  '1100 SANs under 1000 excluded subtrees': manyNames,
  'purpose smime: leaf emailProtection': () => chain({ purpose: 'smime' }),
  'purpose smime: leaf serverAuth only': () => chain({ purpose: 'smime', leafExts: [ext.basicConstraints(false), ext.keyUsage(0), ext.eku(EKU.serverAuth)] }),
  'purpose smime: leaf without extendedKeyUsage': () => chain({ purpose: 'smime', leafExts: [ext.basicConstraints(false), ext.keyUsage(0)] }),
  'purpose smime: leaf keyUsage keyEncipherment only': () => chain({ purpose: 'smime', leafExts: [ext.basicConstraints(false), ext.keyUsage(2), ext.eku(EKU.emailProtection)] }),
  'purpose smime: intermediate EKU serverAuth only': () => chain({ purpose: 'smime', ints: [{ exts: [...CA_EXTS(), ext.eku(EKU.serverAuth)] }] }),
  'purpose tls: leaf serverAuth': () => chain({ purpose: 'tls', leafExts: [ext.basicConstraints(false), ext.keyUsage(0, 2), ext.eku(EKU.serverAuth)] }),
  'purpose tls: leaf emailProtection only': () => chain({ purpose: 'tls' }),
};

/**
 * Cases where we deliberately answer differently from OpenSSL 3.0's defaults, and why.
 * Keep in step with "Deliberate differences" in signer/README.md.
 */
const DIFFERENCES: Record<string, string> = {
  'intermediate with a malformed name-constraint base':
    'RFC 5280 §4.2.1.10: an iPAddress base is an address and a mask (8 or 32 octets); OpenSSL only notices when it compares an address with it, we refuse the CA that carries it',
  'leaf with an empty extendedKeyUsage': 'RFC 5280 §4.2.1.12: KeyPurposeId SIZE (1..MAX); OpenSSL 3.0 accepts an empty sequence even with -x509_strict',
  'leaf serial 21 octets': 'RFC 5280 §4.1.2.2: at most 20 octets; OpenSSL 3.0 accepts longer serials even with -x509_strict',
  'leaf with an empty subject and a non-critical SAN': 'RFC 5280 §4.1.2.6: with an empty subject the SAN MUST be critical; OpenSSL refuses it only with -x509_strict',
  'leaf with an empty subject and no SAN': 'RFC 5280 §4.1.2.6: a certificate must name its subject somewhere; OpenSSL refuses it only with -x509_strict',
};

const OPENSSL_PURPOSE: Record<Purpose, string | undefined> = { any: undefined, smime: 'smimesign', tls: 'sslserver', document: undefined };

function openssl(c: Case): { valid: boolean; detail: string } {
  const purpose = c.purpose ? OPENSSL_PURPOSE[c.purpose] : undefined;
  // PV_DIFF_STRICT=1 shows what -x509_strict would say (how the differences above were checked).
  const flags = [...(process.env.PV_DIFF_STRICT ? ['-x509_strict'] : []), ...(purpose ? ['-purpose', purpose] : [])];
  const detail = opensslVerify({ anchor: c.anchor, untrusted: c.untrusted, leaf: c.leaf, at: AT, flags });
  return { valid: detail === 'OK', detail };
}

async function ours(c: Case): Promise<{ valid: boolean; detail: string }> {
  let leaf;
  try {
    leaf = parse(c.leaf);
  } catch (e) {
    return { valid: false, detail: `unparseable: ${(e as Error).message}` };
  }
  const r = await validatePath({
    leaf, trustAnchors: [parse(c.anchor)], untrusted: c.untrusted.map(parse), at: AT, checkRevocation: false, ...(c.purpose ? { purpose: c.purpose } : {}),
  });
  return { valid: r.status === 'valid', detail: `${r.status} ${r.code}: ${r.message}` };
}

describe('path validation against openssl verify (OpenSSL 3.0 defaults)', function () {
  this.timeout(60_000);

  it('has about forty cases and every listed difference names a case', () => {
    assert.ok(Object.keys(CASES).length >= 40);
    for (const k of Object.keys(DIFFERENCES)) assert.ok(k in CASES, k);
  });

  for (const [label, make] of Object.entries(CASES)) {
    it(label, async () => {
      const c = make();
      const [o, u] = [openssl(c), await ours(c)];
      const why = `openssl: ${o.detail} / ours: ${u.detail}`;
      if (process.env.PV_DIFF_VERBOSE) console.log(`## ${label} :: ${why}`);
      if (label in DIFFERENCES) assert.notEqual(u.valid, o.valid, `listed as a deliberate difference (${DIFFERENCES[label]}) but both agree — ${why}`);
      else assert.equal(u.valid, o.valid, why);
    });
  }
});
