// Certificate summaries for the report, and the few certificate facts the validation needs.

import * as pkijs from 'pkijs';
import { formatName } from '../cms/verify.js';
import type { CertificateSummary } from './types.js';

const ATTR = {
  cn: '2.5.4.3',
  o: '2.5.4.10',
  ou: '2.5.4.11',
  title: '2.5.4.12',
  uid: '0.9.2342.19200300.100.1.1',
  email: '1.2.840.113549.1.9.1',
} as const;

export const EKU_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';

function attrText(v: unknown): string | undefined {
  const block = (v as { valueBlock?: { value?: unknown } } | undefined)?.valueBlock;
  return block && typeof block.value === 'string' ? block.value.normalize('NFC') : undefined;
}

function values(name: pkijs.RelativeDistinguishedNames, oid: string): string[] {
  return name.typesAndValues.filter((tv) => tv.type === oid).flatMap((tv) => attrText(tv.value) ?? []);
}

function first(name: pkijs.RelativeDistinguishedNames, oid: string): string | undefined {
  return values(name, oid)[0];
}

export function serialOf(cert: pkijs.Certificate): string {
  return Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString('hex').toUpperCase();
}

function emailOf(cert: pkijs.Certificate): string | undefined {
  const san = cert.extensions?.find((e) => e.extnID === '2.5.29.17')?.parsedValue as pkijs.AltName | undefined;
  for (const gn of san?.altNames ?? []) if (gn.type === 1 && typeof gn.value === 'string') return gn.value;
  return first(cert.subject, ATTR.email);
}

export function summarize(cert: pkijs.Certificate): CertificateSummary {
  const s: CertificateSummary = {
    subject: formatName(cert.subject).normalize('NFC'),
    identifiers: values(cert.subject, ATTR.uid),
    serial: serialOf(cert),
    issuer: formatName(cert.issuer).normalize('NFC'),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
  };
  const set = <K extends keyof CertificateSummary>(k: K, v: CertificateSummary[K] | undefined) => {
    if (v !== undefined) s[k] = v;
  };
  set('commonName', first(cert.subject, ATTR.cn));
  set('organization', first(cert.subject, ATTR.o));
  set('organizationalUnit', first(cert.subject, ATTR.ou));
  set('title', first(cert.subject, ATTR.title));
  set('email', emailOf(cert));
  set('issuerCommonName', first(cert.issuer, ATTR.cn));
  return s;
}

/** The extended key usages, and whether the extension is critical; undefined without the extension. */
export function extendedKeyUsage(cert: pkijs.Certificate): { purposes: string[]; critical: boolean } | undefined {
  const ext = cert.extensions?.find((e) => e.extnID === '2.5.29.37');
  if (!ext) return undefined;
  const parsed = ext.parsedValue as pkijs.ExtKeyUsage | undefined;
  return { purposes: parsed?.keyPurposes ?? [], critical: ext.critical };
}

/** Key usage bits (digitalSignature = 0, nonRepudiation = 1, ...); undefined without the extension. */
export function keyUsageBits(cert: pkijs.Certificate): Set<number> | undefined {
  const ext = cert.extensions?.find((e) => e.extnID === '2.5.29.15');
  if (!ext) return undefined;
  const bits = new Set<number>();
  const bs = ext.parsedValue as { valueBlock?: { valueHexView?: Uint8Array; unusedBits?: number } } | undefined;
  const bytes = bs?.valueBlock?.valueHexView ?? new Uint8Array();
  for (let i = 0; i < bytes.length * 8; i++) if (bytes[i >> 3]! & (0x80 >> (i & 7))) bits.add(i);
  return bits;
}

/** HTTP(S) URLs of the certificate's CRL distribution points. */
export function crlUrls(cert: pkijs.Certificate): string[] {
  const ext = cert.extensions?.find((e) => e.extnID === '2.5.29.31');
  const dps = (ext?.parsedValue as pkijs.CRLDistributionPoints | undefined)?.distributionPoints ?? [];
  const out: string[] = [];
  for (const dp of dps) {
    const names = Array.isArray(dp.distributionPoint) ? dp.distributionPoint : [];
    for (const gn of names) if (gn.type === 6 && typeof gn.value === 'string' && /^https?:\/\//i.test(gn.value)) out.push(gn.value);
  }
  return out;
}

export function sameCertificate(a: pkijs.Certificate, b: pkijs.Certificate): boolean {
  return Buffer.from(a.toSchema().toBER(false)).equals(Buffer.from(b.toSchema().toBER(false)));
}
