/** RFC 3161 time-stamping: our TSA (in-process and over HTTP) and a client for external ones. */
export type { Timestamper, TimestampHash } from './types.js';
export { TimeStampAuthority, localTimestamper, DEFAULT_TSA_POLICY, type TsaOptions } from './authority.js';
export { remoteTimestamper, type RemoteTsaOptions } from './remote.js';
export { configuredTimestamper } from './choose.js';
export { ensureTsaSigner, type TsaIdentity } from './credentials.js';
export { TsaBadResponseError, TsaRejectedError, TsaUnavailableError } from './errors.js';
export { readToken, type ReadToken } from './read-token.js';
export { parseTstInfo, type TstInfo } from './tstinfo.js';
export { encodeTimeStampReq, parseTimeStampReq } from './request.js';
export { parseTimeStampResp, type ParsedResponse } from './response.js';
export { tsaRoutes, MAX_TSA_REQUEST_BYTES } from './http.js';
