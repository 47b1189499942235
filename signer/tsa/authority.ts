import { randomBytes } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import { loadConfig, pkiBaseUrl } from '../../core/config.js';
import { GovmailError, InvalidInputError } from '../../core/errors.js';
import type { Kek } from '../../core/kek.js';
import { logger } from '../../core/log.js';
import { getProfile } from '../profiles.js';
import { toDer } from '../x509.js';
import { TSA_HASHES, messageImprint } from './asn1.js';
import { ensureTsaSigner, type TsaIdentity } from './credentials.js';
import { TsaRequestError, parseTimeStampReq, type TimeStampRequest } from './request.js';
import { grantedResponse, rejectionResponse } from './response.js';
import { TokenSigner } from './token.js';
import { encodeTstInfo } from './tstinfo.js';
import type { Timestamper, TimestampHash } from './types.js';

export interface TsaOptions {
  /** Base URL of /pki written into a new TSA certificate (CRL, OCSP); default: the configured one. */
  pkiUrl?: string;
  /** Selects the province's own profiles (DATA/profiles/tsa.json). */
  dataDir?: string;
  /** TSA policy OID written into every TSTInfo; default: the first policy of the tsa profile. */
  policy?: string;
  /** The accuracy tokens claim; 1 s is what an NTP-synchronised clock keeps with a wide margin. */
  accuracyMs?: number;
}

/** Shipped fallback when a province's tsa profile lists no policy (documentation arc, to be replaced). */
export const DEFAULT_TSA_POLICY = '1.3.6.1.4.1.32473.704.3.1';
/** Key, certificate and revocation status are re-read this often, not on every token. */
const RELOAD_MS = 60_000;

interface Loaded {
  at: number;
  identity: TsaIdentity;
  signer: TokenSigner;
  tsaName: Uint8Array;
  policy: string;
}

/** The RFC 3161 time-stamping authority: answers DER requests and stamps digests for in-process callers. */
export class TimeStampAuthority {
  private loaded?: Loaded;
  private loading?: Promise<Loaded>;

  constructor(
    private readonly db: Sequelize,
    private readonly kek: Kek,
    private readonly o: TsaOptions = {},
  ) {
    if (o.policy !== undefined && !/^[0-2](\.\d+)+$/.test(o.policy)) throw new InvalidInputError('policy', 'an OID such as 1.3.6.1.4.1.32473.704.3.1', 'một OID, ví dụ 1.3.6.1.4.1.32473.704.3.1', o.policy);
  }

  /** The signing identity, made on first use; concurrent first calls share one load (one certificate). */
  async identity(): Promise<TsaIdentity> {
    return (await this.current()).identity;
  }

  private current(): Promise<Loaded> {
    if (this.loaded && Date.now() - this.loaded.at < RELOAD_MS) return Promise.resolve(this.loaded);
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<Loaded> {
    const pkiUrl = this.o.pkiUrl ?? pkiBaseUrl(loadConfig());
    const identity = await ensureTsaSigner(this.db, this.kek, { pkiUrl, dataDir: this.o.dataDir });
    const policy = this.o.policy ?? getProfile('tsa', this.o.dataDir).policies[0] ?? DEFAULT_TSA_POLICY;
    const previous = this.loaded;
    const signer = previous?.identity.serial === identity.serial ? previous.signer : new TokenSigner(identity);
    this.loaded = { at: Date.now(), identity, signer, tsaName: toDer(identity.certificate.subject), policy };
    return this.loaded;
  }

  /** Answers one DER TimeStampReq with a DER TimeStampResp; never throws. */
  async respond(der: Uint8Array): Promise<Buffer> {
    let request: TimeStampRequest;
    try {
      request = parseTimeStampReq(der);
    } catch (e) {
      if (e instanceof TsaRequestError) return rejectionResponse(e.failure, e.messageVi, e.message);
      return rejectionResponse('badDataFormat', 'không đọc được yêu cầu', 'the request could not be read');
    }
    try {
      return grantedResponse(await this.token(request));
    } catch (e) {
      if (e instanceof TsaRequestError) return rejectionResponse(e.failure, e.messageVi, e.message);
      // Our own errors say what is missing (e.g. no active CA); anything else stays in the log.
      const known = e instanceof GovmailError;
      if (known) logger().warn({ code: e.code }, `time-stamping refused: ${e.message}`);
      else logger().error({ err: e }, 'time-stamping failed');
      return rejectionResponse('systemFailure', known ? e.messageVi : 'lỗi hệ thống của máy chủ dấu thời gian', known ? e.message : 'internal error of the time-stamping authority');
    }
  }

  /** Stamps a digest in-process; resolves to the DER TimeStampToken with the certificates in it. */
  async stamp(digest: Buffer, hash: TimestampHash): Promise<Buffer> {
    const expected = TSA_HASHES[hash];
    if (!expected) throw new InvalidInputError('hash', 'sha256, sha384 or sha512', 'sha256, sha384 hoặc sha512', String(hash));
    if (!Buffer.isBuffer(digest) || digest.length !== expected.length) {
      throw new InvalidInputError('digest', `a ${hash} digest of ${expected.length} bytes`, `giá trị băm ${hash} dài ${expected.length} byte`, `${digest?.length} bytes`);
    }
    return this.token({ hash, digest, imprintDer: messageImprint(hash, digest), certReq: true });
  }

  private async token(request: TimeStampRequest): Promise<Buffer> {
    const s = await this.current();
    if (request.policy && request.policy !== s.policy) {
      throw new TsaRequestError('unacceptedPolicy', `this TSA stamps under policy ${s.policy} only, not ${request.policy}`, `máy chủ chỉ cấp dấu thời gian theo chính sách ${s.policy}, không theo ${request.policy}`);
    }
    const serial = randomBytes(16);
    serial[0] = (serial[0]! & 0x7f) | 0x40; // positive, and 127 random bits whatever the first byte
    const tstInfo = encodeTstInfo({
      policy: s.policy,
      imprintDer: request.imprintDer,
      serial,
      genTime: new Date(),
      accuracyMs: this.o.accuracyMs ?? 1000,
      nonceDer: request.nonceDer,
      tsaName: s.tsaName,
    });
    return s.signer.sign(tstInfo, request.certReq);
  }
}

/** A Timestamper backed by our own TSA, in-process (no HTTP). */
export function localTimestamper(db: Sequelize, kek: Kek, o: TsaOptions = {}): Timestamper {
  const tsa = new TimeStampAuthority(db, kek, o);
  return (digest, hash) => tsa.stamp(digest, hash);
}
