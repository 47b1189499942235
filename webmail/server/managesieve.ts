import net from 'node:net';
import tls from 'node:tls';
import { GovmailError } from '../../core/errors.js';
import { MailboxLoginRefused } from './imap-pool.js';
import { mailStoreUnavailable } from './errors.js';

/**
 * A small ManageSieve client (RFC 5804) for Dovecot's managesieve on loopback. It logs in like the IMAP
 * pool does: SASL PLAIN with authcid = the master user and authzid = the session's mailbox, after
 * STARTTLS (Dovecot refuses plaintext AUTH outside TLS). Every argument is sent as a quoted string
 * when that is safe and as a non-synchronising literal `{N+}` otherwise; scripts are always literals.
 */
export interface SieveTarget {
  host: string;
  port: number;
  master: { user: string; password: string };
}

export type Token = { t: 'atom'; v: string } | { t: 'string'; v: string; bytes: Buffer } | { t: 'list'; v: Token[] };

export interface SieveResponse {
  status: 'OK' | 'NO' | 'BYE';
  /** The response code without its parentheses, e.g. `WARNINGS`, `NONEXISTENT`, `QUOTA/MAXSIZE`. */
  code?: string;
  codeArgs?: Token[];
  text?: string;
  /** The data lines before the status line. */
  lines: Token[][];
}

export class ManageSieveError extends GovmailError {
  constructor(
    readonly command: string,
    readonly response: SieveResponse,
  ) {
    const why = response.text ?? response.code ?? response.status;
    super('SIEVE_REFUSED', `the mail store refused ${command}: ${why}`, `kho thư từ chối lệnh ${command}: ${why}`, response.code?.startsWith('QUOTA') ? 413 : 400);
  }
}

export class ProtocolError extends Error {}

const CRLF = 0x0a;

/**
 * Parses one response line starting at `pos`: tokens up to CRLF, literals included. Returns null when
 * the buffer does not hold the whole line yet; throws ProtocolError on what the grammar does not allow.
 */
export function parseLine(buf: Buffer, pos = 0): { tokens: Token[]; next: number } | null {
  const stack: Token[][] = [[]];
  let i = pos;
  const push = (tok: Token) => stack[stack.length - 1].push(tok);
  while (i < buf.length) {
    const c = buf[i];
    if (c === 0x20) {
      i++;
    } else if (c === 0x0d || c === CRLF) {
      if (c === 0x0d) {
        if (i + 1 >= buf.length) return null;
        if (buf[i + 1] !== CRLF) throw new ProtocolError('CR without LF');
        i++;
      }
      if (stack.length > 1) throw new ProtocolError('unclosed "("');
      return { tokens: stack[0], next: i + 1 };
    } else if (c === 0x22) {
      const out: number[] = [];
      let j = i + 1;
      for (;;) {
        if (j >= buf.length) return null;
        const d = buf[j];
        if (d === 0x22) break;
        if (d === 0x0d || d === CRLF) throw new ProtocolError('line break in a quoted string');
        if (d === 0x5c) {
          if (j + 1 >= buf.length) return null;
          j++;
        }
        out.push(buf[j]);
        j++;
      }
      const bytes = Buffer.from(out);
      push({ t: 'string', v: bytes.toString('utf8'), bytes });
      i = j + 1;
    } else if (c === 0x7b) {
      const close = buf.indexOf(0x7d, i);
      if (close < 0) return null;
      const m = /^\{(\d{1,10})\+?\}$/.exec(buf.subarray(i, close + 1).toString('latin1'));
      if (!m) throw new ProtocolError('bad literal');
      const n = Number(m[1]);
      let start = close + 1;
      if (start + 2 > buf.length) return null;
      if (buf[start] === 0x0d) start++;
      if (buf[start] !== CRLF) throw new ProtocolError('literal length not followed by CRLF');
      start++;
      if (start + n > buf.length) return null;
      const bytes = Buffer.from(buf.subarray(start, start + n));
      push({ t: 'string', v: bytes.toString('utf8'), bytes });
      i = start + n;
    } else if (c === 0x28) {
      stack.push([]);
      i++;
    } else if (c === 0x29) {
      if (stack.length < 2) throw new ProtocolError('unexpected ")"');
      const inner = stack.pop()!;
      push({ t: 'list', v: inner });
      i++;
    } else {
      let j = i;
      while (j < buf.length && ![0x20, 0x0d, CRLF, 0x28, 0x29, 0x22, 0x7b].includes(buf[j])) j++;
      if (j >= buf.length) return null;
      push({ t: 'atom', v: buf.subarray(i, j).toString('latin1') });
      i = j;
    }
  }
  return null;
}

/** Reads complete responses (data lines + OK/NO/BYE) from a buffer; null when more bytes are needed. */
export function parseResponse(buf: Buffer): { response: SieveResponse; next: number } | null {
  const lines: Token[][] = [];
  let pos = 0;
  for (;;) {
    const line = parseLine(buf, pos);
    if (!line) return null;
    pos = line.next;
    const [first, ...rest] = line.tokens;
    const status = first?.t === 'atom' ? first.v.toUpperCase() : '';
    if (status !== 'OK' && status !== 'NO' && status !== 'BYE') {
      lines.push(line.tokens);
      continue;
    }
    const response: SieveResponse = { status: status as SieveResponse['status'], lines };
    let k = 0;
    if (rest[k]?.t === 'list') {
      const [code, ...args] = (rest[k] as { v: Token[] }).v;
      if (code?.t === 'atom') response.code = code.v.toUpperCase();
      if (args.length) response.codeArgs = args;
      k++;
    }
    if (rest[k]?.t === 'string') response.text = rest[k].v as string;
    return { response, next: pos };
  }
}

/** A command argument: quoted when that is plainly safe, otherwise a literal. */
export function encodeArg(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length <= 1024 && !/["\\\r\n\0]/.test(value)) return Buffer.from(`"${value}"`, 'utf8');
  return Buffer.concat([Buffer.from(`{${bytes.length}+}\r\n`), bytes]);
}

const SCRIPT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export function checkScriptName(name: string): string {
  if (!SCRIPT_NAME.test(name)) throw new GovmailError('INVALID_INPUT', `script name: letters, digits, ".", "_", "-" (got ${JSON.stringify(name)})`, `tên bộ lọc: chữ, số, ".", "_", "-" (nhận được ${JSON.stringify(name)})`, 400);
  return name;
}

export class ManageSieveClient {
  private buf: Buffer = Buffer.alloc(0);
  private waiter?: { resolve: (r: SieveResponse) => void; reject: (e: Error) => void };
  private failure?: Error;
  capabilities: Record<string, string> = {};

  private constructor(private socket: net.Socket | tls.TLSSocket) {
    this.attach(socket);
  }

  private attach(socket: net.Socket | tls.TLSSocket) {
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.pump();
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed')));
    socket.setTimeout(15_000, () => {
      this.fail(new Error('timeout'));
      socket.destroy();
    });
  }

  private fail(err: Error) {
    this.failure ??= err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.failure);
  }

  private pump() {
    if (!this.waiter) return;
    let parsed;
    try {
      parsed = parseResponse(this.buf);
    } catch (err) {
      this.socket.destroy();
      return this.fail(err as Error);
    }
    if (!parsed) return;
    this.buf = this.buf.subarray(parsed.next);
    const w = this.waiter;
    this.waiter = undefined;
    w.resolve(parsed.response);
  }

  private read(): Promise<SieveResponse> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.pump();
    });
  }

  /** Sends one command (a keyword and encoded arguments) and reads its response; NO/BYE throw. */
  private async command(name: string, args: Buffer[] = [], o: { allowNo?: boolean } = {}): Promise<SieveResponse> {
    const parts: Buffer[] = [Buffer.from(name)];
    for (const a of args) parts.push(Buffer.from(' '), a);
    parts.push(Buffer.from('\r\n'));
    this.socket.write(Buffer.concat(parts));
    const res = await this.read();
    if (res.status === 'BYE' || (res.status === 'NO' && !o.allowNo)) throw new ManageSieveError(name, res);
    return res;
  }

  private readCapabilities(res: SieveResponse) {
    this.capabilities = {};
    for (const line of res.lines) if (line[0]?.t === 'string') this.capabilities[line[0].v.toUpperCase()] = line[1]?.t === 'string' ? line[1].v : '';
  }

  static async connect(target: SieveTarget, mailbox: string): Promise<ManageSieveClient> {
    const socket = net.connect({ host: target.host, port: target.port });
    const client = new ManageSieveClient(socket);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      const greeting = await client.read();
      if (greeting.status !== 'OK') throw new ManageSieveError('(greeting)', greeting);
      client.readCapabilities(greeting);
      if ('STARTTLS' in client.capabilities) await client.startTls(target.host);
      const sasl = Buffer.from(`${mailbox}\0${target.master.user}\0${target.master.password}`, 'utf8').toString('base64');
      const auth = await client.command('AUTHENTICATE', [encodeArg('PLAIN'), encodeArg(sasl)], { allowNo: true });
      if (auth.status === 'NO') {
        client.close();
        throw new MailboxLoginRefused(mailbox);
      }
      return client;
    } catch (err) {
      client.close();
      if (err instanceof GovmailError) throw err;
      throw mailStoreUnavailable();
    }
  }

  private async startTls(host: string) {
    await this.command('STARTTLS');
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.setTimeout(0);
    // Loopback to our own Dovecot, whose certificate is usually the self-signed mail host one (as imap-pool).
    const secure = tls.connect({ socket: plain, servername: net.isIP(host) ? undefined : host, rejectUnauthorized: false });
    this.socket = secure;
    this.attach(secure);
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    // RFC 5804 §2.2: the server repeats its capabilities after the handshake.
    this.readCapabilities(await this.read());
  }

  async listScripts(): Promise<Array<{ name: string; active: boolean }>> {
    const res = await this.command('LISTSCRIPTS');
    return res.lines.filter((l) => l[0]?.t === 'string').map((l) => ({ name: l[0].v as string, active: l[1]?.t === 'atom' && l[1].v.toUpperCase() === 'ACTIVE' }));
  }

  /** The script, or undefined when there is none of that name. */
  async getScript(name: string): Promise<string | undefined> {
    const res = await this.command('GETSCRIPT', [encodeArg(name)], { allowNo: true });
    if (res.status === 'NO') {
      if (res.code === 'NONEXISTENT') return undefined;
      throw new ManageSieveError('GETSCRIPT', res);
    }
    const data = res.lines[0]?.[0];
    return data?.t === 'string' ? data.v : '';
  }

  /** Compiles without storing: `{ ok: false, errors }` when Dovecot's Sieve compiler refuses it. */
  async checkScript(script: string): Promise<{ ok: true; warnings?: string } | { ok: false; errors: string }> {
    const res = await this.command('CHECKSCRIPT', [literal(script)], { allowNo: true });
    if (res.status === 'NO') return { ok: false, errors: res.text ?? res.code ?? 'invalid script' };
    return { ok: true, ...(res.code === 'WARNINGS' ? { warnings: res.text ?? '' } : {}) };
  }

  async putScript(name: string, script: string): Promise<void> {
    await this.command('PUTSCRIPT', [encodeArg(checkScriptName(name)), literal(script)]);
  }

  /** An empty name deactivates every script. */
  async setActive(name: string): Promise<void> {
    await this.command('SETACTIVE', [encodeArg(name === '' ? '' : checkScriptName(name))]);
  }

  async logout(): Promise<void> {
    try {
      await this.command('LOGOUT');
    } catch {
      // The session is over either way.
    }
    this.close();
  }

  close(): void {
    this.socket.destroy();
  }
}

function literal(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from(`{${bytes.length}+}\r\n`), bytes]);
}

/** One ManageSieve session for `fn`, always logged out afterwards. */
export async function withManageSieve<T>(target: SieveTarget, mailbox: string, fn: (c: ManageSieveClient) => Promise<T>): Promise<T> {
  const client = await ManageSieveClient.connect(target, mailbox);
  try {
    return await fn(client);
  } catch (err) {
    if (err instanceof GovmailError) throw err;
    throw mailStoreUnavailable();
  } finally {
    await client.logout();
  }
}
