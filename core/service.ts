import { logger } from './log.js';

/** A running part of the system that the launcher starts in order and stops in reverse. */
export interface RunningService {
  name: string;
  /** Human-readable "what listens where" lines for the start-up banner. */
  listening: string[];
  stop(): Promise<void>;
}

/**
 * Starts services one after another; if one fails, stops those already started (so a failed start
 * leaves no orphan PostgreSQL or Dovecot behind) and rethrows.
 */
export async function startInOrder(steps: Array<() => Promise<RunningService>>): Promise<RunningService[]> {
  const started: RunningService[] = [];
  try {
    for (const step of steps) started.push(await step());
    return started;
  } catch (err) {
    await stopInReverse(started);
    throw err;
  }
}

export async function stopInReverse(services: RunningService[]): Promise<void> {
  for (const s of [...services].reverse()) {
    try {
      await s.stop();
    } catch (err) {
      logger().warn({ err, service: s.name }, 'service did not stop cleanly');
    }
  }
}
