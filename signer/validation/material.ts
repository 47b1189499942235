// Validation material (certificates, CRLs, OCSP answers) and where each piece came from: the PDF's
// Document Security Store, the CMS itself (RevocationInfoChoices, Adobe's revocation archive
// attribute), the trust material (our CA's CRLs, configured files), or a download.

import { inflateSync } from 'node:zlib';
import * as asn1js from 'asn1js';
import { PDFArray, PDFDict, PDFName, PDFRawStream, PDFRef, decodePDFRawStream } from 'pdf-lib';
import * as pkijs from 'pkijs';
import type { OpenedPdf } from '../pdf/document.js';
import type { TrustMaterial } from '../trust.js';
import { berInput } from '../x509.js';
import { crlUrls } from './certificates.js';
import type { RevocationSourceKind } from './types.js';

export interface SourcedCrl {
  crl: pkijs.CertificateRevocationList;
  source: RevocationSourceKind;
}

export interface SourcedOcsp {
  response: pkijs.BasicOCSPResponse;
  source: RevocationSourceKind;
}

export interface Material {
  certificates: pkijs.Certificate[];
  crls: SourcedCrl[];
  ocsps: SourcedOcsp[];
}

export const emptyMaterial = (): Material => ({ certificates: [], crls: [], ocsps: [] });

const OID_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const OID_RI_OCSP_RESPONSE = '1.3.6.1.5.5.7.16.2';
const OID_ADBE_REVOCATION_ARCHIVAL = '1.2.840.113583.1.1.8';

function tryParse<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

export function parseCertificate(der: Uint8Array): pkijs.Certificate | undefined {
  return tryParse(() => pkijs.Certificate.fromBER(berInput(der)));
}

export function parseCrl(der: Uint8Array): pkijs.CertificateRevocationList | undefined {
  return tryParse(() => pkijs.CertificateRevocationList.fromBER(berInput(der)));
}

/** The BasicOCSPResponse inside an OCSPResponse (or given bare). */
export function parseOcsp(der: Uint8Array): pkijs.BasicOCSPResponse | undefined {
  return tryParse(() => {
    const outer = pkijs.OCSPResponse.fromBER(berInput(der));
    const bytes = outer.responseBytes;
    if (!bytes || bytes.responseType !== OID_OCSP_BASIC) return undefined;
    return pkijs.BasicOCSPResponse.fromBER(berInput(new Uint8Array(bytes.response.valueBlock.valueHexView)));
  }) ?? tryParse(() => pkijs.BasicOCSPResponse.fromBER(berInput(der)));
}

/** Certificates, CRLs and OCSP answers a SignedData carries (RFC 5652 §10.2.1, RFC 5940). */
export function fromSignedData(sd: pkijs.SignedData, source: RevocationSourceKind): Material {
  const m = emptyMaterial();
  for (const c of sd.certificates ?? []) if (c instanceof pkijs.Certificate) m.certificates.push(c);
  for (const r of sd.crls ?? []) {
    if (r instanceof pkijs.CertificateRevocationList) m.crls.push({ crl: r, source });
    else if (r instanceof pkijs.OtherRevocationInfoFormat && r.otherRevInfoFormat === OID_RI_OCSP_RESPONSE) {
      const raw = (r.otherRevInfo as asn1js.AsnType | undefined)?.toBER?.(false);
      const response = raw ? parseOcsp(new Uint8Array(raw)) : undefined;
      if (response) m.ocsps.push({ response, source });
    }
  }
  // Adobe's adbe-revocationInfoArchival signed attribute (PDF signatures made by Acrobat and the
  // tools that copy it): SEQUENCE { [0] SEQUENCE OF CRL, [1] SEQUENCE OF OCSPResponse, [2] ... }.
  for (const si of sd.signerInfos) {
    const attr = si.signedAttrs?.attributes.find((a) => a.type === OID_ADBE_REVOCATION_ARCHIVAL);
    const value = attr?.values[0] as asn1js.Sequence | undefined;
    for (const tagged of value?.valueBlock?.value ?? []) {
      const tag = tagged.idBlock.tagNumber;
      const list = (tagged as asn1js.Constructed).valueBlock?.value?.[0] as asn1js.Sequence | undefined;
      for (const item of list?.valueBlock?.value ?? []) {
        const der = new Uint8Array(item.toBER(false));
        if (tag === 0) {
          const crl = parseCrl(der);
          if (crl) m.crls.push({ crl, source });
        } else if (tag === 1) {
          const response = parseOcsp(der);
          if (response) m.ocsps.push({ response, source });
        }
      }
    }
  }
  return m;
}

const MAX_DSS_ITEM_BYTES = 32 * 1024 * 1024;

/** The streams of the catalog's /DSS (ETSI EN 319 142-1 §5.4): /Certs, /CRLs, /OCSPs. */
export function fromDss(doc: OpenedPdf): Material {
  const m = emptyMaterial();
  const dss = doc.catalog.lookup(PDFName.of('DSS'));
  if (!(dss instanceof PDFDict)) return m;
  const streams = (key: string): Uint8Array[] => {
    const arr = dss.lookup(PDFName.of(key));
    if (!(arr instanceof PDFArray)) return [];
    const out: Uint8Array[] = [];
    for (let i = 0; i < arr.size(); i++) {
      const ref = arr.get(i);
      const stream = ref instanceof PDFRef ? doc.context.lookup(ref) : ref;
      if (stream instanceof PDFRawStream) {
        // Flate (what every writer uses) with a bound on the output; anything else through pdf-lib.
        const flate = stream.dict.get(PDFName.of('Filter')) === PDFName.of('FlateDecode');
        const bytes = tryParse(() => (flate ? new Uint8Array(inflateSync(stream.contents, { maxOutputLength: MAX_DSS_ITEM_BYTES })) : decodePDFRawStream(stream).decode()));
        if (bytes) out.push(bytes);
      }
    }
    return out;
  };
  for (const der of streams('Certs')) {
    const c = parseCertificate(der);
    if (c) m.certificates.push(c);
  }
  for (const der of streams('CRLs')) {
    const crl = parseCrl(der);
    if (crl) m.crls.push({ crl, source: 'dss' });
  }
  for (const der of streams('OCSPs')) {
    const response = parseOcsp(der);
    if (response) m.ocsps.push({ response, source: 'dss' });
  }
  return m;
}

export function fromTrust(t: TrustMaterial): Material {
  return { certificates: [...t.intermediates], crls: t.crls.map((crl) => ({ crl, source: 'trust' })), ocsps: [] };
}

export function merge(...parts: Material[]): Material {
  const m = emptyMaterial();
  const seen = new Set<string>();
  const once = (o: { toSchema(): asn1js.AsnType }) => {
    const key = Buffer.from(o.toSchema().toBER(false)).toString('base64');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  for (const p of parts) {
    for (const c of p.certificates) if (once(c)) m.certificates.push(c);
    for (const c of p.crls) if (once(c.crl)) m.crls.push(c);
    for (const o of p.ocsps) if (once(o.response)) m.ocsps.push(o);
  }
  return m;
}

const MAX_CRL_BYTES = 10 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 8000;

/** Downloads the CRLs named by the certificates' distribution points (http/https only, bounded size and time). */
export async function fetchCrls(certs: pkijs.Certificate[]): Promise<Material> {
  const m = emptyMaterial();
  const urls = [...new Set(certs.flatMap(crlUrls))].slice(0, 8);
  await Promise.all(
    urls.map(async (url) => {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'follow' });
        if (!res.ok) return;
        const len = Number(res.headers.get('content-length') ?? 0);
        if (len > MAX_CRL_BYTES) return;
        const body = new Uint8Array(await res.arrayBuffer());
        if (body.length > MAX_CRL_BYTES) return;
        const text = Buffer.from(body.subarray(0, 64)).toString('latin1');
        const der = text.includes('-----BEGIN') ? new Uint8Array(Buffer.from(Buffer.from(body).toString('latin1').replace(/-----[^-]+-----|\s/g, ''), 'base64')) : body;
        const crl = parseCrl(der);
        if (crl) m.crls.push({ crl, source: 'online' });
      } catch {
        // An unreachable distribution point leaves the status unknown, which the report says.
      }
    }),
  );
  return m;
}
