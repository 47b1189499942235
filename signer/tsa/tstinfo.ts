import { T, decodeInt, decodeTime, encodeSequence, encodeTlv, isCtx, isUniv, parseDer } from '../pathvalidation/der.js';
import { Rfc3161FormatError, expectUniv, generalizedTimeMs, hashByOid, oidDer, oidOf, smallInt, unsignedInt } from './asn1.js';
import type { TimestampHash } from './types.js';

/**
 * TSTInfo (RFC 3161 §2.4.2):
 *   SEQUENCE { version INTEGER (1), policy OID, messageImprint, serialNumber INTEGER, genTime GeneralizedTime,
 *              accuracy Accuracy OPTIONAL, ordering BOOLEAN DEFAULT FALSE, nonce INTEGER OPTIONAL,
 *              tsa [0] GeneralName OPTIONAL, extensions [1] IMPLICIT Extensions OPTIONAL }
 * `ordering` is FALSE for us (tokens are not ordered across nodes); DER leaves a DEFAULT value out.
 */
export interface TstInfoFields {
  policy: string;
  /** the request's MessageImprint, echoed byte for byte */
  imprintDer: Uint8Array;
  /** positive serial, big-endian */
  serial: Uint8Array;
  genTime: Date;
  accuracyMs: number;
  nonceDer?: Uint8Array;
  /** the TSA's Name (DER), written as the directoryName of the tsa field */
  tsaName?: Uint8Array;
}

/** Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] IMPLICIT INTEGER (1..999) OPTIONAL, ... } */
function accuracy(ms: number): Uint8Array {
  if (!Number.isInteger(ms) || ms < 1) throw new RangeError(`accuracyMs must be a positive integer (${ms})`);
  const seconds = Math.floor(ms / 1000);
  const millis = ms % 1000;
  const millisField = millis ? smallInt(millis) : undefined;
  if (millisField) millisField[0] = 0x80; // [0] IMPLICIT INTEGER: same content, context tag
  return encodeSequence(...(seconds ? [unsignedInt(Buffer.from(seconds.toString(16).padStart(8, '0'), 'hex'))] : []), ...(millisField ? [millisField] : []));
}

export function encodeTstInfo(f: TstInfoFields): Uint8Array {
  return encodeSequence(
    smallInt(1),
    oidDer(f.policy),
    f.imprintDer,
    unsignedInt(f.serial),
    generalizedTimeMs(f.genTime),
    accuracy(f.accuracyMs),
    ...(f.nonceDer ? [f.nonceDer] : []),
    // GeneralName is a CHOICE, so both tags are explicit: [0] { [4] { Name } }.
    ...(f.tsaName ? [encodeTlv(0xa0, encodeTlv(0xa4, f.tsaName))] : []),
  );
}

export interface TstInfo {
  policy: string;
  hashOid: string;
  hash?: TimestampHash;
  digest: Buffer;
  serial: bigint;
  genTime: Date;
  nonce?: bigint;
}

export function parseTstInfo(der: Uint8Array): TstInfo {
  const root = expectUniv(parseDer(der), T.SEQUENCE, 'TSTInfo');
  const [version, policy, imprint, serial, genTime, ...rest] = root.kids;
  if (decodeInt(expectUniv(version, T.INTEGER, 'TSTInfo.version')) !== 1n) throw new Rfc3161FormatError('TSTInfo version is not 1');
  const [algorithm, hashed] = expectUniv(imprint, T.SEQUENCE, 'TSTInfo.messageImprint').kids;
  const hashOid = oidOf(expectUniv(algorithm, T.SEQUENCE, 'messageImprint.hashAlgorithm').kids[0], 'messageImprint.hashAlgorithm');
  const nonce = rest.find((k) => isUniv(k, T.INTEGER));
  if (rest.some((k) => !isUniv(k, T.SEQUENCE) && !isUniv(k, T.BOOLEAN) && !isUniv(k, T.INTEGER) && !isCtx(k, 0) && !isCtx(k, 1))) {
    throw new Rfc3161FormatError('TSTInfo has an unexpected field');
  }
  return {
    policy: oidOf(policy, 'TSTInfo.policy'),
    hashOid,
    hash: hashByOid(hashOid),
    digest: Buffer.from(expectUniv(hashed, T.OCTET_STRING, 'messageImprint.hashedMessage').content),
    serial: decodeInt(expectUniv(serial, T.INTEGER, 'TSTInfo.serialNumber')),
    genTime: decodeTime(expectUniv(genTime, T.GENERALIZED_TIME, 'TSTInfo.genTime')),
    nonce: nonce ? decodeInt(nonce) : undefined,
  };
}
