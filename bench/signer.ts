/**
 * npm run bench:signer — the signer's hot paths next to the raw cryptography they are built on,
 * each baseline measured in the same run:
 *   1. CMS detached signatures/s (signCms, 4 KiB content) vs node:crypto sign/s of the same key;
 *   2. RFC 5280 path validations/s (root → intermediate → leaf) vs node:crypto verify/s;
 *   3. OCSP responses/s over HTTP (fresh signature per request: nonce) vs GET /pki/ca/issuing.crt;
 *   4. RFC 3161 time-stamp tokens/s: POST /pki/tsa over HTTP and the in-process localTimestamper;
 *   5. same-named mazes (issue #14): time per answer of validatePath next to `openssl verify` on the
 *      same files, openssl spawned once per answer (its process start is included in its figure).
 * Every measurement runs a, b, a, b for a fixed duration and the best round is reported.
 * Figures only: nothing here asserts a timing. A broken setup (invalid path, failed OCSP) exits non-zero.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as pkijs from 'pkijs';
import Fastify from 'fastify';
import { signCms, loadCertificate } from '../signer/cms/index.js';
import { validatePath, type PathValidationInput } from '../signer/pathvalidation/index.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../core/embedded-postgres.js';
import { serviceIdentity } from '../core/privileges.js';
import { connect, migrate, type Sequelize } from '../core/db.js';
import { loadKek } from '../core/kek.js';
import { allMigrations } from '../cli/migrations.js';
import { activeIssuingCa, caChain, getProfile, initCa, issueCertificate, localTimestamper, parseSubject, parseTimeStampResp, pem, pkiRoutes, toDer } from '../signer/index.js';
import { bestOf2, fmt, rate, ratio } from './measure.js';
import { CA_EXTS, LEAF_EXTS, certDer, cn, newKey, parse, rootCa, toPem, type Key } from '../test/support/pathvalidation-certs.js';

// Quiet the service logger (migrations, postgres) unless asked; it is created lazily, after this line.
process.env.GOVMAIL_LOG_LEVEL ??= 'warn';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const HTTP_SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 5);
const CONCURRENCY = 8;
const HTTP_CONCURRENCY = 32;
const CONTENT = new Uint8Array(randomBytes(4096));

const tmpDirs: string[] = [];
const tmp = (prefix: string) => {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
};
const openssl = (cwd: string, ...args: string[]) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
const pad = (s: string, n: number) => s.padEnd(n);

// ───────────────────────────── test PKI with the openssl CLI ─────────────────────────────

interface Pki {
  name: string;
  root: pkijs.Certificate;
  intermediate: pkijs.Certificate;
  leaf: pkijs.Certificate;
  leafKey: KeyObject;
  intermediatePublicKey: KeyObject;
  crls: pkijs.CertificateRevocationList[];
}

const REQ_CONF = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
`;
const INTER_EXT = `basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
`;
const LEAF_EXT = `basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = email:bench@bench.gov.vn
`;
const caConf = (dir: string) => `[ca]
default_ca = CA_default
[CA_default]
database = ${dir}/index.txt
crlnumber = ${dir}/crlnumber
default_md = sha256
default_crl_days = 30
crl_extensions = crl_ext
[crl_ext]
authorityKeyIdentifier = keyid:always
`;

function makePki(name: string, keyArgs: string[]): Pki {
  const dir = tmp(`govmail-bench-${name.toLowerCase()}-`);
  writeFileSync(path.join(dir, 'req.cnf'), REQ_CONF);
  writeFileSync(path.join(dir, 'inter.ext'), INTER_EXT);
  writeFileSync(path.join(dir, 'leaf.ext'), LEAF_EXT);
  for (const k of ['root', 'inter', 'leaf']) openssl(dir, 'genpkey', ...keyArgs, '-out', `${k}.key`);
  openssl(dir, 'req', '-x509', '-new', '-config', 'req.cnf', '-extensions', 'v3_root', '-key', 'root.key', '-subj', `/C=VN/O=GovMail Bench/CN=Bench Root ${name}`, '-days', '3650', '-sha256', '-out', 'root.pem');
  openssl(dir, 'req', '-new', '-config', 'req.cnf', '-key', 'inter.key', '-subj', `/C=VN/O=GovMail Bench/CN=Bench Intermediate ${name}`, '-out', 'inter.csr');
  openssl(dir, 'x509', '-req', '-in', 'inter.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-set_serial', '0x1001', '-days', '1825', '-sha256', '-extfile', 'inter.ext', '-out', 'inter.pem');
  openssl(dir, 'req', '-new', '-config', 'req.cnf', '-key', 'leaf.key', '-subj', `/C=VN/O=GovMail Bench/CN=Bench Leaf ${name}`, '-out', 'leaf.csr');
  openssl(dir, 'x509', '-req', '-in', 'leaf.csr', '-CA', 'inter.pem', '-CAkey', 'inter.key', '-set_serial', '0x2001', '-days', '365', '-sha256', '-extfile', 'leaf.ext', '-out', 'leaf.pem');
  // One CRL per CA (openssl ca -gencrl needs a tiny database each).
  const crls: pkijs.CertificateRevocationList[] = [];
  for (const ca of ['root', 'inter']) {
    const caDir = path.join(dir, `${ca}-db`);
    execFileSync('mkdir', ['-p', caDir]);
    writeFileSync(path.join(caDir, 'index.txt'), '');
    writeFileSync(path.join(caDir, 'crlnumber'), '01\n');
    writeFileSync(path.join(caDir, 'ca.cnf'), caConf(caDir));
    openssl(dir, 'ca', '-config', path.join(caDir, 'ca.cnf'), '-gencrl', '-keyfile', `${ca}.key`, '-cert', `${ca}.pem`, '-out', `${ca}.crl`);
    const text = readFileSync(path.join(dir, `${ca}.crl`), 'latin1');
    const bytes = Buffer.from(text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    crls.push(pkijs.CertificateRevocationList.fromBER(bytes));
  }
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  return {
    name,
    root: loadCertificate(read('root.pem')),
    intermediate: loadCertificate(read('inter.pem')),
    leaf: loadCertificate(read('leaf.pem')),
    leafKey: createPrivateKey(read('leaf.key')),
    intermediatePublicKey: createPublicKey(read('inter.pem')),
    crls,
  };
}

// ───────────────────────────── 1 + 2: CMS signing and path validation ─────────────────────────────

interface CryptoResult {
  name: string;
  raw: number;
  cms: number;
  cmsConc: number;
  verify: number;
  validate: number;
  validateCrl: number;
}

async function benchCrypto(p: Pki): Promise<CryptoResult> {
  const chain = [p.intermediate, p.root];
  const cms = () => signCms({ content: CONTENT, detached: true, certificate: p.leaf, privateKey: p.leafKey, chain, hash: 'SHA-256' });
  // Sanity: the CMS output parses.
  const first = await cms();
  pkijs.ContentInfo.fromBER(new Uint8Array(first));

  const sign = await bestOf2(`sign ${p.name}`, {
    raw: () => rate(SECONDS, 1, () => nodeSign('sha256', CONTENT, p.leafKey)),
    cms: () => rate(SECONDS, 1, cms),
    [`cms×${CONCURRENCY}`]: () => rate(SECONDS, CONCURRENCY, cms),
  } as Record<string, () => Promise<number>>);

  const base: PathValidationInput = { leaf: p.leaf, trustAnchors: [p.root], untrusted: [p.intermediate], at: new Date() };
  const noRev: PathValidationInput = { ...base, checkRevocation: false };
  const withCrl: PathValidationInput = { ...base, crls: p.crls, checkRevocation: true };
  for (const [label, input] of [['checkRevocation: false', noRev], ['with CRLs', withCrl]] as const) {
    const r = await validatePath(input);
    if (r.status !== 'valid') {
      console.error(`validatePath ${p.name} (${label}) is not valid: ${r.status} ${r.code}: ${r.message}`);
      process.exitCode = 1;
      throw new Error('broken path validation setup');
    }
  }
  const tbs = p.leaf.tbsView;
  const sig = p.leaf.signatureValue.valueBlock.valueHexView;
  if (!nodeVerify('sha256', tbs, p.intermediatePublicKey, sig)) throw new Error(`raw verify of the ${p.name} leaf signature failed`);
  const val = await bestOf2(`path ${p.name}`, {
    'raw verify': () => rate(SECONDS, 1, () => nodeVerify('sha256', tbs, p.intermediatePublicKey, sig)),
    validate: () => rate(SECONDS, 1, () => validatePath(noRev)),
    'validate+CRL': () => rate(SECONDS, 1, () => validatePath(withCrl)),
  });
  return { name: p.name, raw: sign.raw!, cms: sign.cms!, cmsConc: sign[`cms×${CONCURRENCY}`]!, verify: val['raw verify'], validate: val.validate, validateCrl: val['validate+CRL'] };
}

// ───────────────────────────── 5: same-named mazes ─────────────────────────────

interface MazeResult {
  name: string;
  oursMs: number;
  /** the same inputs parsed once: the validation alone */
  validateMs: number;
  ours: string;
  checks: number;
  opensslMs: number;
  openssl: string;
}

/** `count` CAs all named "Maze CA" without key identifiers; `real` of them form a path to the root. */
function makeMaze(count: number, real: number): { root: Buffer; pool: Buffer[]; leaf: Buffer } {
  const root = rootCa('Maze Root');
  const name = cn('Maze CA');
  const keys: Key[] = Array.from({ length: count }, () => newKey());
  const stray = newKey();
  const pool = keys.map((key, i) => {
    // keys[0] signs the leaf; keys[i+1] signs keys[i]; the last real one is signed by the root.
    const top = real > 0 && i === real - 1;
    return certDer({ subject: name, issuer: top ? root.name : name, key, signer: top ? root.key : (keys[i + 1] ?? stray), exts: CA_EXTS() });
  });
  const leaf = certDer({ subject: cn('Leaf'), issuer: name, key: newKey(), signer: keys[0]!, exts: LEAF_EXTS });
  return { root: root.der, pool: real > 0 ? [...pool.slice(real), ...pool.slice(0, real).reverse()] : pool, leaf };
}

async function benchMaze(name: string, count: number, real: number, runs = 10): Promise<MazeResult> {
  const m = makeMaze(count, real);
  const dir = tmp('govmail-maze-');
  writeFileSync(path.join(dir, 'root.pem'), toPem(m.root));
  writeFileSync(path.join(dir, 'pool.pem'), m.pool.map(toPem).join(''));
  writeFileSync(path.join(dir, 'leaf.pem'), toPem(m.leaf));
  const input: PathValidationInput = { leaf: parse(m.leaf), trustAnchors: [parse(m.root)], untrusted: m.pool.map(parse), checkRevocation: false };
  let ours = '';
  let checks = 0;
  let t0 = performance.now();
  for (let i = 0; i < runs; i++) {
    // Fresh pkijs objects each time: nothing decoded or verified is carried over between answers.
    const r = await validatePath({ ...input, leaf: parse(m.leaf), untrusted: m.pool.map(parse) });
    ours = `${r.status} ${r.code}`;
    checks = r.signatureChecks ?? 0;
  }
  const oursMs = (performance.now() - t0) / runs;
  t0 = performance.now();
  for (let i = 0; i < runs; i++) await validatePath(input);
  const validateMs = (performance.now() - t0) / runs;
  let openssl = '';
  t0 = performance.now();
  for (let i = 0; i < runs; i++) {
    const r = spawnSync('openssl', ['verify', '-CAfile', 'root.pem', '-untrusted', 'pool.pem', 'leaf.pem'], { cwd: dir, encoding: 'utf8' });
    openssl = r.status === 0 ? 'OK' : (`${r.stdout}${r.stderr}`.match(/error \d+ at \d+ depth lookup: [^\n]*/)?.[0] ?? `exit ${r.status}`);
  }
  return { name, oursMs, validateMs, ours, checks, opensslMs: (performance.now() - t0) / runs, openssl };
}

// ───────────────────────────── 3: OCSP over HTTP ─────────────────────────────

async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * The HTTP load runs in a worker thread (undici, keep-alive, N in flight) so the client does not share
 * the server's event loop; only the server's work is on the main thread.
 */
const LOAD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
const { url, method, body, contentType, seconds, inFlight } = workerData;
const payload = body ? Buffer.from(body) : undefined;
const headers = contentType ? { 'content-type': contentType } : {};
let send, close;
try {
  const { Agent, request } = createRequire(workerData.base)('undici');
  const dispatcher = new Agent({ connections: inFlight, pipelining: 1, keepAliveTimeout: 30000 });
  send = async () => { const res = await request(url, { method, body: payload, headers, dispatcher }); await res.body.arrayBuffer(); return res.statusCode; };
  close = () => dispatcher.close();
} catch {
  // No undici: node:http with a keep-alive agent.
  const http = require('node:http');
  const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
  send = () => new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); res.on('error', reject); });
    req.on('error', reject);
    req.end(payload);
  });
  close = async () => agent.destroy();
}
(async () => {
  let count = 0, errors = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < end) {
      try {
        if ((await send()) === 200) count++; else errors++;
      } catch { errors++; }
    }
  }));
  const elapsed = (performance.now() - start) / 1000;
  await close();
  parentPort.postMessage({ rate: count / elapsed, errors });
})().catch((e) => { parentPort.postMessage({ rate: 0, errors: -1, message: String(e && e.stack || e) }); });
`;

function httpLoad(url: string, method: 'GET' | 'POST', body?: Uint8Array, contentType?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(LOAD_WORKER, {
      eval: true,
      workerData: { base: import.meta.url, url, method, body, contentType, seconds: HTTP_SECONDS, inFlight: HTTP_CONCURRENCY },
    });
    w.once('message', (m: { rate: number; errors: number; message?: string }) => {
      if (m.errors < 0) reject(new Error(`load worker failed: ${m.message}`));
      else {
        if (m.errors) console.log(`  (${m.errors} failed requests to ${url})`);
        resolve(m.rate);
      }
      void w.terminate();
    });
    w.once('error', reject);
  });
}

async function benchOcsp(): Promise<{ ocsp: number; baseline: number; tsaHttp: number; tsaLocal: number }> {
  const pgDir = tmp('govmail-bench-pg-');
  const dataDir = tmp('govmail-bench-data-');
  let pg: EmbeddedPostgres | undefined;
  let db: Sequelize | undefined;
  const app = Fastify({ logger: false });
  try {
    pg = await startEmbeddedPostgres(pgDir, await freePort(), serviceIdentity('govmail'));
    db = connect(pg.url);
    await migrate(db, allMigrations());
    const kek = loadKek(dataDir, {});
    const port = await freePort();
    const pkiUrl = `http://127.0.0.1:${port}/pki`;
    await initCa(db, kek, { organization: 'UBND tỉnh Bench', algorithm: 'p-256', pkiUrl, actor: 'bench' });
    const profile = getProfile('individual');
    const issued = await issueCertificate(db, kek, {
      profile,
      subject: parseSubject({ commonName: 'Bench', cccd: '001090000001' }, profile),
      key: { kind: 'p12', password: 'benchpass1', algorithm: 'p-256' },
      pkiUrl,
      actor: 'bench',
    });
    const [issuingCert] = await caChain(db, await activeIssuingCa(db));
    writeFileSync(path.join(dataDir, 'issuing.pem'), pem('CERTIFICATE', toDer(issuingCert!)));
    writeFileSync(path.join(dataDir, 'leaf.pem'), issued.certificatePem);
    // With a nonce (openssl's default): the responder has to sign every answer afresh.
    openssl(dataDir, 'ocsp', '-issuer', 'issuing.pem', '-cert', 'leaf.pem', '-reqout', 'req.der');
    const reqDer = new Uint8Array(readFileSync(path.join(dataDir, 'req.der')));

    await app.register(pkiRoutes, { db, kek, pkiUrl });
    await app.listen({ host: '127.0.0.1', port });

    const ocspUrl = `${pkiUrl}/ocsp`;
    const caUrl = `${pkiUrl}/ca/issuing.crt`;
    const first = await fetch(ocspUrl, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: reqDer });
    const resp = pkijs.OCSPResponse.fromBER(new Uint8Array(await first.arrayBuffer()));
    const status = resp.responseStatus.valueBlock.valueDec;
    if (first.status !== 200 || status !== 0) {
      process.exitCode = 1;
      throw new Error(`the first OCSP answer is not successful: HTTP ${first.status}, responseStatus ${status}`);
    }
    const ca = await fetch(caUrl);
    if (ca.status !== 200) throw new Error(`GET ${caUrl}: HTTP ${ca.status}`);
    await ca.arrayBuffer();

    console.log(`  OCSP: P-256 responder, request with nonce, ${HTTP_CONCURRENCY} in flight over keep-alive, ${HTTP_SECONDS} s each (client in a worker thread)`);
    const r = await bestOf2('http', {
      'GET ca cert': () => httpLoad(caUrl, 'GET'),
      'POST ocsp': () => httpLoad(ocspUrl, 'POST', reqDer, 'application/ocsp-request'),
    });

    // RFC 3161: every token is a fresh TSTInfo (serial, genTime) and a fresh P-256 signature.
    openssl(dataDir, 'ts', '-query', '-data', 'leaf.pem', '-sha256', '-cert', '-out', 'req.tsq');
    const tsq = new Uint8Array(readFileSync(path.join(dataDir, 'req.tsq')));
    const tsaUrl = `${pkiUrl}/tsa`;
    const tsaFirst = await fetch(tsaUrl, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: tsq });
    const tsaStatus = parseTimeStampResp(Buffer.from(await tsaFirst.arrayBuffer())).status;
    if (tsaFirst.status !== 200 || tsaStatus !== 0) {
      process.exitCode = 1;
      throw new Error(`the first TSA answer is not granted: HTTP ${tsaFirst.status}, PKIStatus ${tsaStatus}`);
    }
    const stamp = localTimestamper(db, kek, { pkiUrl });
    const digest = Buffer.from(CONTENT.subarray(0, 32));
    await stamp(digest, 'sha256');
    console.log(`  TSA: P-256 key, SHA-256 imprint with nonce and certReq; HTTP ${HTTP_CONCURRENCY} in flight (worker thread), local ${CONCURRENCY} in flight`);
    const t = await bestOf2('tsa', {
      'POST tsa': () => httpLoad(tsaUrl, 'POST', tsq, 'application/timestamp-query'),
      local: () => rate(SECONDS, CONCURRENCY, () => stamp(digest, 'sha256')),
    });
    return { ocsp: r['POST ocsp'], baseline: r['GET ca cert'], tsaHttp: t['POST tsa'], tsaLocal: t.local };
  } finally {
    await app.close().catch(() => undefined);
    await db?.close().catch(() => undefined);
    await pg?.stop();
  }
}

// ───────────────────────────── main ─────────────────────────────

const cpus = os.cpus();
console.log(`GovMail bench:signer — ${cpus.length} cores (${cpus[0]?.model.trim() ?? '?'}), Node ${process.version}, ${process.platform}/${process.arch}`);
console.log(`  ${SECONDS} s per crypto measurement, best of 2 rounds (a, b, a, b); content ${CONTENT.length} bytes`);

try {
  const pkis = [makePki('RSA-2048', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']), makePki('P-256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'])];
  const crypto: CryptoResult[] = [];
  for (const p of pkis) crypto.push(await benchCrypto(p));
  const mazes = [
    await benchMaze('maze 60, no path', 60, 0),
    await benchMaze('maze 30 + path of 3', 30, 3),
  ];
  const { ocsp, baseline, tsaHttp, tsaLocal } = await benchOcsp();

  const L = 27;
  console.log('');
  for (const c of crypto) {
    console.log(`${pad(`cms sign ${c.name}`, L)}: ${fmt(c.cms).padStart(6)}/s   raw node:crypto ${fmt(c.raw).padStart(6)}/s   ratio ${ratio(c.cms / c.raw)} (target ≥ 0.8)`);
    console.log(`${pad(`cms sign ${c.name} ×${CONCURRENCY}`, L)}: ${fmt(c.cmsConc).padStart(6)}/s   raw node:crypto ${fmt(c.raw).padStart(6)}/s   ratio ${ratio(c.cmsConc / c.raw)}`);
  }
  for (const c of crypto) {
    console.log(`${pad(`path validate ${c.name}`, L)}: ${fmt(c.validate).padStart(6)}/s   raw verify ${fmt(c.verify).padStart(6)}/s ÷ 2 = ${fmt(c.verify / 2).padStart(6)}/s   ratio ${ratio(c.validate / (c.verify / 2))}`);
    console.log(`${pad(`path validate ${c.name} +CRL`, L)}: ${fmt(c.validateCrl).padStart(6)}/s   raw verify ${fmt(c.verify).padStart(6)}/s ÷ 4 = ${fmt(c.verify / 4).padStart(6)}/s   ratio ${ratio(c.validateCrl / (c.verify / 4))}`);
  }
  for (const m of mazes) {
    console.log(`${pad(m.name, L)}: ${m.oursMs.toFixed(1).padStart(6)} ms/answer from DER (${m.validateMs.toFixed(1)} ms parsed once; ${m.ours}, ${m.checks} signature checks)   openssl verify ${m.opensslMs.toFixed(1)} ms/answer incl. process start (${m.openssl})`);
  }
  console.log(`${pad('ocsp over HTTP', L)}: ${fmt(ocsp).padStart(6)}/s   (target ≥ 2000/s)   baseline GET ca cert ${fmt(baseline)}/s   ratio ${ratio(ocsp / baseline)}`);
  console.log(`${pad('tsa tokens over HTTP', L)}: ${fmt(tsaHttp).padStart(6)}/s   baseline GET ca cert ${fmt(baseline)}/s   ratio ${ratio(tsaHttp / baseline)}`);
  console.log(`${pad('tsa tokens in-process', L)}: ${fmt(tsaLocal).padStart(6)}/s   (localTimestamper, P-256)`);
} catch (e) {
  console.error(e);
  process.exitCode ||= 1;
} finally {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
}
process.exit(process.exitCode ?? 0);
