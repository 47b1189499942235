import { randomBytes } from 'node:crypto';
import { DerError, T, decodeBool, encodeSequence, encodeTlv, isCtx, isUniv, parseDer, type Der } from '../pathvalidation/der.js';
import { TSA_HASHES, hashByOid, messageImprint, oidDer, oidOf, smallInt, unsignedInt } from './asn1.js';
import type { FailureName } from './response.js';
import type { TimestampHash } from './types.js';

/**
 * TimeStampReq (RFC 3161 §2.4.1):
 *   SEQUENCE { version INTEGER (1), messageImprint MessageImprint, reqPolicy OID OPTIONAL,
 *              nonce INTEGER OPTIONAL, certReq BOOLEAN DEFAULT FALSE, extensions [0] IMPLICIT OPTIONAL }
 */
export interface TimeStampRequest {
  hash: TimestampHash;
  digest: Buffer;
  /** the MessageImprint exactly as the client encoded it: the token echoes it byte for byte */
  imprintDer: Uint8Array;
  policy?: string;
  /** the nonce INTEGER TLV as sent, echoed unchanged */
  nonceDer?: Uint8Array;
  certReq: boolean;
}

/** Why a request is refused: the PKIFailureInfo bit and a text for each language. */
export class TsaRequestError extends Error {
  constructor(
    public readonly failure: FailureName,
    message: string,
    public readonly messageVi: string,
  ) {
    super(message);
  }
}

/** RFC 3161 asks for nonces of about 64 bits; anything near this size is a client bug or abuse. */
const MAX_NONCE_BYTES = 32;

export function parseTimeStampReq(der: Uint8Array): TimeStampRequest {
  let root: Der;
  try {
    root = parseDer(der);
  } catch (e) {
    if (e instanceof DerError) throw new TsaRequestError('badDataFormat', `the request is not DER (${e.message})`, `yêu cầu không ở dạng DER (${e.message})`);
    throw e;
  }
  const notRequest = () => new TsaRequestError('badDataFormat', 'the request is not an RFC 3161 TimeStampReq', 'yêu cầu không phải TimeStampReq theo RFC 3161');
  if (!isUniv(root, T.SEQUENCE)) throw notRequest();
  const [version, imprint, ...rest] = root.kids;
  if (!isUniv(version, T.INTEGER) || !isUniv(imprint, T.SEQUENCE)) throw notRequest();
  if (version.content.length !== 1 || version.content[0] !== 1) {
    throw new TsaRequestError('badRequest', 'only TimeStampReq version 1 is supported', 'chỉ hỗ trợ TimeStampReq phiên bản 1');
  }

  const [algorithm, hashed] = imprint.kids;
  if (!isUniv(algorithm, T.SEQUENCE) || !isUniv(hashed, T.OCTET_STRING) || imprint.kids.length !== 2) throw notRequest();
  const hashOid = (() => {
    try {
      return oidOf(algorithm.kids[0], 'messageImprint.hashAlgorithm');
    } catch {
      throw notRequest();
    }
  })();
  const hash = hashByOid(hashOid);
  const params = algorithm.kids[1];
  if (!hash || algorithm.kids.length > 2 || (params && !isUniv(params, T.NULL))) {
    throw new TsaRequestError('badAlg', `hash algorithm ${hashOid} is not accepted (SHA-256, SHA-384 or SHA-512)`, `không chấp nhận thuật toán băm ${hashOid} (chỉ SHA-256, SHA-384, SHA-512)`);
  }
  if (hashed.content.length !== TSA_HASHES[hash].length) {
    throw new TsaRequestError('badDataFormat', `a ${hash} digest has ${TSA_HASHES[hash].length} bytes, not ${hashed.content.length}`, `giá trị băm ${hash} phải dài ${TSA_HASHES[hash].length} byte, không phải ${hashed.content.length}`);
  }

  const out: TimeStampRequest = { hash, digest: Buffer.from(hashed.content), imprintDer: imprint.raw, certReq: false };
  // The optional fields have distinct tags and a fixed order: take each at most once, in order.
  let i = 0;
  if (isUniv(rest[i], T.OID)) out.policy = oidOf(rest[i++], 'reqPolicy');
  if (isUniv(rest[i], T.INTEGER)) {
    const nonce = rest[i++]!;
    if (!nonce.content.length || nonce.content.length > MAX_NONCE_BYTES) {
      throw new TsaRequestError('badRequest', `the nonce must be 1–${MAX_NONCE_BYTES} bytes`, `nonce phải dài 1–${MAX_NONCE_BYTES} byte`);
    }
    out.nonceDer = nonce.raw;
  }
  if (isUniv(rest[i], T.BOOLEAN)) out.certReq = decodeBool(rest[i++]!);
  if (isCtx(rest[i], 0)) {
    throw new TsaRequestError('unacceptedExtension', 'this TSA supports no request extensions', 'máy chủ dấu thời gian không hỗ trợ phần mở rộng nào trong yêu cầu');
  }
  if (i !== rest.length) throw notRequest();
  return out;
}

/** A fresh positive 64-bit nonce as INTEGER content (first byte 0x01–0x7f, so already minimal DER). */
export function randomNonce(): Buffer {
  const b = randomBytes(8);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b;
}

/** What our client sends: version 1, the imprint, the policy if one is required, a nonce, certReq TRUE. */
export function encodeTimeStampReq(o: { hash: TimestampHash; digest: Uint8Array; policy?: string; nonce?: Uint8Array; certReq?: boolean }): Uint8Array {
  return encodeSequence(
    smallInt(1),
    messageImprint(o.hash, o.digest),
    ...(o.policy ? [oidDer(o.policy)] : []),
    ...(o.nonce ? [unsignedInt(o.nonce)] : []),
    ...(o.certReq ? [encodeTlv(0x01, Uint8Array.of(0xff))] : []),
  );
}
