import { promises as dns } from 'node:dns';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';

/**
 * Hands a message to another mail server: the smarthost when one is configured, otherwise the
 * recipient domain's MX hosts in preference order (the domain itself when it has no MX). STARTTLS is
 * used whenever offered (opportunistic: most MX certificates are not verifiable). Each recipient gets
 * its own answer; an unreachable domain is a temporary failure.
 */
export interface RemoteResult {
  recipient: string;
  code: number;
  response: string;
}

export async function mxHosts(domain: string): Promise<Array<{ host: string; port: number }>> {
  try {
    const mx = await dns.resolveMx(domain);
    if (mx.length) return mx.sort((a, b) => a.priority - b.priority).map((m) => ({ host: m.exchange, port: 25 }));
  } catch (err: any) {
    if (err?.code === 'ENOTFOUND' || err?.code === 'ENODATA') return [{ host: domain, port: 25 }];
    throw err;
  }
  return [{ host: domain, port: 25 }];
}

export function parseSmarthost(url: string): { host: string; port: number; secure: boolean } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || (u.protocol === 'smtps:' ? 465 : 25)), secure: u.protocol === 'smtps:' };
}

function sendVia(target: { host: string; port: number; secure?: boolean }, heloName: string, sender: string, recipients: string[], message: Buffer): Promise<RemoteResult[]> {
  return new Promise((resolve, reject) => {
    const conn = new SMTPConnection({
      host: target.host,
      port: target.port,
      secure: target.secure ?? false,
      name: heloName,
      opportunisticTLS: true,
      tls: { rejectUnauthorized: false },
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 120_000,
    } as any);
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      conn.close();
      fn();
    };
    conn.once('error', (err: any) => finish(() => (err?.responseCode ? resolve(recipients.map((r) => ({ recipient: r, code: err.responseCode, response: String(err.response) }))) : reject(err))));
    conn.connect(() => {
      conn.send({ from: sender, to: recipients }, message, (err: any, info: any) => {
        const refused = new Map<string, any>(((err ?? info)?.rejectedErrors ?? []).map((e: any) => [String(e.recipient).toLowerCase(), e]));
        if (err && !refused.size) {
          if (err.responseCode) return finish(() => resolve(recipients.map((r) => ({ recipient: r, code: err.responseCode, response: String(err.response) }))));
          return finish(() => reject(err));
        }
        finish(() =>
          resolve(
            recipients.map((r) => {
              const e = refused.get(r.toLowerCase());
              return e ? { recipient: r, code: Number(e.responseCode ?? 550), response: String(e.response ?? e.message) } : { recipient: r, code: 250, response: String(info?.response ?? '250 OK') };
            }),
          ),
        );
      });
    });
  });
}

export async function deliverRemote(opts: { smarthost?: string; heloName: string; sender: string; recipients: string[]; message: Buffer }): Promise<RemoteResult[]> {
  const byDomain = new Map<string, string[]>();
  for (const r of opts.recipients) {
    const key = opts.smarthost ? '' : r.slice(r.lastIndexOf('@') + 1).toLowerCase();
    byDomain.set(key, [...(byDomain.get(key) ?? []), r]);
  }
  const results: RemoteResult[] = [];
  for (const [domain, rcpts] of byDomain) {
    let targets: Array<{ host: string; port: number; secure?: boolean }>;
    try {
      targets = opts.smarthost ? [parseSmarthost(opts.smarthost)] : await mxHosts(domain);
    } catch (err) {
      results.push(...rcpts.map((r) => ({ recipient: r, code: 451, response: `451 4.4.3 DNS lookup for ${domain} failed: ${(err as Error).message}` })));
      continue;
    }
    let last: Error | undefined;
    let done = false;
    for (const t of targets) {
      try {
        results.push(...(await sendVia(t, opts.heloName, opts.sender, rcpts, opts.message)));
        done = true;
        break;
      } catch (err) {
        last = err as Error; // unreachable: try the next MX
      }
    }
    if (!done) results.push(...rcpts.map((r) => ({ recipient: r, code: 451, response: `451 4.4.1 No answer from ${domain}: ${last?.message ?? 'no host'}` })));
  }
  return results;
}
