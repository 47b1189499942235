// The exact DER of a certificate. A certificate must travel as the bytes its CA signed: re-encoding a
// parsed one is not guaranteed to give them back (node-forge adds a NULL to an RSA signatureAlgorithm
// outside the signed part, asn1js normalises lengths and BER), and then every peer rejects the CA's
// signature while our own checks, which re-encode the same way, still pass.
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

/** The bytes each certificate object was parsed from, or its first encoding if we built it. */
const exactDer = new WeakMap<pkijs.Certificate, Uint8Array>();

/** The input is not ASN.1 at all (as opposed to ASN.1 that is not a certificate). */
export class NotAsn1Error extends Error {}

/**
 * Parses one DER certificate and keeps a copy of exactly the bytes it spans (the caller's buffer may be
 * reused). Throws asn1js/pkijs errors on bad input; callers wrap them with what was expected.
 */
export function certificateFromBytes(der: Uint8Array): pkijs.Certificate {
  const asn = asn1js.fromBER(der);
  if (asn.offset === -1) throw new NotAsn1Error(asn.result.error || 'not DER-encoded ASN.1');
  const cert = new pkijs.Certificate({ schema: asn.result });
  exactDer.set(cert, Uint8Array.prototype.slice.call(der, 0, asn.offset));
  return cert;
}

/**
 * The certificate's DER for every output (CMS, S/MIME, PAdES, PKCS#12, PEM, the database): the bytes it
 * was parsed from; for a certificate we built and signed, its encoding, fixed at the first call so that
 * every later output carries the same bytes. Do not change a certificate object after this is called.
 */
export function certificateBytes(cert: pkijs.Certificate): Uint8Array {
  let der = exactDer.get(cert);
  if (!der) exactDer.set(cert, (der = new Uint8Array(cert.toSchema().toBER(false))));
  return der;
}
