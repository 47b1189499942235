/** The contract between whoever needs a timestamp (PAdES B-T, CAdES) and whoever makes one (our TSA or an external one). */
export type TimestampHash = 'sha256' | 'sha384' | 'sha512';

/**
 * Asks a time-stamping authority (RFC 3161) to stamp a digest. Resolves to the DER of the
 * TimeStampToken: a CMS ContentInfo holding SignedData over a TSTInfo.
 */
export type Timestamper = (digest: Buffer, hash: TimestampHash) => Promise<Buffer>;
