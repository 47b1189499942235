import { pino, type Logger } from 'pino';

/** Keys whose values never reach a log line, wherever they appear. */
const secretPaths = [
  'password', '*.password', 'pass', '*.pass', 'pin', '*.pin', 'passphrase', '*.passphrase',
  'secret', '*.secret', 'token', '*.token', 'privateKey', '*.privateKey', 'key', '*.key',
  'auth.pass', 'auth.password', 'headers.authorization', 'req.headers.authorization', 'req.headers.cookie',
];

let root: Logger | undefined;

export function createLogger(level = process.env.GOVMAIL_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { svc: 'govmail' },
    redact: { paths: secretPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

export function logger(): Logger {
  root ??= createLogger();
  return root;
}

export function setLogger(l: Logger): void {
  root = l;
}

export type { Logger };
