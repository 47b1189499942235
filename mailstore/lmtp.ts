import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';

/**
 * Delivery into Dovecot over LMTP. LMTP answers DATA once per recipient. nodemailer's transports keep
 * only the last reply, so this uses its lower-level SMTPConnection, which records every recipient's
 * own answer, and keeps a few connections open for reuse.
 */
export interface LmtpResult {
  recipient: string;
  accepted: boolean;
  code: number;
  enhanced?: string;
  response: string;
}

export interface LmtpClient {
  deliver(msg: { from: string; to: string[]; raw: Buffer }): Promise<LmtpResult[]>;
  close(): void;
}

export class LmtpUnavailableError extends Error {
  readonly code = 'LMTP_UNAVAILABLE';
}

function enhancedOf(response: string): string | undefined {
  return /^\d{3}[ -](\d\.\d{1,3}\.\d{1,3})/.exec(response)?.[1];
}

function resultFromError(recipient: string, e: any): LmtpResult {
  const response = String(e?.response ?? e?.message ?? '451 4.3.0 unknown LMTP failure');
  return { recipient, accepted: false, code: Number(e?.responseCode ?? /^(\d{3})/.exec(response)?.[1] ?? 451), enhanced: enhancedOf(response), response };
}

export function createLmtpClient(opts: { host: string; port: number; poolSize?: number; hostname?: string }): LmtpClient {
  const idle: SMTPConnection[] = [];
  let open = 0;
  const waiters: Array<(c: SMTPConnection | undefined) => void> = [];
  let closed = false;
  const max = opts.poolSize ?? 4;

  const connect = () =>
    new Promise<SMTPConnection>((resolve, reject) => {
      const conn = new SMTPConnection({ host: opts.host, port: opts.port, lmtp: true, ignoreTLS: true, name: opts.hostname ?? 'localhost', connectionTimeout: 10_000, socketTimeout: 60_000 } as any);
      conn.once('error', reject);
      conn.connect(() => {
        // Small command writes must not wait for a delayed ACK (≈40 ms per message otherwise).
        (conn as any)._socket?.setNoDelay?.(true);
        conn.removeListener('error', reject);
        conn.on('error', () => undefined);
        resolve(conn);
      });
    });

  const acquire = async (): Promise<SMTPConnection> => {
    const ready = idle.pop();
    if (ready) return ready;
    if (open < max) {
      open++;
      try {
        return await connect();
      } catch (err) {
        open--;
        throw new LmtpUnavailableError(`LMTP ${opts.host}:${opts.port} unavailable: ${(err as Error).message}`);
      }
    }
    const c = await new Promise<SMTPConnection | undefined>((r) => waiters.push(r));
    return c ?? acquire();
  };

  const release = (conn: SMTPConnection, healthy: boolean) => {
    if (!healthy || closed) {
      open--;
      conn.close();
      waiters.shift()?.(undefined);
      return;
    }
    const waiter = waiters.shift();
    if (waiter) waiter(conn);
    else idle.push(conn);
  };

  // Replies to DATA arrive after `info` was built at DATA time, so they are only on the connection's live
  // envelope (`rejectedErrors`); read them from there rather than lose a recipient's refusal.
  const sendOn = (conn: SMTPConnection, from: string, to: string[], raw: Buffer) =>
    new Promise<{ info?: any; err?: any }>((resolve) =>
      conn.send({ from, to }, raw, (err, info: any) => {
        if (info) info.rejectedErrors = (conn as any)._envelope?.rejectedErrors ?? info.rejectedErrors;
        resolve({ err, info });
      }),
    );

  return {
    async deliver({ from, to, raw }) {
      const conn = await acquire();
      const { err, info } = await sendOn(conn, from, to, raw);
      if (err) {
        const perRecipient = new Map<string, any>((err.rejectedErrors ?? []).map((e: any) => [String(e.recipient).toLowerCase(), e]));
        const answered = err.responseCode !== undefined || perRecipient.size > 0;
        // A refusal is an answer and the connection stays usable after RSET; a broken socket is an outage.
        if (!answered) {
          release(conn, false);
          throw new LmtpUnavailableError(`LMTP ${opts.host}:${opts.port} failed: ${err.message}`);
        }
        await new Promise<void>((r) => conn.reset(() => r()));
        release(conn, true);
        return to.map((rcpt) => resultFromError(rcpt, perRecipient.get(rcpt.toLowerCase()) ?? err));
      }
      release(conn, true);
      const perRecipient = new Map<string, any>((info.rejectedErrors ?? []).map((e: any) => [String(e.recipient).toLowerCase(), e]));
      return to.map((rcpt) => {
        const e = perRecipient.get(rcpt.toLowerCase());
        if (e) return resultFromError(rcpt, e);
        return { recipient: rcpt, accepted: true, code: 250, enhanced: '2.0.0', response: String(info.response ?? '250 2.0.0 OK') };
      });
    },
    close() {
      closed = true;
      for (const c of idle.splice(0)) c.close();
      for (const w of waiters.splice(0)) w(undefined);
    },
  };
}
