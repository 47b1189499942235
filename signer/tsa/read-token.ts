import { constants, createHash, verify as nodeVerify, X509Certificate } from 'node:crypto';
import { T, decodeOid, encodeTlv, isCtx, isUniv, parseDer, type Der } from '../pathvalidation/der.js';
import { Rfc3161FormatError, TSA_OID, expectUniv, hashByOid, oidOf } from './asn1.js';
import { parseTstInfo, type TstInfo } from './tstinfo.js';

/**
 * Reads a TimeStampToken as a client must before using it (RFC 3161 §2.4.2): the TSTInfo, and the
 * token's integrity (message-digest over the TSTInfo, signature by one of the certificates it
 * carries). Whether that certificate is a trusted TSA is path validation's business, not this.
 */
export interface ReadToken {
  tstInfo: TstInfo;
  /** 'verified' when a carried certificate verifies the signature; 'no-certificate' when none was sent */
  signature: 'verified' | 'no-certificate';
}

const RSA_PSS = '1.2.840.113549.1.1.10';

function signedDataOf(token: Uint8Array): Der {
  const info = expectUniv(parseDer(token), T.SEQUENCE, 'ContentInfo');
  if (oidOf(info.kids[0], 'ContentInfo.contentType') !== TSA_OID.signedData || !isCtx(info.kids[1], 0)) throw new Rfc3161FormatError('the token is not CMS SignedData');
  return expectUniv(info.kids[1]!.kids[0], T.SEQUENCE, 'SignedData');
}

export function readToken(token: Uint8Array): ReadToken {
  const signedData = signedDataOf(token);
  const [, , encap, ...rest] = signedData.kids;
  const encapsulated = expectUniv(encap, T.SEQUENCE, 'encapContentInfo');
  if (oidOf(encapsulated.kids[0], 'eContentType') !== TSA_OID.tstInfo) throw new Rfc3161FormatError('eContentType is not id-ct-TSTInfo');
  const wrapped = encapsulated.kids[1];
  if (!isCtx(wrapped, 0)) throw new Rfc3161FormatError('the token carries no TSTInfo');
  const tstInfoDer = expectUniv(wrapped.kids[0], T.OCTET_STRING, 'eContent').content;
  const tstInfo = parseTstInfo(tstInfoDer);

  const certificates = rest.find((k) => isCtx(k, 0))?.kids.map((c) => c.raw) ?? [];
  const signerInfos = expectUniv(rest[rest.length - 1], T.SET, 'signerInfos');
  if (signerInfos.kids.length !== 1) throw new Rfc3161FormatError(`a token has one SignerInfo, not ${signerInfos.kids.length}`);
  const [, , digestAlg, attrs, sigAlg, signature] = expectUniv(signerInfos.kids[0], T.SEQUENCE, 'SignerInfo').kids;
  const hash = hashByOid(oidOf(expectUniv(digestAlg, T.SEQUENCE, 'digestAlgorithm').kids[0], 'digestAlgorithm'));
  if (!hash) throw new Rfc3161FormatError('the token is signed with a hash other than SHA-256/384/512');
  if (!isCtx(attrs, 0)) throw new Rfc3161FormatError('the token has no signed attributes');

  const attribute = (oid: string) => attrs.kids.find((a) => isUniv(a.kids[0], T.OID) && decodeOid(a.kids[0]!) === oid)?.kids[1]?.kids[0];
  const messageDigest = attribute(TSA_OID.messageDigest);
  if (!messageDigest || !Buffer.from(messageDigest.content).equals(createHash(hash).update(tstInfoDer).digest())) {
    throw new Rfc3161FormatError('the message-digest attribute does not match the TSTInfo');
  }
  const contentType = attribute(TSA_OID.contentType);
  if (!contentType || oidOf(contentType, 'content-type') !== TSA_OID.tstInfo) throw new Rfc3161FormatError('the content-type attribute is not id-ct-TSTInfo');

  if (!certificates.length) return { tstInfo, signature: 'no-certificate' };
  const signed = encodeTlv(0x31, attrs.content);
  const pss = oidOf(expectUniv(sigAlg, T.SEQUENCE, 'signatureAlgorithm').kids[0], 'signatureAlgorithm') === RSA_PSS;
  const value = expectUniv(signature, T.OCTET_STRING, 'signature').content;
  const verifies = certificates.some((der) => {
    try {
      const key = new X509Certificate(der).publicKey;
      const padding = pss ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO } : {};
      return nodeVerify(hash, signed, { key, dsaEncoding: 'der', ...padding }, value);
    } catch {
      return false;
    }
  });
  if (!verifies) throw new Rfc3161FormatError('the token signature does not verify with any certificate it carries');
  return { tstInfo, signature: 'verified' };
}
