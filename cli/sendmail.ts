import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../core/config.js';
import { connect, type Sequelize } from '../core/db.js';
import { GovmailError } from '../core/errors.js';
import { loadKek } from '../core/kek.js';
import { createLmtpClient, type LmtpClient } from '../mailstore/index.js';
import { EX, InjectError, injectMessage } from '../smtp/index.js';

/**
 * `govmail sendmail [-i] [-f SENDER] [--] RECIPIENT…`: the Postfix-style injection command that
 * Dovecot's Sieve runs (its sendmail_path) for vacation replies and redirects. Dovecot calls it as
 * `-i -f <sender or "<>"> -- <recipient>…` with the message on standard input and an empty environment;
 * the wrapper it actually runs (written by the launcher) supplies the data folder and the database.
 * Exit codes are sysexits.h: 0 done, 64 usage, 65 bad data, 67 unknown recipient, 75 try again later,
 * 77 not permitted, 78 configuration.
 */
export interface SendmailArgs {
  sender: string;
  recipients: string[];
  data?: string;
}

/** Sendmail's command line, the parts Dovecot and ordinary Unix programs use. */
export function parseSendmailArgs(argv: string[]): SendmailArgs | { error: string } {
  const out: SendmailArgs = { sender: '', recipients: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.recipients.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-f' || a === '-r') {
      if (i + 1 >= argv.length) return { error: `${a} needs an address` };
      out.sender = argv[++i];
    } else if (/^-[fr]./.test(a)) out.sender = a.slice(2);
    else if (a === '--data') {
      if (i + 1 >= argv.length) return { error: '--data needs a folder' };
      out.data = argv[++i];
    } else if (a.startsWith('--data=')) out.data = a.slice(7);
    else if (a === '-F' || a === '-o' || a === '-B' || a === '-N' || a === '-R' || a === '-V') i++;
    else if (a === '-t') return { error: '-t (recipients from the headers) is not supported' };
    else if (a === '-bs' || a === '-bv' || a === '-bp' || a === '-q') return { error: `${a} is not supported` };
    // -i, -oi, -oem, -F<name>, -Ffoo and the like change nothing here.
    else if (a.startsWith('-') && a !== '-') continue;
    else out.recipients.push(a);
  }
  if (out.sender === '<>') out.sender = '';
  return out;
}

/** All of a stream (the message on standard input), as one Buffer. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

const fail = (exitCode: number, en: string, vi: string) => new InjectError(exitCode, 'SENDMAIL', en, vi);

/** Runs one injection; returns the exit code. Never starts a database: a stopped system means "try later". */
export async function runSendmail(argv: string[], stdin: NodeJS.ReadableStream = process.stdin): Promise<number> {
  let db: Sequelize | undefined;
  let lmtp: LmtpClient | undefined;
  try {
    const args = parseSendmailArgs(argv);
    if ('error' in args) throw fail(EX.USAGE, args.error, `sai cú pháp: ${args.error}`);
    if (!args.recipients.length) throw fail(EX.USAGE, 'no recipient given', 'không có người nhận');
    const raw = await readAll(stdin);
    const config = loadConfig({ dataDir: args.data });
    let dbUrl = config.databaseUrl;
    if (!dbUrl) {
      const pw = path.join(config.dataDir, 'secrets', 'postgres-password');
      if (!existsSync(pw)) throw fail(EX.CONFIG, `no database: set DATABASE_URL or use the data folder of a running govmail (${config.dataDir})`, `không có cơ sở dữ liệu: đặt DATABASE_URL hoặc dùng thư mục dữ liệu của govmail đang chạy (${config.dataDir})`);
      dbUrl = `postgres://govmail:${encodeURIComponent(readFileSync(pw, 'utf8').trim())}@127.0.0.1:${config.embeddedPgPort}/govmail`;
    }
    // The KEK seals the DKIM keys; creating a new one here would make every existing key unreadable.
    if (!process.env.GOVMAIL_KEK_PASSPHRASE && !existsSync(path.join(config.dataDir, 'secrets', 'kek'))) {
      throw fail(EX.CONFIG, `no KEK in ${config.dataDir}/secrets and no GOVMAIL_KEK_PASSPHRASE`, `không có KEK trong ${config.dataDir}/secrets và không có GOVMAIL_KEK_PASSPHRASE`);
    }
    const kek = loadKek(config.dataDir);
    db = connect(dbUrl, { poolMax: 2 });
    const database = db;
    try {
      await database.query('SELECT 1');
    } catch (err) {
      throw fail(EX.TEMPFAIL, `database unavailable: ${(err as Error).message}`, `không kết nối được cơ sở dữ liệu: ${(err as Error).message}`);
    }
    lmtp = createLmtpClient({ host: '127.0.0.1', port: config.lmtpPort, poolSize: 1, hostname: config.hostname });
    await injectMessage(
      { db: database, lmtp, kek, hostname: config.hostname, queueRetryMaxSeconds: config.queueRetryMaxSeconds, maxMessageSize: config.maxMessageSize },
      { raw, sender: args.sender, recipients: args.recipients },
    );
    return EX.OK;
  } catch (err) {
    if (err instanceof InjectError) {
      process.stderr.write(`govmail sendmail: ${err.bilingual}\n`);
      return err.exitCode;
    }
    if (err instanceof GovmailError) {
      process.stderr.write(`govmail sendmail: ${err.bilingual}\n`);
      return err.code === 'CONFIG_INVALID' ? EX.CONFIG : EX.DATAERR;
    }
    // Database or mail store trouble mid-way: nothing was committed, the caller may try again.
    process.stderr.write(`govmail sendmail: ${(err as Error)?.message ?? String(err)}\n`);
    return EX.TEMPFAIL;
  } finally {
    lmtp?.close();
    await db?.close().catch(() => undefined);
  }
}

/** Registers `govmail sendmail`; its arguments are read as sendmail reads them, not by commander. */
export function sendmailCommand(program: Command): void {
  program
    .command('sendmail')
    .description('nhận thư từ tiến trình cục bộ (Sieve của Dovecot) / inject a message from a local process (Dovecot Sieve), like sendmail')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async () => {
      const argv = process.argv.slice(process.argv.indexOf('sendmail') + 1);
      // Dovecot gives up after submission_timeout (30 s): answer "try later" before that.
      const timer = setTimeout(() => {
        process.stderr.write('govmail sendmail: timed out / quá thời gian\n');
        process.exit(EX.TEMPFAIL);
      }, 25_000);
      const code = await runSendmail(argv);
      clearTimeout(timer);
      process.exit(code);
    });
}
