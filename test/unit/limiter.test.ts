import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConcurrencyLimiter } from '../../core/limiter.js';

describe('core — concurrency limiter (TSA client, /verify, webmail badges)', () => {
  it('runs at most `max` tasks at once, in arrival order, and frees the slot of a failed task', async () => {
    const limiter = new ConcurrencyLimiter(3);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const task = (i: number) => async () => {
      started.push(i);
      most = Math.max(most, ++running);
      await sleep(20);
      running--;
      if (i % 4 === 0) throw new Error(`task ${i}`);
      return i;
    };
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => limiter.run(task(i))));
    assert.equal(most, 3);
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(results.map((r) => r.status), results.map((_, i) => (i % 4 === 0 ? 'rejected' : 'fulfilled')));
    assert.equal(limiter.active, 0);
    assert.equal(limiter.queued, 0);
  });

  it('refuses a limit that is not a positive integer', () => {
    assert.throws(() => new ConcurrencyLimiter(0), /positive integer/);
    assert.throws(() => new ConcurrencyLimiter(1.5), /positive integer/);
  });
});
