import { DerError, T, encodeSequence, isUniv, parseDer, type Der } from '../pathvalidation/der.js';
import { Rfc3161FormatError, bitsOf, decodeUtf8List, singleBit, smallInt, utf8 } from './asn1.js';

/**
 * TimeStampResp (RFC 3161 §2.4.2):
 *   SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo OPTIONAL }
 *   PKIStatusInfo ::= SEQUENCE { status INTEGER, statusString SEQUENCE OF UTF8String OPTIONAL, failInfo BIT STRING OPTIONAL }
 */
export const PKI_STATUS = { granted: 0, grantedWithMods: 1, rejection: 2, waiting: 3, revocationWarning: 4, revocationNotification: 5 } as const;

/** PKIFailureInfo bits that a TSA uses (RFC 3161 §2.4.2). */
export const FAILURE_BITS = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
} as const;
export type FailureName = keyof typeof FAILURE_BITS;

export function grantedResponse(token: Uint8Array): Buffer {
  return Buffer.from(encodeSequence(encodeSequence(smallInt(PKI_STATUS.granted)), token));
}

/** A rejection with its reason in Vietnamese, then English (PKIFreeText holds both). */
export function rejectionResponse(failure: FailureName, messageVi: string, message: string): Buffer {
  return Buffer.from(encodeSequence(encodeSequence(smallInt(PKI_STATUS.rejection), encodeSequence(utf8(messageVi), utf8(message)), singleBit(FAILURE_BITS[failure]))));
}

export interface ParsedResponse {
  status: number;
  statusText: string[];
  failures: string[];
  /** the TimeStampToken (ContentInfo) DER, when the TSA sent one */
  token?: Uint8Array;
}

export function parseTimeStampResp(der: Uint8Array): ParsedResponse {
  let root: Der;
  try {
    root = parseDer(der);
  } catch (e) {
    if (e instanceof DerError) throw new Rfc3161FormatError(`not DER: ${e.message}`);
    throw e;
  }
  const statusInfo = root.kids[0];
  if (!isUniv(root, T.SEQUENCE) || !isUniv(statusInfo, T.SEQUENCE) || root.kids.length > 2) throw new Rfc3161FormatError('not a TimeStampResp');
  const [status, ...more] = statusInfo.kids;
  if (!isUniv(status, T.INTEGER) || status.content.length !== 1) throw new Rfc3161FormatError('PKIStatusInfo.status is not a small INTEGER');
  const text = more.find((k) => isUniv(k, T.SEQUENCE));
  const failInfo = more.find((k) => isUniv(k, T.BIT_STRING));
  const byBit = new Map(Object.entries(FAILURE_BITS).map(([name, bit]) => [bit as number, name]));
  return {
    status: status.content[0]!,
    statusText: text ? decodeUtf8List(text) : [],
    failures: failInfo ? bitsOf(failInfo).map((b) => byBit.get(b) ?? `bit ${b}`) : [],
    token: root.kids[1]?.raw,
  };
}
