import type { SMTPServerOptions } from 'smtp-server';
import type { Sequelize } from 'sequelize';
import { counter, gauge, histogram } from '../core/metrics.js';
import { queueStats } from './queue.js';

/** What the SMTP servers tell Prometheus: every refusal by stage and enhanced status code, every message taken. */
const messages = counter('govmail_smtp_messages_total', 'Messages answered at the end of DATA, by server and outcome (accepted, refused, deferred)', ['server', 'outcome']);
const refusals = counter('govmail_smtp_refusals_total', 'SMTP commands refused, by server, stage (connect, mail, rcpt, data) and enhanced status code', ['server', 'stage', 'status']);
export const lmtpSeconds = histogram('govmail_lmtp_delivery_seconds', 'Time Dovecot took to take a message over LMTP', [], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
export const queueOutcomes = counter('govmail_queue_deliveries_total', 'Outbound queue attempts per recipient, by outcome (delivered, deferred, bounced)', ['outcome']);

type Callback = (err?: (Error & { responseCode?: number }) | null, ...rest: unknown[]) => void;

const statusOf = (err: Error & { responseCode?: number }) => /^([245]\.\d{1,3}\.\d{1,3})/.exec(err.message)?.[1] ?? String(err.responseCode ?? 554);

/** Wraps a server's handlers so that each answer is counted; the handlers themselves stay as they are. */
export function instrumented(server: string, options: SMTPServerOptions): SMTPServerOptions {
  const wrap = <K extends 'onConnect' | 'onMailFrom' | 'onRcptTo' | 'onData'>(key: K, stage: string) => {
    const handler = options[key] as ((...a: any[]) => void) | undefined;
    if (!handler) return {};
    return {
      [key]: (...args: any[]) => {
        const callback = args[args.length - 1] as Callback;
        args[args.length - 1] = ((err, ...rest) => {
          if (err) {
            refusals.inc({ server, stage, status: statusOf(err) });
            if (stage === 'data') messages.inc({ server, outcome: (err.responseCode ?? 554) >= 500 ? 'refused' : 'deferred' });
          } else if (stage === 'data') messages.inc({ server, outcome: 'accepted' });
          callback(err, ...rest);
        }) as Callback;
        handler(...args);
      },
    };
  };
  return { ...options, ...wrap('onConnect', 'connect'), ...wrap('onMailFrom', 'mail'), ...wrap('onRcptTo', 'rcpt'), ...wrap('onData', 'data') };
}

/** The outbound queue as scraped: waiting and deferred messages, and the age of the oldest. */
export function registerQueueGauges(db: Sequelize): void {
  gauge('govmail_queue_messages', 'Messages in the outbound queue, by state (waiting: not tried yet, deferred: tried and to be retried)', ['state'], async (g) => {
    const s = await queueStats(db);
    g.set({ state: 'waiting' }, s.queued - s.deferred);
    g.set({ state: 'deferred' }, s.deferred);
  });
  gauge('govmail_queue_oldest_age_seconds', 'Age of the oldest message still in the outbound queue (0 when empty)', [], async (g) => {
    const s = await queueStats(db);
    g.set(s.oldest ? (Date.now() - s.oldest.getTime()) / 1000 : 0);
  });
}
