/**
 * npx tsx bench/webmail-render.ts — how fast webmail/server/render.ts renders messages: the 281 messages
 * of the hostile-mail corpus (small, attack-dense), then one large newsletter-style HTML message. Prints
 * messages per second; a figure, not a test. BENCH_ROUNDS sets how many passes over the corpus (default 5).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderMessage, type RenderOptions } from '../webmail/server/render.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIR = [process.env.HOSTILE_MAIL_DIR, path.resolve(repoRoot, '../shared/testdata/hostile-mail'), '/work/shared/testdata/hostile-mail'].find(
  (d): d is string => Boolean(d) && existsSync(path.join(d!, 'index.json')),
);
if (!DIR) throw new Error('hostile-mail corpus not found (set HOSTILE_MAIL_DIR)');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const opts: RenderOptions = {
  allowRemote: false,
  imageProxyUrl: (u) => `/webmail/api/proxy?u=${encodeURIComponent(u)}&sig=x`,
  partUrl: (p) => `/webmail/api/messages/INBOX/1/parts/${p}?sig=x`,
  localDomains: ['example.gov.vn'],
  origin: 'https://mail.example.gov.vn',
};

async function measure(label: string, messages: Buffer[], rounds: number): Promise<void> {
  for (const m of messages.slice(0, 20)) await renderMessage(m, opts); // warm-up: JIT, jsdom, DOMPurify
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const m of messages) await renderMessage(m, opts);
  const seconds = (performance.now() - t0) / 1000;
  const count = messages.length * rounds;
  const kb = messages.reduce((n, m) => n + m.length, 0) / messages.length / 1024;
  console.log(`${label}: ${count} renders in ${seconds.toFixed(2)} s = ${(count / seconds).toFixed(0)} messages/s (${(seconds / count * 1000).toFixed(2)} ms each, ${kb.toFixed(1)} KB average)`);
}

function newsletter(): Buffer {
  const rows = Array.from({ length: 400 }, (_, i) =>
    `<tr><td style="padding:4px 8px;border-bottom:1px solid #ddd;color:#333">Văn bản số ${i}/UBND-VP</td>` +
    `<td style="font-family:'Times New Roman',serif"><a href="https://vanban.example.gov.vn/vb/${i}">Xem chi tiết</a></td>` +
    `<td><img src="https://cdn.example.com/icon-${i % 7}.png" width="16" height="16" alt=""></td></tr>`).join('\n');
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8"><style>
    @media (max-width:600px){td{display:block}} .hdr{background:linear-gradient(#0a4,#063);color:#fff;padding:12px}
  </style></head><body><div class="hdr"><h1>Bản tin điều hành tuần</h1></div><table width="100%" cellpadding="0">${rows}</table></body></html>`;
  return Buffer.from(
    'From: "Văn phòng UBND" <vanphong@example.gov.vn>\r\nTo: victim@example.gov.vn\r\nSubject: Ban tin\r\n' +
      'MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
      Buffer.from(html).toString('base64').replace(/.{76}/g, '$&\r\n') + '\r\n',
  );
}

console.log(`GovMail bench:webmail-render — ${os.cpus().length} cores, Node ${process.version}`);
const corpus = readdirSync(DIR).filter((f) => f.endsWith('.eml')).sort().map((f) => readFileSync(path.join(DIR, f)));
await measure(`hostile-mail corpus (${corpus.length} messages × ${ROUNDS})`, corpus, ROUNDS);
await measure('newsletter, 400-row table', [newsletter()], 50);
