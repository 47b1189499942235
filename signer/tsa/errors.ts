import { GovmailError } from '../../core/errors.js';

/**
 * What can go wrong with an external TSA, each naming the URL. Only TsaUnavailableError is worth
 * trying again later: a rejection or a wrong answer will not improve by asking the same TSA again.
 */
export class TsaUnavailableError extends GovmailError {
  constructor(
    public readonly url: string,
    public readonly attempts: number,
    reason: string,
    reasonVi: string,
  ) {
    super(
      'TSA_UNAVAILABLE',
      `time-stamping authority ${url} did not answer after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reason}`,
      `máy chủ dấu thời gian ${url} không trả lời sau ${attempts} lần thử: ${reasonVi}`,
      503,
    );
    this.name = 'TsaUnavailableError';
  }
}

export class TsaRejectedError extends GovmailError {
  constructor(
    public readonly url: string,
    public readonly pkiStatus: number,
    public readonly failures: string[],
    statusText: string[],
  ) {
    const why = [failures.length ? failures.join(', ') : undefined, ...statusText].filter(Boolean).join('; ');
    super(
      'TSA_REJECTED',
      `time-stamping authority ${url} refused the request (PKIStatus ${pkiStatus}${why ? `: ${why}` : ''})`,
      `máy chủ dấu thời gian ${url} từ chối yêu cầu (PKIStatus ${pkiStatus}${why ? `: ${why}` : ''})`,
      502,
    );
    this.name = 'TsaRejectedError';
  }
}

export class TsaBadResponseError extends GovmailError {
  constructor(
    public readonly url: string,
    problem: string,
    problemVi: string,
  ) {
    super('TSA_BAD_RESPONSE', `time-stamping authority ${url} sent an unusable answer: ${problem}`, `máy chủ dấu thời gian ${url} trả lời không dùng được: ${problemVi}`, 502);
    this.name = 'TsaBadResponseError';
  }
}
