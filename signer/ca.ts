import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { audit } from '../core/audit.js';
import { ConflictError, GovmailError, InvalidInputError } from '../core/errors.js';
import { seal, unseal, type Kek } from '../core/kek.js';
import { generateKey, privateKeyFromPem, privateKeyToPem, spkiDer, type KeyAlgorithm } from './keys.js';
import { nameFromAttributes, subjectName, formatName, type Subject } from './subject.js';
import { buildCertificate, certificateFromDer, derBlocks, pem, publicKeyInfoFromDer, toDer } from './x509.js';
import { signRequest } from './x509-sign.js';

/**
 * The certification authorities this GovMail runs: a standalone root and issuing CA, or an issuing
 * sub-CA whose certificate the national root signs (then the root is 'external': we hold no key).
 */
export interface CaRow {
  id: number;
  name: string;
  role: 'root' | 'issuing' | 'external';
  status: 'pending' | 'active' | 'retired';
  subject_dn: string;
  algorithm: KeyAlgorithm | null;
  cert_der: Buffer | null;
  key_sealed: string | null;
  parent_id: number | null;
  crl_number: string;
  ocsp_cert_der: Buffer | null;
  ocsp_key_sealed: string | null;
}

const DAY = 86_400_000;
const ROOT_YEARS = 20;
const ISSUING_YEARS = 10;
const OCSP_SIGNER_DAYS = 90;

export const caKeyContext = (name: string) => `ca:${name}`;
const ocspKeyContext = (name: string) => `ocsp:${name}`;

export async function listCas(db: Sequelize, t?: Transaction): Promise<CaRow[]> {
  return db.query<CaRow>('SELECT * FROM signer_cas ORDER BY id', { type: QueryTypes.SELECT, transaction: t });
}

export async function caByName(db: Sequelize, name: string): Promise<CaRow | undefined> {
  const [row] = await db.query<CaRow>('SELECT * FROM signer_cas WHERE name = $1', { bind: [name], type: QueryTypes.SELECT });
  return row;
}

export async function activeIssuingCa(db: Sequelize, t?: Transaction): Promise<CaRow> {
  const [row] = await db.query<CaRow>(`SELECT * FROM signer_cas WHERE role = 'issuing' AND status = 'active'`, { type: QueryTypes.SELECT, transaction: t });
  if (!row) throw new GovmailError('CA_NOT_READY', 'no active issuing CA: run `govmail ca init` (or `ca csr` + `ca import`)', 'chưa có CA cấp phát đang hoạt động: chạy `govmail ca init` (hoặc `ca csr` + `ca import`)', 409);
  return row;
}

export function caKey(kek: Kek, ca: Pick<CaRow, 'name' | 'key_sealed'>): KeyObject {
  if (!ca.key_sealed) throw new GovmailError('CA_NO_KEY', `we hold no private key for CA ${ca.name}`, `không giữ khoá bí mật của CA ${ca.name}`, 409);
  return privateKeyFromPem(unseal(kek, ca.key_sealed, caKeyContext(ca.name)));
}

/** The chain from a CA up to its root, as stored (issuing first, root last). */
export async function caChain(db: Sequelize, from: CaRow): Promise<pkijs.Certificate[]> {
  const all = new Map((await listCas(db)).map((c) => [c.id, c]));
  const chain: pkijs.Certificate[] = [];
  for (let ca: CaRow | undefined = from; ca; ca = ca.parent_id ? all.get(ca.parent_id) : undefined) {
    if (ca.cert_der) chain.push(certificateFromDer(ca.cert_der));
  }
  return chain;
}

export function pkiUrls(base: string, ca: Pick<CaRow, 'name'>, parent?: Pick<CaRow, 'name'>) {
  return {
    crlUrl: `${base}/crl/${(parent ?? ca).name}.crl`,
    ocspUrl: `${base}/ocsp`,
    caIssuersUrl: `${base}/ca/${(parent ?? ca).name}.crt`,
  };
}

export interface CaInitOptions {
  organization: string;
  province?: string;
  commonName?: string;
  algorithm: KeyAlgorithm;
  pkiUrl: string;
  actor: string;
}

/** Creates the root and the issuing CA, each key sealed with the KEK, plus their OCSP signers and first CRLs. */
export async function initCa(db: Sequelize, kek: Kek, o: CaInitOptions): Promise<{ root: CaRow; issuing: CaRow }> {
  if ((await listCas(db)).length) throw new ConflictError('certification authority', 'CA', 'this installation already has one');
  const base: Subject = { country: 'VN', province: o.province, organization: o.organization };
  const rootName = 'root';
  const issuingName = 'issuing';
  const now = new Date(Date.now() - 5 * 60_000); // a little back-dating absorbs clock skew at relying parties

  const rootKey = await generateKey(o.algorithm);
  const rootCert = await buildCertificate({
    subject: subjectName({ ...base, commonName: o.commonName ?? `${o.organization} Root CA` }),
    publicKeyInfo: publicKeyInfoFromDer(spkiDer(rootKey.publicKey)),
    signingKey: rootKey.privateKey,
    notBefore: now,
    notAfter: new Date(now.getTime() + ROOT_YEARS * 365 * DAY),
    ca: { pathLength: 1 },
    keyUsage: ['keyCertSign', 'cRLSign'],
  });
  const issuingKey = await generateKey(o.algorithm);
  const issuingCert = await buildCertificate({
    subject: subjectName({ ...base, commonName: `${o.organization} Issuing CA` }),
    publicKeyInfo: publicKeyInfoFromDer(spkiDer(issuingKey.publicKey)),
    issuer: rootCert,
    signingKey: rootKey.privateKey,
    notBefore: now,
    notAfter: new Date(now.getTime() + ISSUING_YEARS * 365 * DAY),
    ca: { pathLength: 0 },
    keyUsage: ['keyCertSign', 'cRLSign'],
    ...pkiUrls(o.pkiUrl, { name: issuingName }, { name: rootName }),
  });

  return db.transaction(async (t) => {
    const insert = async (name: string, role: CaRow['role'], cert: pkijs.Certificate, key: KeyObject, parentId: number | null) => {
      const [row] = await db.query<CaRow>(
        `INSERT INTO signer_cas (name, role, status, subject_dn, algorithm, cert_der, key_sealed, parent_id)
         VALUES ($1, $2, 'active', $3, $4, $5, $6, $7) RETURNING *`,
        { bind: [name, role, formatName(cert.subject), o.algorithm, toDer(cert), seal(kek, privateKeyToPem(key), caKeyContext(name)), parentId], type: QueryTypes.SELECT, transaction: t },
      );
      return row;
    };
    const root = await insert(rootName, 'root', rootCert, rootKey.privateKey, null);
    const issuing = await insert(issuingName, 'issuing', issuingCert, issuingKey.privateKey, root.id);
    await audit(db, { actor: o.actor, action: 'ca.init', target: issuingName, after: { root: root.subject_dn, issuing: issuing.subject_dn, algorithm: o.algorithm } }, t);
    return { root, issuing };
  });
}

/**
 * For a province under the national root: makes the issuing key and a PKCS#10 request for it. The
 * CA row stays 'pending' until `importSubCa` brings the signed certificate.
 */
export async function requestSubCa(db: Sequelize, kek: Kek, o: { organization: string; province?: string; commonName?: string; algorithm: KeyAlgorithm; actor: string }): Promise<string> {
  if ((await listCas(db)).some((c) => c.role === 'issuing')) throw new ConflictError('issuing CA', 'CA cấp phát', 'issuing');
  const subject = subjectName({ country: 'VN', province: o.province, organization: o.organization, commonName: o.commonName ?? `${o.organization} Issuing CA` });
  const key = await generateKey(o.algorithm);
  const csr = new pkijs.CertificationRequest();
  csr.version = 0;
  csr.subject = subject;
  csr.subjectPublicKeyInfo = publicKeyInfoFromDer(spkiDer(key.publicKey));
  signRequest(csr, key.privateKey);
  await db.transaction(async (t) => {
    await db.query(
      `INSERT INTO signer_cas (name, role, status, subject_dn, algorithm, key_sealed) VALUES ('issuing', 'issuing', 'pending', $1, $2, $3)`,
      { bind: [formatName(csr.subject), o.algorithm, seal(kek, privateKeyToPem(key.privateKey), caKeyContext('issuing'))], transaction: t },
    );
    await audit(db, { actor: o.actor, action: 'ca.csr', target: 'issuing', after: { subject: formatName(csr.subject), algorithm: o.algorithm } }, t);
  });
  return pem('CERTIFICATE REQUEST', toDer(csr));
}

/** Takes the national root's answer: our certificate and the chain above it (PEM, any order). */
export async function importSubCa(db: Sequelize, kek: Kek, certificatePem: string, chainPem: string, actor: string): Promise<CaRow> {
  const [pending] = await db.query<CaRow>(`SELECT * FROM signer_cas WHERE role = 'issuing' AND status = 'pending'`, { type: QueryTypes.SELECT });
  if (!pending) throw new GovmailError('CA_NOT_PENDING', 'no pending sub-CA request: run `govmail ca csr` first', 'không có yêu cầu CA cấp dưới đang chờ: chạy `govmail ca csr` trước', 409);
  const [certDer] = derBlocks(certificatePem, 'CERTIFICATE');
  let cert: pkijs.Certificate;
  try {
    cert = certificateFromDer(certDer);
  } catch {
    throw new InvalidInputError('certificate', 'a PEM or DER X.509 certificate', 'chứng thư X.509 dạng PEM hoặc DER');
  }
  const ours = spkiDer(caKey(kek, pending));
  if (!Buffer.from(cert.subjectPublicKeyInfo.toSchema().toBER(false)).equals(ours)) {
    throw new InvalidInputError('certificate', 'the certificate for the key of our pending request', 'chứng thư cho khoá của yêu cầu đang chờ');
  }
  const chain = derBlocks(chainPem, 'CERTIFICATE').map((d) => certificateFromDer(d));
  // Order the external chain from our issuer upwards and check every signature on the way.
  const ordered: pkijs.Certificate[] = [];
  let child = cert;
  for (;;) {
    const parent = chain.find((c) => !ordered.includes(c) && formatName(c.subject) === formatName(child.issuer));
    if (!parent) break;
    if (!(await child.verify(parent))) throw new InvalidInputError('chain', `a valid signature on ${formatName(child.subject)} by ${formatName(parent.subject)}`, 'chữ ký hợp lệ trong chuỗi chứng thư');
    ordered.push(parent);
    if (formatName(parent.subject) === formatName(parent.issuer)) break;
    child = parent;
  }
  if (!ordered.length) throw new InvalidInputError('chain', `the certificate of the issuer ${formatName(cert.issuer)}`, `chứng thư của bên cấp ${formatName(cert.issuer)}`);
  return db.transaction(async (t) => {
    let parentId: number | null = null;
    for (const [i, c] of ordered.reverse().entries()) {
      const [row]: { id: number }[] = await db.query<{ id: number }>(
        `INSERT INTO signer_cas (name, role, status, subject_dn, cert_der, parent_id) VALUES ($1, 'external', 'active', $2, $3, $4) RETURNING id`,
        { bind: [i === 0 ? 'national-root' : `external-${i}`, formatName(c.subject), toDer(c), parentId], type: QueryTypes.SELECT, transaction: t },
      );
      parentId = row.id;
    }
    const [row] = await db.query<CaRow>(`UPDATE signer_cas SET status = 'active', cert_der = $1, parent_id = $2, subject_dn = $3 WHERE id = $4 RETURNING *`, {
      bind: [toDer(cert), parentId, formatName(cert.subject), pending.id], type: QueryTypes.SELECT, transaction: t,
    });
    await audit(db, { actor, action: 'ca.import', target: row.name, after: { subject: row.subject_dn, issuer: formatName(cert.issuer) } }, t);
    return row;
  });
}

/**
 * The delegated OCSP signer of a CA (RFC 6960 §4.2.2.2), P-256 for speed whatever the CA's key, with
 * id-pkix-ocsp-nocheck; re-issued when missing or within 30 days of expiry.
 */
export async function ensureOcspSigner(db: Sequelize, kek: Kek, ca: CaRow, pkiUrl: string): Promise<{ cert: pkijs.Certificate; key: KeyObject }> {
  if (ca.ocsp_cert_der && ca.ocsp_key_sealed) {
    const cert = certificateFromDer(ca.ocsp_cert_der);
    if (cert.notAfter.value.getTime() - Date.now() > 30 * DAY) return { cert, key: privateKeyFromPem(unseal(kek, ca.ocsp_key_sealed, ocspKeyContext(ca.name))) };
  }
  const issuer = certificateFromDer(ca.cert_der!);
  const key = await generateKey('p-256');
  const now = new Date(Date.now() - 5 * 60_000);
  const org = issuer.subject.typesAndValues.filter((tv) => tv.type !== '2.5.4.3');
  const cert = await buildCertificate({
    subject: nameFromAttributes([...org, new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: `OCSP ${ca.name}` }) })]),
    publicKeyInfo: publicKeyInfoFromDer(spkiDer(key.publicKey)),
    issuer,
    signingKey: caKey(kek, ca),
    notBefore: now,
    notAfter: new Date(Math.min(now.getTime() + OCSP_SIGNER_DAYS * DAY, issuer.notAfter.value.getTime())),
    keyUsage: ['digitalSignature'],
    extendedKeyUsage: ['ocspSigning'],
    ocspNoCheck: true,
    caIssuersUrl: pkiUrls(pkiUrl, ca).caIssuersUrl,
  });
  await db.query('UPDATE signer_cas SET ocsp_cert_der = $1, ocsp_key_sealed = $2 WHERE id = $3', {
    bind: [toDer(cert), seal(kek, privateKeyToPem(key.privateKey), ocspKeyContext(ca.name)), ca.id],
  });
  return { cert, key: key.privateKey };
}

