import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../core/config.js';
import { GovmailError } from '../core/errors.js';
import { EX, rspamdClient, scannerEndpoints, ScannerUnavailableError, type RspamdEndpoints } from '../smtp/index.js';
import { readAll } from './sendmail.js';

/** The rspamd controller of this installation: the configured one, or the embedded one's port and password. */
function controllerOf(dataDir?: string): RspamdEndpoints {
  const config = loadConfig({ dataDir });
  const file = path.join(config.dataDir, 'secrets', 'rspamd-controller-password');
  const embedded = existsSync(file)
    ? { scanUrl: `http://127.0.0.1:${config.rspamdPort}`, controllerUrl: `http://127.0.0.1:${config.rspamdControllerPort}`, password: readFileSync(file, 'utf8').trim(), timeoutMs: config.scanTimeoutMs }
    : undefined;
  const endpoints = scannerEndpoints(config, embedded);
  if (!endpoints?.controllerUrl) throw new GovmailError('CONFIG_INVALID', `no rspamd controller: set rspamdControllerUrl or use the data folder of a running govmail (${config.dataDir})`, `không có bộ điều khiển rspamd: đặt rspamdControllerUrl hoặc dùng thư mục dữ liệu của govmail đang chạy (${config.dataDir})`);
  return endpoints;
}

/**
 * `govmail learn spam|ham [--data DIR]` with a message on standard input: teaches the spam filter. Dovecot's
 * imapsieve runs it (through the `govmail-learn` wrapper the launcher writes) when an IMAP client moves
 * mail into or out of Junk; an administrator can feed it a message too. Exit codes are sysexits.h: 0
 * learnt (or already known), 64 usage, 75 rspamd unavailable, 78 no controller configured.
 */
export async function runLearn(kind: string, o: { data?: string }, stdin: NodeJS.ReadableStream = process.stdin): Promise<number> {
  if (kind !== 'spam' && kind !== 'ham') {
    process.stderr.write(`govmail learn: "${kind}" — expected spam or ham / cần spam hoặc ham\n`);
    return EX.USAGE;
  }
  try {
    const raw = await readAll(stdin);
    if (!raw.length) {
      process.stderr.write('govmail learn: no message on standard input / không có thư ở đầu vào chuẩn\n');
      return EX.USAGE;
    }
    await rspamdClient(controllerOf(o.data)).learn(kind, raw);
    return EX.OK;
  } catch (err) {
    process.stderr.write(`govmail learn: ${err instanceof GovmailError ? err.bilingual : (err as Error).message}\n`);
    if (err instanceof ScannerUnavailableError) return EX.TEMPFAIL;
    return err instanceof GovmailError ? EX.CONFIG : EX.TEMPFAIL;
  }
}

export function learnCommand(program: Command): void {
  program
    .command('learn <kind>')
    .description('dạy bộ lọc thư rác: thư ở đầu vào chuẩn là thư rác (spam) hay không (ham) / teach the spam filter: the message on stdin is spam or ham')
    .option('--data <dir>', 'thư mục dữ liệu / data folder (default ./data or GOVMAIL_DATA_DIR)')
    .action(async (kind: string, o: { data?: string }) => {
      process.exit(await runLearn(kind, o));
    });
}
