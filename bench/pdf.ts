/**
 * npm run bench:pdf — PAdES on a 20-page PDF with a server-held key of our own CA:
 *   sign at B-B, sign at B-T (our TSA in-process, localTimestamper), verify the B-T document
 *   (verifyPdf with our chain validator: CMS, chain + CRL, time-stamp), in documents/s,
 * each next to the CMS signing rate of the same key (signCms, 4 KiB detached, as bench:signer)
 * measured in the same run. Every measurement runs a, b, c, d, a, b, c, d for a fixed duration;
 * the best of the two rounds is reported. Figures only: a broken signature exits non-zero.
 *
 * BENCH_SECONDS (default 2) per measurement; BENCH_ALGORITHMS (default rsa-2048,p-256).
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as pkijs from 'pkijs';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../core/embedded-postgres.js';
import { serviceIdentity } from '../core/privileges.js';
import { connect, migrate, type Sequelize } from '../core/db.js';
import { loadKek } from '../core/kek.js';
import { allMigrations } from '../cli/migrations.js';
import {
  activeIssuingCa, caChain, chainValidator, getProfile, initCa, issueCertificate, localTimestamper, ourTrust, parseKeyAlgorithm, parseSubject, signCms, signPdf,
  unlockServerKey, verifyPdf, type KeyAlgorithm, type PdfVerifyResult, type Timestamper,
} from '../signer/index.js';
import { makeTestPdf } from '../test/support/pdf-fixtures.js';
import { bestOf2, fmt, rate, ratio } from './measure.js';
import { freePort } from '../test/support/postgres.js';

process.env.GOVMAIL_LOG_LEVEL ??= 'warn';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ALGORITHMS: KeyAlgorithm[] = (process.env.BENCH_ALGORITHMS ?? 'rsa-2048,p-256').split(',').map((a) => parseKeyAlgorithm(a.trim()));
const PAGES = 20;
const CMS_CONTENT = new Uint8Array(randomBytes(4096));
const PIN = '24681357';


function checkVerified(r: PdfVerifyResult, what: string): void {
  const s = r.signatures[0];
  const ok = r.signatures.length === 1 && s && s.intact && s.byteRangeValid && s.cms?.indication === 'TOTAL-PASSED' && s.timestamp?.imprintMatches && s.timestamp.tokenIntact;
  if (!ok) {
    process.exitCode = 1;
    throw new Error(`${what}: the signed PDF does not verify: ${JSON.stringify({ intact: s?.intact, byteRange: s?.byteRangeProblem, cms: s?.cms?.indication, sub: s?.cms?.subIndication, timestamp: s?.timestamp && { imprint: s.timestamp.imprintMatches, intact: s.timestamp.tokenIntact } })}`);
  }
}

interface Row {
  algorithm: KeyAlgorithm;
  cms: number;
  bb: number;
  bt: number;
  verify: number;
  bbBytes: number;
  btBytes: number;
}

async function benchAlgorithm(db: Sequelize, kek: ReturnType<typeof loadKek>, pkiUrl: string, pdf: Uint8Array, timestamper: Timestamper, algorithm: KeyAlgorithm): Promise<Row> {
  const profile = getProfile('individual');
  const subject = parseSubject({ commonName: `Bench ${algorithm}`, organization: 'Sở Tư pháp', email: `bench.${algorithm}@bench.gov.vn`, cccd: '001090000001' }, profile);
  const issued = await issueCertificate(db, kek, { profile, subject, key: { kind: 'server', pin: PIN, algorithm }, pkiUrl, actor: 'bench' });
  const { key, certificate } = await unlockServerKey(db, kek, issued.serial, PIN, 'bench');
  const chain: pkijs.Certificate[] = await caChain(db, await activeIssuingCa(db));
  const privateKey: KeyObject = key;

  const cms = () => signCms({ content: CMS_CONTENT, detached: true, certificate, privateKey, chain, hash: 'SHA-256' });
  const bb = () => signPdf({ pdf, certificate, privateKey, chain, level: 'B-B', reason: 'Phê duyệt' });
  const bt = () => signPdf({ pdf, certificate, privateKey, chain, level: 'B-T', timestamper, reason: 'Phê duyệt' });
  const validateChain = chainValidator(await ourTrust(db, kek));
  const signedBt = (await bt()).pdf;
  const signedBb = (await bb()).pdf;
  const verify = () => verifyPdf(signedBt, { validateChain });
  checkVerified(await verify(), `${algorithm} B-T`);
  await cms();

  const once = (op: () => Promise<unknown>) => () => rate(SECONDS, 1, op);
  const r = await bestOf2(algorithm, { cms: once(cms), 'pdf B-B': once(bb), 'pdf B-T': once(bt), 'verify B-T': once(verify) });
  return { algorithm, cms: r.cms, bb: r['pdf B-B'], bt: r['pdf B-T'], verify: r['verify B-T'], bbBytes: signedBb.length - pdf.length, btBytes: signedBt.length - pdf.length };
}

const cpus = os.cpus();
console.log(`GovMail bench:pdf — ${cpus.length} cores (${cpus[0]?.model.trim() ?? '?'}), Node ${process.version}, ${process.platform}/${process.arch}`);

const tmp: string[] = [];
const dir = (prefix: string) => {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  tmp.push(d);
  return d;
};
let pg: EmbeddedPostgres | undefined;
let db: Sequelize | undefined;
try {
  pg = await startEmbeddedPostgres(dir('govmail-bench-pdf-pg-'), await freePort(), serviceIdentity('govmail'));
  db = connect(pg.url);
  await migrate(db, allMigrations());
  const dataDir = dir('govmail-bench-pdf-data-');
  const kek = loadKek(dataDir, {});
  const pkiUrl = 'http://127.0.0.1:8080/pki';
  await initCa(db, kek, { organization: 'UBND tỉnh Bench', algorithm: 'p-256', pkiUrl, actor: 'bench' });
  const pdf = await makeTestPdf({ pages: PAGES });
  const timestamper = localTimestamper(db, kek, { pkiUrl, dataDir });
  console.log(`  ${PAGES}-page PDF of ${(pdf.length / 1024).toFixed(0)} KB (embedded DejaVu Sans); CA and TSA P-256; server-held signing keys`);
  console.log(`  ${SECONDS} s per measurement, one at a time, best of 2 rounds (a, b, c, d, a, b, c, d); CMS: ${CMS_CONTENT.length} bytes detached`);

  const rows: Row[] = [];
  for (const a of ALGORITHMS) rows.push(await benchAlgorithm(db, kek, pkiUrl, pdf, timestamper, a));

  console.log('');
  for (const r of rows) {
    const line = (what: string, n: number) => `${`${what} ${r.algorithm}`.padEnd(22)}: ${fmt(n).padStart(6)} documents/s   cms sign ${fmt(r.cms).padStart(6)}/s   ratio ${ratio(n / r.cms)}`;
    console.log(line('pdf sign B-B', r.bb) + `   (+${(r.bbBytes / 1024).toFixed(1)} KB)`);
    console.log(line('pdf sign B-T', r.bt) + `   (+${(r.btBytes / 1024).toFixed(1)} KB)`);
    console.log(line('pdf verify B-T', r.verify));
  }
} catch (e) {
  console.error(e);
  process.exitCode ||= 1;
} finally {
  await db?.close().catch(() => undefined);
  await pg?.stop();
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
}
process.exit(process.exitCode ?? 0);
