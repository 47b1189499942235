import type { ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import { stopChild } from './embedded-postgres.js';

/**
 * A child daemon kept alive: started with `spawn`, its stderr handed line by line to `onLine`, and
 * started again when it dies, after a pause that grows (0.5 s doubling up to 30 s) so a broken config
 * does not spin. `stop()` ends it for good.
 */
export interface Supervised {
  current(): ChildProcess;
  /** The child has exited and not yet been started again. */
  dead(): boolean;
  restarts(): number;
  stop(graceMs?: number): Promise<void>;
}

export function supervise(o: { name: string; spawn: () => ChildProcess; onLine: (line: string) => void; log: Logger }): Supervised {
  let child: ChildProcess;
  let stopping = false;
  let failures = 0;
  let total = 0;
  const start = () => {
    const started = Date.now();
    child = o.spawn();
    let rest = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) o.onLine(line.trim());
    });
    child.once('exit', (code, signal) => {
      if (stopping) return;
      // A child that ran for a minute was healthy: its next crash starts the backoff afresh.
      if (Date.now() - started > 60_000) failures = 0;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(failures++, 6));
      total++;
      o.log.error({ code, signal, delay }, `${o.name} exited; restarting`);
      setTimeout(() => !stopping && start(), delay);
    });
  };
  start();
  return {
    current: () => child,
    dead: () => child.exitCode !== null || child.signalCode !== null,
    restarts: () => total,
    async stop(graceMs = 10_000) {
      stopping = true;
      await stopChild(child, 'SIGTERM', graceMs);
    },
  };
}
