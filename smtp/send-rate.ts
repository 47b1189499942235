import { QueryTypes, type Sequelize } from 'sequelize';
import type { Reply } from './rules.js';

/**
 * Send-rate limits for our own users (SMTP submission and the webmail alike), counted in PostgreSQL so
 * every node sees the same totals: messages per hour per mailbox, and external recipients per hour (what
 * a stolen password spends first, and what costs the province its sending reputation). Internal
 * recipients are not capped here: a circular to every commune is the daily work. Ten-minute buckets,
 * the last six summed: a sliding hour without a row per message.
 */
export interface SendRateLimits {
  messagesPerHour: number;
  externalRecipientsPerHour: number;
}

export const rateLimited = (mailbox: string, what: 'messages' | 'recipients', max: number): Reply => ({
  code: 450,
  message:
    what === 'messages'
      ? `4.7.1 <${mailbox}> has sent ${max} messages in the last hour, the limit; try again later / Hộp thư đã gửi ${max} thư trong một giờ qua (giới hạn), xin gửi lại sau`
      : `4.7.1 <${mailbox}> has sent to ${max} external recipients in the last hour, the limit; try again later / Hộp thư đã gửi tới ${max} người nhận bên ngoài trong một giờ qua (giới hạn), xin gửi lại sau`,
});

/**
 * Takes one message with `external` outside recipients from `mailbox` if it fits in the hour, and
 * counts it; otherwise answers 450 and counts nothing. Two nodes may both take the last slot at the
 * same instant: the limit is a brake, not an invoice.
 */
export async function takeSendAllowance(db: Sequelize, mailbox: string, external: number, limits: SendRateLimits): Promise<Reply | undefined> {
  const [used] = await db.query<{ messages: number; recipients: number }>(
    `SELECT coalesce(sum(messages), 0)::int AS messages, coalesce(sum(recipients), 0)::int AS recipients
       FROM smtp_send_counters WHERE mailbox = $1 AND bucket > now() - interval '1 hour'`,
    { bind: [mailbox], type: QueryTypes.SELECT },
  );
  if (used.messages + 1 > limits.messagesPerHour) return rateLimited(mailbox, 'messages', limits.messagesPerHour);
  if (external > 0 && used.recipients + external > limits.externalRecipientsPerHour) return rateLimited(mailbox, 'recipients', limits.externalRecipientsPerHour);
  await db.query(
    `INSERT INTO smtp_send_counters (mailbox, bucket, messages, recipients)
     VALUES ($1, date_bin('10 minutes', now(), timestamptz '2000-01-01'), 1, $2)
     ON CONFLICT (mailbox, bucket) DO UPDATE SET messages = smtp_send_counters.messages + 1, recipients = smtp_send_counters.recipients + $2`,
    { bind: [mailbox, external] },
  );
  // Old buckets no longer count; keep the table small.
  if (Math.random() < 0.01) await db.query(`DELETE FROM smtp_send_counters WHERE bucket < now() - interval '2 hours'`);
  return undefined;
}
