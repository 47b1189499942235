// The signature time-stamp of CAdES/PAdES B-T (ETSI EN 319 122-1 §5.3): an RFC 3161 token over
// the hash of the SignerInfo's signature value, carried as the unsigned attribute
// id-aa-signatureTimeStampToken.

import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import { OID, hashFromOid, toU8 } from '../cms/attributes.js';
import { readToken } from '../tsa/read-token.js';
import { encodeSequence, encodeTlv } from '../pathvalidation/der.js';
import type { TimestampHash, Timestamper } from '../tsa/types.js';
import { pdfError } from './syntax.js';

export interface TimestampTokenInfo {
  genTime: Date;
  /** The hash the TSA stamped, e.g. SHA-256. */
  hash: string | undefined;
  hashedMessage: Uint8Array;
  serial: string;
  policy: string;
}

/**
 * Reads the TSTInfo inside a TimeStampToken (a CMS SignedData over id-ct-TSTInfo) with the TSA
 * module's DER reader, which also checks the token's own integrity; pkijs' full parse of the token
 * and its certificates cost about ten times the token itself.
 */
export function readTimestampToken(token: Uint8Array): TimestampTokenInfo {
  const { tstInfo } = readToken(token);
  return {
    genTime: tstInfo.genTime,
    hash: hashFromOid(tstInfo.hashOid),
    hashedMessage: new Uint8Array(tstInfo.digest),
    serial: tstInfo.serial.toString(16).padStart(2, '0'),
    policy: tstInfo.policy,
  };
}

const OID_SIGNATURE_TIMESTAMP = toU8(new asn1js.ObjectIdentifier({ value: OID.signatureTimeStampToken }).toBER(false));

/** Asks the TSA for a token over the signature value; returns the DER unsigned attribute. */
export async function signatureTimestampAttribute(signatureValue: Uint8Array, timestamper: Timestamper, hash: TimestampHash = 'sha256'): Promise<Uint8Array> {
  const imprint = createHash(hash).update(signatureValue).digest();
  const token = new Uint8Array(await timestamper(imprint, hash));
  let info: TimestampTokenInfo;
  try {
    info = readTimestampToken(token);
  } catch (e) {
    throw pdfError('TSA_INVALID_TOKEN', `the time-stamping authority returned an unreadable token (${(e as Error).message})`, `máy chủ cấp dấu thời gian trả về dấu không đọc được (${(e as Error).message})`);
  }
  // A token for some other hash would make a B-T signature that fails later, far from the cause.
  if (!imprint.equals(Buffer.from(info.hashedMessage))) {
    throw pdfError('TSA_INVALID_TOKEN', 'the time-stamp token is for another hash than the one requested', 'dấu thời gian được cấp cho giá trị băm khác với giá trị đã yêu cầu');
  }
  return encodeSequence(OID_SIGNATURE_TIMESTAMP, encodeTlv(0x31, token));
}
