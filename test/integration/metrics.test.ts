import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import type { FastifyInstance } from 'fastify';
import { startSmtpEnv, type SmtpEnv } from '../support/mailenv.js';
import { startSink, type Sink } from '../support/smtp-sink.js';
import { addDomain, addMailbox } from '../../admin/index.js';
import { buildHttpApp } from '../../cli/http.js';

const D = 'sokhdt.test.gov.vn';
const PW = 'mat-khau-hop-thu-2026';
const TOKEN = 'ma-doc-so-lieu-0123456789abcdef';

/** The value of one sample line of the text format, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('metrics — /metrics in the Prometheus text format, checked by promtool', function () {
  this.timeout(90_000);
  let env: SmtpEnv;
  let sink: Sink;
  let app: FastifyInstance;

  before(async () => {
    sink = await startSink();
    env = await startSmtpEnv(sink.url, { pollMs: 100, retryBaseSeconds: 1 }, { metricsToken: TOKEN });
    await addDomain(env.db, D);
    await addMailbox(env.db, { address: `chuyenvien@${D}`, displayName: 'Chuyên viên', password: PW }, { defaultQuota: '1G' });
    app = await buildHttpApp(env.config, env.db, { dovecotHealth: () => env.dovecot.health() });
    await app.ready();
  });
  after(async () => {
    await app?.close();
    await env?.stop();
    await sink?.close();
  });

  it('counts what the MX took and refused, IMAP logins, HTTP requests, the queue; promtool finds the text valid', async () => {
    const mx = nodemailer.createTransport({ host: '127.0.0.1', port: env.config.smtpPort, secure: false, tls: { rejectUnauthorized: false }, name: 'mail.doitac.vn' } as any);
    await mx.sendMail({ from: 'doitac@doitac.vn', to: `chuyenvien@${D}`, subject: 'Công văn', text: 'Kính gửi.' });
    await assert.rejects(mx.sendMail({ from: 'doitac@doitac.vn', to: `khongco@${D}`, subject: 'x', text: 'x' }));
    const imap = new ImapFlow({ host: '127.0.0.1', port: env.dovecot.imap.port, secure: false, doSTARTTLS: true, tls: { rejectUnauthorized: false }, auth: { user: `chuyenvien@${D}`, pass: PW }, logger: false } as any);
    await imap.connect();
    await imap.logout();
    await app.inject({ method: 'GET', url: '/healthz' });

    let text = '';
    for (let tries = 0; tries < 50; tries++) {
      const res = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' });
      assert.equal(res.statusCode, 200);
      text = res.body;
      if ((sample(text, 'govmail_mail_logins_total', { protocol: 'imap', outcome: 'ok' }) ?? 0) >= 1) break;
      await new Promise((r) => setTimeout(r, 100)); // Dovecot's log line arrives a moment after the login
    }
    execFileSync('promtool', ['check', 'metrics'], { input: text });
    assert.ok(sample(text, 'govmail_smtp_messages_total', { server: 'mx', outcome: 'accepted' })! >= 1);
    assert.ok(sample(text, 'govmail_smtp_refusals_total', { server: 'mx', stage: 'rcpt', status: '5.1.1' })! >= 1);
    assert.ok(sample(text, 'govmail_lmtp_delivery_seconds_count')! >= 1);
    assert.ok(sample(text, 'govmail_mail_logins_total', { protocol: 'imap', outcome: 'ok' })! >= 1);
    assert.ok(sample(text, 'govmail_http_requests_total', { route: '/healthz', status: '200' })! >= 1);
    assert.equal(sample(text, 'govmail_queue_messages', { state: 'deferred' }), 0);
    assert.equal(sample(text, 'govmail_queue_oldest_age_seconds'), 0);
    assert.ok(sample(text, 'govmail_process_cpu_seconds_total')! > 0);

    // The Grafana dashboard in docs/: promtool parses every panel's PromQL (as recording rules), and
    // every metric it names is one that /metrics really serves.
    const dashboard = JSON.parse(readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8'));
    const exprs: string[] = dashboard.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr));
    assert.ok(exprs.length >= 10);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gm-dash-'));
    try {
      const rules = ['groups:', '  - name: dashboard', '    rules:', ...exprs.flatMap((e, i) => [`      - record: govmail:panel_${i}`, `        expr: ${JSON.stringify(e)}`])].join('\n');
      writeFileSync(path.join(dir, 'rules.yml'), rules + '\n');
      execFileSync('promtool', ['check', 'rules', path.join(dir, 'rules.yml')], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const served = new Set(text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]));
    const named = new Set(exprs.flatMap((e) => e.match(/govmail_[a-z_]+/g) ?? []).map((n) => n.replace(/_(bucket|count|sum)$/, '')));
    assert.deepEqual([...named].filter((n) => !served.has(n)), [], 'metrics the dashboard names that /metrics does not serve');
  });

  it('answers only to metricsAllow networks or the bearer token', async () => {
    const outside = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '192.0.2.7' });
    assert.equal(outside.statusCode, 403);
    assert.match(outside.body, /metricsAllow/);
    const wrong = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '192.0.2.7', headers: { authorization: 'Bearer sai' } });
    assert.equal(wrong.statusCode, 403);
    const withToken = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '192.0.2.7', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(withToken.statusCode, 200);
  });
});
