// PAdES signatures (ETSI EN 319 142-1) at levels B-B, B-T and B-LT, each one an incremental update
// so that the signatures already in the document stay valid.

import type { KeyObject } from 'node:crypto';
import type * as pkijs from 'pkijs';
import { certificateDer } from '../cms/attributes.js';
import { formatName, signCms, toKeyObject, type CryptoKey, type SigningHash } from '../cms/index.js';
import type { Timestamper } from '../tsa/types.js';
import { addDss, type ValidationMaterial } from './dss.js';
import type { WidgetOptions } from './fields.js';
import { embedSignature, prepareSignature, signedBytes } from './placeholder.js';
import { certificateStampValues, stampWidget, vietnamDate, vietnamIsoTime, type StampOptions } from './stamp.js';
import { pdfError } from './syntax.js';
import { signatureTimestampAttribute } from './timestamp.js';

export type PadesLevel = 'B-B' | 'B-T' | 'B-LT';
export const PADES_LEVELS: readonly PadesLevel[] = ['B-B', 'B-T', 'B-LT'];

/** Fetches the revocation material (CRLs, OCSP answers) for a chain, leaf first; used for B-LT. */
export type RevocationSource = (chain: pkijs.Certificate[]) => Promise<ValidationMaterial>;

export interface SignPdfOptions {
  pdf: Uint8Array;
  certificate: pkijs.Certificate;
  privateKey: CryptoKey | KeyObject;
  /** The issuing chain (intermediates, root last); goes into the CMS and, for B-LT, the DSS. */
  chain?: pkijs.Certificate[];
  /** Default B-B. */
  level?: PadesLevel;
  /** Required for B-T and B-LT. */
  timestamper?: Timestamper;
  /** Required for B-LT. */
  revocation?: RevocationSource;
  /** The claimed signing time, written as /M; default now. */
  signingTime?: Date;
  /** /Name; default the signer certificate's common name. */
  name?: string;
  reason?: string;
  location?: string;
  contactInfo?: string;
  hash?: SigningHash;
  /** Where the signature shows; default invisible. The hook for visible stamps. */
  widget?: WidgetOptions;
  /**
   * A visible stamp from a stamp profile (signer/pdf/stamp-profile.ts), drawn in the widget; its
   * templates also get the certificate's commonName, title, organisation, organisationalUnit and
   * the signing time. Not together with `widget`.
   */
  stamp?: StampOptions;
  /** Bytes reserved for the CMS; default an estimate from the chain, the key and the level. */
  contentsSize?: number;
}

export interface SignedPdf {
  pdf: Uint8Array;
  fieldName: string;
  byteRange: [number, number, number, number];
  /** DER size of the CMS and the room that was reserved for it. */
  cmsBytes: number;
  reservedBytes: number;
}

/** Room for a signature time-stamp token: a SignedData with the TSA's certificate (and often its chain). */
const TIMESTAMP_ROOM = 8192;
/** Signed attributes, SignerInfo and SignedData framing. */
const STRUCTURE_ROOM = 2048;

/** The largest signature the key makes, in bytes. */
function signatureSize(key: KeyObject): number {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa' && details?.modulusLength) return details.modulusLength / 8;
  return 2 * 66 + 9; // ECDSA-Sig-Value on P-521, the largest curve we accept
}

/** Certificates + twice the signature + framing (+ a time-stamp token at B-T and above). */
export function estimateContentsSize(certificate: pkijs.Certificate, chain: pkijs.Certificate[], key: KeyObject, level: PadesLevel): number {
  const certs = [certificate, ...chain].reduce((n, c) => n + certificateDer(c).length, 0);
  return certs + 2 * signatureSize(key) + STRUCTURE_ROOM + (level === 'B-B' ? 0 : TIMESTAMP_ROOM);
}

function commonName(cert: pkijs.Certificate): string | undefined {
  const cn = cert.subject.typesAndValues.find((tv) => tv.type === '2.5.4.3');
  const value = (cn?.value as { valueBlock?: { value?: unknown } } | undefined)?.valueBlock?.value;
  return typeof value === 'string' ? value : undefined;
}

function requireOption<T>(value: T | undefined, what: string, whatVi: string, level: PadesLevel): T {
  if (value === undefined) throw pdfError('INVALID_INPUT', `level ${level} needs ${what}`, `mức ${level} cần ${whatVi}`);
  return value;
}

/** Signs a PDF (PAdES, ETSI.CAdES.detached) by appending an incremental update. */
export async function signPdf(o: SignPdfOptions): Promise<SignedPdf> {
  const level = o.level ?? 'B-B';
  if (!PADES_LEVELS.includes(level)) {
    throw pdfError('INVALID_INPUT', `level must be one of ${PADES_LEVELS.join(', ')} (got ${String(level)})`, `mức ký phải là một trong ${PADES_LEVELS.join(', ')} (nhận được ${String(level)})`);
  }
  const timestamper = level === 'B-B' ? undefined : requireOption(o.timestamper, 'a time-stamping authority (timestamper)', 'máy chủ cấp dấu thời gian (timestamper)', level);
  const revocation = level === 'B-LT' ? requireOption(o.revocation, 'a source of revocation data (revocation)', 'nguồn dữ liệu thu hồi (revocation)', level) : undefined;
  const chain = o.chain ?? [];
  const key = toKeyObject(o.privateKey);
  const reservedBytes = o.contentsSize ?? estimateContentsSize(o.certificate, chain, key, level);
  const signingTime = o.signingTime ?? new Date();
  if (o.stamp && o.widget) throw pdfError('INVALID_INPUT', 'give either widget or stamp, not both', 'chỉ truyền widget hoặc stamp, không truyền cả hai');
  const widget = o.stamp
    ? stampWidget(o.stamp, { ...certificateStampValues(o.certificate), ...o.stamp.values, signingTime: vietnamIsoTime(signingTime), signingDate: vietnamDate(signingTime) })
    : o.widget;

  const prepared = await prepareSignature(
    o.pdf,
    {
      signingTime,
      contentsBytes: reservedBytes,
      name: o.name ?? commonName(o.certificate) ?? formatName(o.certificate.subject),
      ...(o.reason ? { reason: o.reason } : {}),
      ...(o.location ? { location: o.location } : {}),
      ...(o.contactInfo ? { contactInfo: o.contactInfo } : {}),
    },
    widget,
  );
  const cms = await signCms({
    content: signedBytes(prepared.bytes, prepared.byteRange),
    detached: true,
    certificate: o.certificate,
    privateKey: o.privateKey,
    chain,
    ...(o.hash ? { hash: o.hash } : {}),
    omitSigningTime: true,
    ...(timestamper ? { unsignedAttributes: async (sig: Uint8Array) => [await signatureTimestampAttribute(sig, timestamper)] } : {}),
  });
  let pdf = embedSignature(prepared, cms);

  if (revocation) {
    const [start, end] = [prepared.byteRange[1] + 1, prepared.byteRange[2] - 1];
    const signatureContents = new Uint8Array(Buffer.from(Buffer.from(pdf.subarray(start, end)).toString('latin1'), 'hex'));
    const revocationData = await revocation([o.certificate, ...chain]);
    const certificates = [o.certificate, ...chain].map((c) => certificateDer(c));
    pdf = await addDss(pdf, [{ signatureContents, material: { ...revocationData, certificates: [...certificates, ...(revocationData.certificates ?? [])] } }]);
  }
  return { pdf, fieldName: prepared.fieldName, byteRange: prepared.byteRange, cmsBytes: cms.length, reservedBytes };
}
