import { GovmailError } from '../core/errors.js';

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Prints a user-facing failure (Vietnamese first) and sets a non-zero exit code; never a stack trace for expected errors. */
export function reportFailure(err: unknown): void {
  if (err instanceof GovmailError) {
    process.stderr.write(`Lỗi / Error [${err.code}]: ${err.bilingual}\n`);
    process.exitCode = 2;
    return;
  }
  const e = err as Error;
  process.stderr.write(`Lỗi / Error: ${e?.message ?? String(err)}\n`);
  if (process.env.GOVMAIL_DEBUG) process.stderr.write(`${e?.stack}\n`);
  process.exitCode = 1;
}
