import type { Sequelize } from 'sequelize';
import { queueOutcomes } from './metrics.js';
import { logger } from '../core/log.js';
import { isLocalDomain } from '../admin/index.js';
import { LmtpUnavailableError, type LmtpClient } from '../mailstore/index.js';
import { claimDue, enqueue, finishAttempt, markRecipient, workerId, type ClaimedJob } from './queue.js';
import { deliverRemote } from './remote.js';
import { buildDsn, type Failure } from './dsn.js';
import { recordUsage, type UsageRow } from './usage.js';
import { domainOf, nextRetryDelaySeconds, outcomeOf } from './rules.js';

export interface WorkerOptions {
  db: Sequelize;
  lmtp: LmtpClient;
  hostname: string;
  smarthost?: string;
  queueRetryMaxSeconds: number;
  leaseSeconds?: number;
  pollMs?: number;
  retryBaseSeconds?: number;
}

async function attemptLocal(lmtp: LmtpClient, job: ClaimedJob, rcpts: string[]) {
  if (!rcpts.length) return [];
  try {
    return (await lmtp.deliver({ from: job.sender, to: rcpts, raw: job.message })).map((r) => ({ recipient: r.recipient, code: r.code, response: r.response }));
  } catch (err) {
    if (!(err instanceof LmtpUnavailableError)) throw err;
    return rcpts.map((r) => ({ recipient: r, code: 451, response: `451 4.3.0 mail store unavailable: ${err.message}` }));
  }
}

/** One attempt at one job; every outcome, DSN and usage row commits together. */
export async function processJob(o: WorkerOptions, job: ClaimedJob): Promise<'done' | 'retry'> {
  const local = job.recipients.filter((r) => r.local).map((r) => r.address);
  const remote = job.recipients.filter((r) => !r.local).map((r) => r.address);
  const results = [
    ...(await attemptLocal(o.lmtp, job, local)),
    ...(remote.length ? await deliverRemote({ smarthost: o.smarthost, heloName: o.hostname, sender: job.sender, recipients: remote, message: job.message }) : []),
  ];
  const retryIn = nextRetryDelaySeconds(job.attempts, o.retryBaseSeconds ?? 60);
  const expired = Date.now() + retryIn * 1000 > job.expiresAt.getTime();
  const failures: Failure[] = [];
  const usage: UsageRow[] = [];
  const isLocal = new Set(local);

  const finished = await o.db.transaction(async (t) => {
    for (const r of results) {
      const outcome = outcomeOf(r.code);
      const mailbox = isLocal.has(r.recipient) ? r.recipient : job.originMailbox;
      const direction = isLocal.has(r.recipient) ? (job.originMailbox ? 'internal' : 'in') : 'out';
      if (outcome === 'delivered') {
        await markRecipient(o.db, job.id, r.recipient, 'delivered', r.code, r.response, t);
        usage.push({ event: isLocal.has(r.recipient) ? 'delivered' : 'sent', mailbox, direction, size: job.message.length, queueId: job.id });
      } else if (outcome === 'permanent' || expired) {
        await markRecipient(o.db, job.id, r.recipient, 'failed', r.code, r.response, t);
        failures.push({ recipient: r.recipient, code: r.code, response: r.response });
        usage.push({ event: 'bounced', mailbox, direction, size: job.message.length, queueId: job.id });
      } else {
        await markRecipient(o.db, job.id, r.recipient, 'pending', r.code, r.response, t);
        usage.push({ event: 'deferred', mailbox, direction, size: job.message.length, queueId: job.id });
      }
    }
    // Never bounce a bounce: the null sender gets no DSN.
    if (failures.length && job.sender) {
      const dsn = buildDsn({ hostname: o.hostname, to: job.sender, failures, original: job.message, arrival: new Date(), expired: expired && failures.every((f) => f.code < 500) });
      await enqueue(o.db, { sender: '', recipients: [{ address: job.sender, local: await isLocalDomain(o.db, domainOf(job.sender)) }], message: dsn, expiresInSeconds: o.queueRetryMaxSeconds }, t);
    }
    await recordUsage(o.db, usage, t);
    return finishAttempt(o.db, job.id, retryIn, t);
  });
  // Counted once the attempt is committed.
  for (const u of usage) queueOutcomes.inc({ outcome: u.event === 'sent' ? 'delivered' : u.event });
  return finished;
}

/** Polls for due jobs until stopped; several workers (in one or many processes) share the queue safely. */
export function startQueueWorker(o: WorkerOptions): { stop(): Promise<void>; kick(): void } {
  const id = workerId();
  const log = logger().child({ svc: 'queue', worker: id });
  let running = true;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (running) {
      let jobs: ClaimedJob[] = [];
      try {
        jobs = await claimDue(o.db, id, o.leaseSeconds ?? 300);
        for (const job of jobs) {
          const res = await processJob(o, job);
          log.info({ job: job.id, result: res }, 'delivery attempt');
        }
      } catch (err) {
        // The lease runs out and the job falls due again; nothing is lost.
        log.warn({ err: (err as Error).message }, 'queue attempt failed');
      }
      if (!jobs.length && running) await new Promise<void>((r) => { wake = r; setTimeout(r, o.pollMs ?? 1000); });
    }
  })();
  return {
    kick: () => wake?.(),
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}
