/**
 * The simulated users of `npm run bench:load`, in their own process so that the load does not share the
 * servers' event loop. Reads its job as JSON from argv[2], prints one JSON result line on stdout.
 *
 * A webmail user logs in once, then, with a think time between actions: lists the inbox (most often),
 * opens a message, searches, flags, and now and then sends a letter with a PDF attached to a colleague.
 * An IMAP user (a desktop client) keeps one connection in IDLE and one for work: STATUS, FETCH, STORE.
 * An inbound stream arrives through the MX at a fixed rate.
 */
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';

interface Job {
  http: string;
  imapPort: number;
  mxPort: number;
  users: string[];
  password: string;
  imapShare: number;
  seconds: number;
  thinkMs: [number, number];
  inboundPerSecond: number;
}

const job = JSON.parse(process.argv[2]!) as Job;
const end = Date.now() + job.seconds * 1000;
const samples = new Map<string, number[]>();
const errors = new Map<string, number>();
let sent = 0;
let inbound = 0;
let idleEvents = 0;

const record = (action: string, ms: number) => (samples.get(action) ?? samples.set(action, []).get(action)!).push(ms);
const fail = (what: string) => errors.set(what, (errors.get(what) ?? 0) + 1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const think = () => sleep(job.thinkMs[0] + Math.random() * (job.thinkMs[1] - job.thinkMs[0]));
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(48 * 1024, 0x20), Buffer.from('\n%%EOF\n')]);

async function timed<T>(action: string, fn: () => Promise<T>): Promise<T | undefined> {
  const t0 = performance.now();
  try {
    const out = await fn();
    record(action, performance.now() - t0);
    return out;
  } catch (err) {
    fail(`${action}: ${(err as Error).message.slice(0, 120)}`);
    return undefined;
  }
}

class WebUser {
  private cookie = '';
  private csrf = '';
  constructor(private readonly address: string) {}

  async call(method: string, path: string, body?: unknown, form?: FormData): Promise<any> {
    const headers: Record<string, string> = { cookie: this.cookie };
    if (method !== 'GET') headers['x-csrf-token'] = this.csrf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${job.http}/webmail/api/${path}`, { method, headers, body: form ?? (body === undefined ? undefined : JSON.stringify(body)) });
    const set = res.headers.getSetCookie();
    if (set.length) this.cookie = set.map((c) => c.split(';')[0]).join('; ');
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${res.status} ${text.slice(0, 80)}`);
    return text ? JSON.parse(text) : undefined;
  }

  async run(colleague: string): Promise<void> {
    const login = await timed('login', () => this.call('POST', 'login', { username: this.address, password: job.password }));
    if (!login) return;
    this.csrf = login.csrfToken;
    for (let n = 0; Date.now() < end; n++) {
      await think();
      const page = await timed('list', () => this.call('GET', 'messages?folder=INBOX&page=1&pageSize=50'));
      const messages = (page?.messages ?? []) as Array<{ uid: number }>;
      const pick = messages[n % Math.max(1, messages.length)];
      if (pick && n % 2 === 0) {
        await think();
        await timed('open', () => this.call('GET', `messages/INBOX/${pick.uid}`));
      }
      if (n % 7 === 3) await timed('search', () => this.call('GET', `messages?folder=INBOX&page=1&q=${encodeURIComponent('kế hoạch')}`));
      if (pick && n % 5 === 4) await timed('flag', () => this.call('POST', 'messages/INBOX/flags', { uids: [pick.uid], add: ['\\Flagged'] }));
      if (n % 12 === 11) {
        await think();
        const ok = await timed('send', async () => {
          const form = new FormData();
          form.append('file', new Blob([PDF], { type: 'application/pdf' }), 'ke-hoach.pdf');
          const upload = await this.call('POST', 'uploads', undefined, form);
          return this.call('POST', 'send', { from: this.address, to: [colleague], subject: 'Kế hoạch công tác tuần', text: 'Kính gửi anh/chị kế hoạch tuần.', attachments: [upload.id] });
        });
        if (ok) sent++;
      }
    }
  }
}

function imapClient(address: string, idle: boolean): ImapFlow {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: job.imapPort,
    secure: false,
    doSTARTTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { user: address, pass: job.password },
    logger: false,
    disableAutoIdle: !idle,
  } as ConstructorParameters<typeof ImapFlow>[0]);
  client.on('error', () => undefined);
  return client;
}

async function imapUser(address: string): Promise<void> {
  const idler = imapClient(address, true);
  const worker = imapClient(address, false);
  idler.on('exists', () => idleEvents++);
  if (!(await timed('imap login', async () => Promise.all([idler.connect(), worker.connect()])))) return;
  await idler.mailboxOpen('INBOX').catch(() => fail('imap idle select'));
  while (Date.now() < end) {
    await think();
    await timed('imap status', () => worker.status('INBOX', { messages: true, unseen: true }));
    await timed('imap fetch', async () => {
      const lock = await worker.getMailboxLock('INBOX');
      try {
        for await (const m of worker.fetch('1:*', { envelope: true, flags: true, uid: true })) void m;
        if ((worker.mailbox as any).exists > 0) await worker.messageFlagsAdd('1', ['\\Seen']);
      } finally {
        lock.release();
      }
    });
  }
  await Promise.all([idler.logout(), worker.logout()]).catch(() => undefined);
}

async function inboundStream(): Promise<void> {
  if (job.inboundPerSecond <= 0) return;
  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: job.mxPort, secure: false, pool: true, maxConnections: 4, tls: { rejectUnauthorized: false }, name: 'mail.doitac.vn' } as any);
  const gap = 1000 / job.inboundPerSecond;
  const inFlight: Promise<unknown>[] = [];
  for (let n = 0; Date.now() < end; n++) {
    const to = job.users[(n * 31) % job.users.length]!;
    inFlight.push(timed('mx accept', () => mx.sendMail({ from: 'congvan@doitac.vn', to, subject: `Công văn đến số ${n}`, text: 'Kính gửi quý cơ quan.' })).then((r) => r && inbound++));
    await sleep(gap);
  }
  await Promise.all(inFlight);
  mx.close();
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

const imapUsers = Math.round(job.users.length * job.imapShare);
await Promise.all([
  ...job.users.map((u, i) => (i < imapUsers ? imapUser(u) : new WebUser(u).run(job.users[(i + 1) % job.users.length]!))),
  inboundStream(),
]);
const actions: Record<string, { n: number; p50: number; p95: number; p99: number }> = {};
for (const [action, list] of samples) {
  const sorted = list.sort((a, b) => a - b);
  actions[action] = { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}
const cpu = process.cpuUsage();
process.stdout.write(JSON.stringify({ actions, errors: Object.fromEntries(errors), sent, inbound, idleEvents, cpuSeconds: (cpu.user + cpu.system) / 1e6 }) + '\n');
process.exit(0);
