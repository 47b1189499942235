// NIST PKITS (2011 edition) against signer/pathvalidation: every case in pkits.json must give
// status 'valid' when it has no `error`, and anything but 'valid' when it has one.
// Status: 247/247 pass; no known failures.
// Validation time is 2015-06-01: after the deliberate 2011-01-01 expiries (4.2.5/4.2.6), after the
// 2011-01-01 delta CRLs, and before the 2030 expiry of the PKITS certificates and CRLs.
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { validatePath } from '../../signer/pathvalidation/index.js';

interface PkitsCase {
  id: string;
  name: string;
  cert: string;
  other_certs?: string[];
  crls?: string[];
  path_intermediates?: string[];
  path_len?: number;
  revocation?: boolean;
  params?: {
    user_initial_policy_set?: string[];
    initial_explicit_policy?: boolean;
    initial_policy_mapping_inhibit?: boolean;
    initial_any_policy_inhibit?: boolean;
  };
  error?: { class: string; msg_regex: string };
}

// The suite lives beside the repository (../shared); a clone elsewhere on this machine finds it at /work/shared.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIR =
  [process.env.PKITS_DIR, path.resolve(repoRoot, '../shared/testdata/pkits'), '/work/shared/testdata/pkits'].find(
    (d): d is string => Boolean(d) && existsSync(path.join(d!, 'pkits.json')),
  ) ?? path.resolve(repoRoot, '../shared/testdata/pkits');
// PKITS certificates are valid 2010-01-01..2030-12-31; some expire 2011-01-01 08:30 on purpose.
const AT = new Date('2015-06-01T00:00:00Z');
const TA_CRL = 'TrustAnchorRootCRL.crl';

const certCache = new Map<string, pkijs.Certificate>();
const crlCache = new Map<string, pkijs.CertificateRevocationList>();
const loadCert = (f: string) => {
  let c = certCache.get(f);
  if (!c) certCache.set(f, (c = pkijs.Certificate.fromBER(readFileSync(path.join(DIR, 'certs', f)))));
  return c;
};
const loadCrl = (f: string) => {
  let c = crlCache.get(f);
  if (!c)
    crlCache.set(f, (c = pkijs.CertificateRevocationList.fromBER(readFileSync(path.join(DIR, 'crls', f)))));
  return c;
};

// Expected failure code for case families where the cause is unambiguous.
function expectedCode(c: PkitsCase): RegExp | undefined {
  const m = c.error?.msg_regex ?? '';
  if (/signature of .* could not be verified/.test(m)) return /^SIGNATURE_INVALID$/;
  if (/is not valid until/.test(m)) return /^NOT_YET_VALID$/;
  if (/ expired /.test(m)) return /^EXPIRED$/;
  if (/^CRL indicates/.test(m)) return /^REVOKED$/;
  if (/no valid set of policies|policy mapping/.test(m)) return /^POLICY$/;
  if (/permitted names|excluded from the namespace/.test(m)) return /^NAME_CONSTRAINTS$/;
  if (/exceeds the maximum path length/.test(m)) return /^PATH_LENGTH$/;
  if (/not allowed to sign certificates/.test(m)) return /^KEY_USAGE$/;
  if (/revocation checks failed|no revocation information/.test(m)) return /^REVOCATION_UNKNOWN$/;
  if (/unsupported critical/.test(m)) return /^UNKNOWN_CRITICAL_EXTENSION$/;
  return undefined;
}

const haveData = existsSync(path.join(DIR, 'pkits.json'));
const cases: PkitsCase[] = haveData ? JSON.parse(readFileSync(path.join(DIR, 'pkits.json'), 'utf8')) : [];

describe('signer/pathvalidation: NIST PKITS', function () {
  let passed = 0;
  // Missing data is a failure, never a silent pass of zero cases.
  it('finds the 247 PKITS cases', () => {
    assert.ok(haveData, `PKITS data not found at ${DIR} (set PKITS_DIR)`);
    assert.equal(cases.length, 247);
  });
  after(() => {
    console.log(`PKITS: ${passed}/${cases.length} passed`);
  });

  for (const c of cases) {
    it(`${c.id} ${c.name}`, async () => {
      const crls = [...new Set([...(c.crls ?? []), TA_CRL])].map(loadCrl);
      const res = await validatePath({
        leaf: loadCert(c.cert),
        trustAnchors: [loadCert('TrustAnchorRootCertificate.crt')],
        untrusted: [...new Set([...(c.other_certs ?? []), ...(c.path_intermediates ?? [])])].map(loadCert),
        crls,
        at: AT,
        checkRevocation: c.revocation !== false,
        userInitialPolicySet: c.params?.user_initial_policy_set,
        initialExplicitPolicy: c.params?.initial_explicit_policy,
        initialPolicyMappingInhibit: c.params?.initial_policy_mapping_inhibit,
        initialAnyPolicyInhibit: c.params?.initial_any_policy_inhibit,
      });
      const detail = `${res.status} ${res.code}: ${res.message}`;
      if (c.error) {
        assert.notEqual(res.status, 'valid', `expected failure (${c.error.msg_regex}), got ${detail}`);
        const code = expectedCode(c);
        if (code) assert.match(res.code, code, detail);
        assert.ok(res.messageVi.length > 0);
      } else {
        assert.equal(res.status, 'valid', detail);
        assert.equal(res.code, 'OK');
        if (c.path_len !== undefined) assert.equal(res.path.length, c.path_len, 'path length');
      }
      passed++;
    });
  }
});

// ---- OCSP: PKITS has no OCSP material, so a tiny ECDSA hierarchy is generated here. ----

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const NOW = new Date('2025-03-01T00:00:00Z');
const DAY = 24 * 3600 * 1000;

function dn(cn: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: cn }) }),
    ],
  });
}

function ext(extnID: string, critical: boolean, value: { toSchema(): asn1js.AsnType } | asn1js.AsnType) {
  const schema = 'toSchema' in value ? value.toSchema() : value;
  return new pkijs.Extension({ extnID, critical, extnValue: schema.toBER(false) });
}

interface Issued {
  cert: pkijs.Certificate;
  keys: webcrypto.CryptoKeyPair;
}

async function issue(opts: {
  cn: string;
  serial: number;
  issuer?: Issued;
  ca?: boolean;
  eku?: string[];
}): Promise<Issued> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: opts.serial });
  cert.subject = dn(opts.cn);
  cert.issuer = opts.issuer ? opts.issuer.cert.subject : dn(opts.cn);
  cert.notBefore.value = new Date(NOW.getTime() - 30 * DAY);
  cert.notAfter.value = new Date(NOW.getTime() + 365 * DAY);
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey);
  cert.extensions = [];
  if (opts.ca) {
    cert.extensions.push(ext('2.5.29.19', true, new pkijs.BasicConstraints({ cA: true })));
    // keyCertSign + cRLSign
    cert.extensions.push(
      ext('2.5.29.15', true, new asn1js.BitString({ valueHex: Uint8Array.of(0x06), unusedBits: 1 })),
    );
  }
  if (opts.eku)
    cert.extensions.push(ext('2.5.29.37', false, new pkijs.ExtKeyUsage({ keyPurposes: opts.eku })));
  await cert.sign((opts.issuer ?? { keys }).keys.privateKey, 'SHA-256');
  return { cert, keys };
}

async function ocspAnswer(opts: {
  cert: pkijs.Certificate;
  issuer: pkijs.Certificate;
  signer: Issued;
  status: 'good' | 'revoked';
  thisUpdate?: Date;
  nextUpdate?: Date;
  includeSignerCert?: boolean;
}): Promise<pkijs.BasicOCSPResponse> {
  const certID = await pkijs.CertID.create(opts.cert, {
    hashAlgorithm: 'SHA-1',
    issuerCertificate: opts.issuer,
  });
  const certStatus =
    opts.status === 'good'
      ? new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } })
      : new asn1js.Constructed({
          idBlock: { tagClass: 3, tagNumber: 1 },
          value: [new asn1js.GeneralizedTime({ valueDate: new Date(NOW.getTime() - 10 * DAY) })],
        });
  const resp = new pkijs.BasicOCSPResponse();
  resp.tbsResponseData.responderID = opts.signer.cert.subject;
  resp.tbsResponseData.producedAt = opts.thisUpdate ?? NOW;
  resp.tbsResponseData.responses.push(
    new pkijs.SingleResponse({
      certID,
      certStatus,
      thisUpdate: opts.thisUpdate ?? new Date(NOW.getTime() - DAY),
      nextUpdate: opts.nextUpdate ?? new Date(NOW.getTime() + DAY),
    }),
  );
  if (opts.includeSignerCert) resp.certs = [opts.signer.cert];
  await resp.sign(opts.signer.keys.privateKey, 'SHA-256');
  // Round-trip through DER so the validator sees what it would receive from the wire.
  return pkijs.BasicOCSPResponse.fromBER(resp.toSchema().toBER(false));
}

describe('signer/pathvalidation: OCSP', () => {
  let root: Issued, ca: Issued, ee: Issued, responder: Issued, noEku: Issued, impostor: Issued;
  const run = (ocsp: pkijs.BasicOCSPResponse[]) =>
    validatePath({ leaf: ee.cert, trustAnchors: [root.cert], untrusted: [ca.cert], ocsp, at: NOW });

  before(async () => {
    root = await issue({ cn: 'OCSP Test Root', serial: 1, ca: true });
    ca = await issue({ cn: 'OCSP Test CA', serial: 2, issuer: root, ca: true });
    ee = await issue({ cn: 'OCSP Test EE', serial: 3, issuer: ca });
    responder = await issue({ cn: 'OCSP Responder', serial: 4, issuer: ca, eku: ['1.3.6.1.5.5.7.3.9'] });
    noEku = await issue({ cn: 'Not A Responder', serial: 5, issuer: ca });
    impostor = await issue({ cn: 'OCSP Test CA', serial: 2, ca: true });
  });

  async function caAnswer(): Promise<pkijs.BasicOCSPResponse> {
    // The intermediate CA itself is vouched for by the root.
    return ocspAnswer({ cert: ca.cert, issuer: root.cert, signer: root, status: 'good' });
  }

  it('accepts a good answer signed by the issuing CA', async () => {
    const res = await run([
      await caAnswer(),
      await ocspAnswer({ cert: ee.cert, issuer: ca.cert, signer: ca, status: 'good' }),
    ]);
    assert.equal(res.status, 'valid', res.message);
    assert.deepEqual(
      res.revocation?.map((r) => [r.status, r.source]),
      [
        ['good', 'ocsp'],
        ['good', 'ocsp'],
      ],
    );
  });

  it('accepts a delegated responder carrying id-kp-OCSPSigning', async () => {
    const a = await ocspAnswer({
      cert: ee.cert,
      issuer: ca.cert,
      signer: responder,
      status: 'good',
      includeSignerCert: true,
    });
    assert.equal((await run([await caAnswer(), a])).status, 'valid');
  });

  it('reports a revoked answer as REVOKED', async () => {
    const res = await run([
      await caAnswer(),
      await ocspAnswer({ cert: ee.cert, issuer: ca.cert, signer: ca, status: 'revoked' }),
    ]);
    assert.equal(res.status, 'invalid');
    assert.equal(res.code, 'REVOKED');
    assert.match(res.message, /end-entity certificate/);
    assert.match(res.messageVi, /thu hồi/);
  });

  it('ignores answers from an unauthorised responder, a forged CA key, or stale/mismatched answers', async () => {
    const bad = [
      await ocspAnswer({
        cert: ee.cert,
        issuer: ca.cert,
        signer: noEku,
        status: 'good',
        includeSignerCert: true,
      }),
      await ocspAnswer({
        cert: ee.cert,
        issuer: ca.cert,
        signer: impostor,
        status: 'good',
        includeSignerCert: true,
      }),
      await ocspAnswer({
        cert: ee.cert,
        issuer: ca.cert,
        signer: ca,
        status: 'good',
        thisUpdate: new Date(NOW.getTime() - 10 * DAY),
        nextUpdate: new Date(NOW.getTime() - 5 * DAY),
      }),
      await ocspAnswer({ cert: responder.cert, issuer: ca.cert, signer: ca, status: 'good' }),
    ];
    for (const a of bad) {
      const res = await run([await caAnswer(), a]);
      assert.equal(res.status, 'indeterminate', res.message);
      assert.equal(res.code, 'REVOCATION_UNKNOWN');
    }
  });
});
