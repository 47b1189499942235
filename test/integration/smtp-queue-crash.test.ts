import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startMailEnv, type MailEnv } from '../support/mailenv.js';
import { startSink, type Sink } from '../support/smtp-sink.js';
import { repoRoot } from '../support/cli.js';
import { enqueue } from '../../smtp/queue.js';
import { startQueueWorker } from '../../smtp/index.js';

describe('smtp queue — survives kill -9 of a worker mid-delivery', function () {
  this.timeout(120_000);
  let env: MailEnv;
  let sink: Sink;
  before(async () => {
    sink = await startSink();
    sink.slowMs = 4000;
    env = await startMailEnv({ smarthost: undefined });
  });
  after(async () => {
    await env?.stop();
    await sink?.close();
  });

  it('delivers every queued message after the worker is killed', async () => {
    const recipients = ['slow1@ben-ngoai.vn', 'fast1@ben-ngoai.vn', 'slow2@ben-ngoai.vn', 'fast2@ben-ngoai.vn', 'fast3@ben-ngoai.vn'];
    await env.db.transaction(async (t) => {
      for (const r of recipients) {
        await enqueue(env.db, { sender: 'a@test.gov.vn', recipients: [{ address: r, local: false }], message: Buffer.from(`Subject: ${r}\r\n\r\nx\r\n`), expiresInSeconds: 3600 }, t);
      }
    });

    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/support/queue-worker-child.ts')], {
      cwd: repoRoot,
      env: { ...process.env, GOVMAIL_TEST_DB_URL: env.dbUrl, GOVMAIL_TEST_LMTP_PORT: String(env.dovecot.lmtp.port), GOVMAIL_TEST_SMARTHOST: sink.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Kill it while it holds a lease on a job whose DATA answer the sink is still holding back.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [rows] = await env.db.query(`SELECT count(*)::int AS n FROM smtp_queue WHERE locked_by IS NOT NULL AND status = 'queued'`);
      if ((rows as any)[0].n > 0) break;
      if (Date.now() > deadline) throw new Error('the child worker never took a job');
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const [left] = await env.db.query(`SELECT count(*)::int AS n FROM smtp_queue WHERE status = 'queued'`);
    assert.ok((left as any)[0].n > 0, 'the kill must leave work unfinished for this test to mean anything');

    sink.slowMs = 0;
    const worker = startQueueWorker({ db: env.db, lmtp: env.lmtp, hostname: 'mail.test.gov.vn', smarthost: sink.url, queueRetryMaxSeconds: 3600, leaseSeconds: 3, pollMs: 50, retryBaseSeconds: 1 });
    try {
      const until = Date.now() + 60_000;
      for (;;) {
        const [rows] = await env.db.query(`SELECT count(*)::int AS n FROM smtp_queue WHERE status = 'queued'`);
        if ((rows as any)[0].n === 0) break;
        if (Date.now() > until) throw new Error('queue did not drain after the crash');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await worker.stop();
    }
    // At-least-once: every recipient got the message; one may have got it twice (the kill came after
    // the remote server took it but before we recorded that), none got nothing.
    const got = new Set(sink.received.flatMap((m) => m.to));
    assert.deepEqual([...got].sort(), [...recipients].sort());
    const [states] = await env.db.query(`SELECT DISTINCT status FROM smtp_queue_recipients`);
    assert.deepEqual(states, [{ status: 'delivered' }]);
  });
});
