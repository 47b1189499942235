import { randomBytes } from 'node:crypto';

/**
 * A delivery status notification (RFC 3464): a human part in Vietnamese and English, the
 * machine-readable delivery-status part, and the original headers.
 */
export interface Failure {
  recipient: string;
  code: number;
  response: string;
}

function enhanced(f: Failure): string {
  return /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(f.response)?.[1] ?? (f.code >= 500 ? '5.0.0' : '4.0.0');
}

export function buildDsn(opts: { hostname: string; to: string; failures: Failure[]; original: Buffer; arrival: Date; expired?: boolean }): Buffer {
  const boundary = `=_govmail_dsn_${randomBytes(8).toString('hex')}`;
  const headerEnd = opts.original.indexOf('\r\n\r\n');
  const originalHeaders = opts.original.subarray(0, headerEnd >= 0 ? headerEnd + 2 : opts.original.length).toString('utf8');
  const subject = /^Subject:[ \t]*(.*(?:\r\n[ \t].*)*)/im.exec(originalHeaders)?.[1]?.replace(/\r\n/g, '') ?? '';
  const list = opts.failures.map((f) => `  <${f.recipient}>: ${f.response}`).join('\r\n');
  const reason = opts.expired
    ? 'Thư không thể chuyển trong thời gian cho phép. / The message could not be delivered in the time allowed.'
    : 'Thư không thể chuyển tới người nhận dưới đây. / The message could not be delivered to the recipients below.';
  const human = [
    'Đây là thông báo tự động của máy chủ thư GovMail.',
    'This is an automatic message from the GovMail mail server.',
    '',
    reason,
    '',
    list,
    '',
    `Tiêu đề / Subject: ${subject}`,
  ].join('\r\n');
  const perRecipient = opts.failures
    .map((f) => [`Final-Recipient: rfc822; ${f.recipient}`, 'Action: failed', `Status: ${enhanced(f)}`, `Diagnostic-Code: smtp; ${f.response.replace(/\r?\n/g, ' ')}`].join('\r\n'))
    .join('\r\n\r\n');
  const status = [`Reporting-MTA: dns; ${opts.hostname}`, `Arrival-Date: ${opts.arrival.toUTCString()}`, '', perRecipient].join('\r\n');
  const encodedSubject = `=?UTF-8?B?${Buffer.from('Không chuyển được thư / Undelivered mail').toString('base64')}?=`;
  const lines = [
    `From: Mail Delivery System <MAILER-DAEMON@${opts.hostname}>`,
    `To: <${opts.to}>`,
    `Subject: ${encodedSubject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${randomBytes(12).toString('hex')}@${opts.hostname}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    human,
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    status,
    '',
    `--${boundary}`,
    'Content-Type: text/rfc822-headers; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    originalHeaders.replace(/\r\n$/, ''),
    '',
    `--${boundary}--`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}
