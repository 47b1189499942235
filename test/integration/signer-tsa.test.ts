import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import { QueryTypes, type Sequelize } from 'sequelize';
import { allMigrations } from '../../cli/migrations.js';
import { unseal, loadKek, type Kek } from '../../core/kek.js';
import {
  TimeStampAuthority, TsaBadResponseError, TsaRejectedError, TsaUnavailableError, activeIssuingCa, caChain, ensureTsaSigner, initCa, localTimestamper,
  parseTimeStampResp, pem, pkiRoutes, readToken, remoteTimestamper, revokeCertificate, serialHex, toDer, type KeyAlgorithm,
} from '../../signer/index.js';
import { encodeSequence, encodeTlv } from '../../signer/pathvalidation/der.js';
import { freePort, freshDatabase } from '../support/postgres.js';

const openssl = (args: string[], input?: Buffer) => {
  const r = spawnSync('openssl', args, { encoding: 'utf8', input });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
};

/** One CA (of the given algorithm), its /pki routes on a free port, and files for openssl. */
async function setUp(algorithm: KeyAlgorithm) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'signer-tsa-'));
  const { db } = await freshDatabase(allMigrations());
  const kek = loadKek(dir, {});
  const port = await freePort();
  const pkiUrl = `http://127.0.0.1:${port}/pki`;
  const app = Fastify();
  await app.register(pkiRoutes, { db, kek, pkiUrl });
  await app.listen({ host: '127.0.0.1', port });
  await initCa(db, kek, { organization: 'UBND tỉnh Bắc Ninh', province: 'Bắc Ninh', algorithm, pkiUrl, actor: 'test' });
  const chain = await caChain(db, await activeIssuingCa(db));
  const f = (name: string) => path.join(dir, name);
  writeFileSync(f('chain.pem'), chain.map((c) => pem('CERTIFICATE', toDer(c))).join(''));
  writeFileSync(f('data.txt'), `Công văn số 123/UBND — ${algorithm}\n`);
  writeFileSync(f('other.txt'), `Công văn số 124/UBND — ${algorithm}\n`);
  const post = async (body: Uint8Array, type = 'application/timestamp-query') => {
    const res = await fetch(`${pkiUrl}/tsa`, { method: 'POST', headers: { 'content-type': type }, body: new Uint8Array(body) });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) };
  };
  /** openssl ts -query with the given options → POST → the reply file's path. */
  const stampFile = async (name: string, queryArgs: string[]) => {
    const q = openssl(['ts', '-query', '-data', f('data.txt'), ...queryArgs, '-out', f(`${name}.tsq`)]);
    assert.equal(q.code, 0, q.out);
    const r = await post(readFileSync(f(`${name}.tsq`)));
    assert.equal(r.status, 200);
    assert.equal(r.type, 'application/timestamp-reply');
    writeFileSync(f(`${name}.tsr`), r.body);
    return f(`${name}.tsr`);
  };
  return { dir, db, kek, app, pkiUrl, f, post, stampFile };
}

describe('signer — RFC 3161 time-stamping authority (judged by openssl ts)', function () {
  this.timeout(120_000);
  let env: Awaited<ReturnType<typeof setUp>>;
  let db: Sequelize;
  let kek: Kek;
  let f: (name: string) => string;

  before(async () => {
    env = await setUp('p-256');
    ({ db, kek, f } = env);
  });
  after(async () => {
    await env?.app.close();
    await env?.db.close();
  });

  it('grants a SHA-256 request with -cert: openssl reads every field and verifies it; changed data fails', async () => {
    const reply = await env.stampFile('sha256', ['-sha256', '-cert']);
    const query = openssl(['ts', '-query', '-in', f('sha256.tsq'), '-text']).out;
    const text = openssl(['ts', '-reply', '-in', reply, '-text']);
    assert.equal(text.code, 0, text.out);
    assert.match(text.out, /Status: Granted\./);
    assert.match(text.out, /Version: 1/);
    assert.match(text.out, /Policy OID: 1\.3\.6\.1\.4\.1\.32473\.704\.2\.5/);
    assert.match(text.out, /Hash Algorithm: sha256/);
    // The imprint is echoed: the hex dump of "Message data" is the same in query and reply.
    const dump = (s: string) => s.match(/Message data:\n((?:\s+\d{4} - .*\n)+)/)![1];
    assert.equal(dump(text.out), dump(query));
    assert.equal(text.out.match(/Nonce: (0x[0-9A-F]+)/)![1], query.match(/Nonce: (0x[0-9A-F]+)/)![1]);
    assert.match(text.out, /Accuracy: 0x01 seconds, unspecified millis, unspecified micros/);
    assert.match(text.out, /Ordering: no/);
    // openssl prints non-ASCII as \x escapes: ỉ is E1 BB 89.
    assert.match(text.out, /TSA: DirName:\/C=VN\/.*\/CN=UBND t\\xE1\\xBB\\x89nh .* TSA\n/);
    const serial = text.out.match(/Serial number: 0x([0-9A-F]+)/)![1];
    assert.ok(serial.length >= 16, `serial of 64+ bits: ${serial}`);
    const time = new Date(text.out.match(/Time stamp: (.*)/)![1]!.replace(' GMT', 'Z'));
    assert.ok(Math.abs(time.getTime() - Date.now()) < 60_000, `genTime is now: ${time.toISOString()}`);

    const ok = openssl(['ts', '-verify', '-data', f('data.txt'), '-in', reply, '-CAfile', f('chain.pem')]);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /Verification: OK/);
    // Against the query itself: openssl then also compares the nonce.
    const byQuery = openssl(['ts', '-verify', '-queryfile', f('sha256.tsq'), '-in', reply, '-CAfile', f('chain.pem')]);
    assert.match(byQuery.out, /Verification: OK/, byQuery.out);
    assert.equal(openssl(['ts', '-query', '-data', f('data.txt'), '-sha256', '-cert', '-out', f('fresh.tsq')]).code, 0);
    const otherNonce = openssl(['ts', '-verify', '-queryfile', f('fresh.tsq'), '-in', reply, '-CAfile', f('chain.pem')]);
    assert.match(otherNonce.out, /Verification: FAILED[\s\S]*nonce mismatch/);
    const changed = openssl(['ts', '-verify', '-data', f('other.txt'), '-in', reply, '-CAfile', f('chain.pem')]);
    assert.notEqual(changed.code, 0);
    assert.match(changed.out, /Verification: FAILED/);
    assert.match(changed.out, /message imprint mismatch/);
  });

  it('writes the token openssl cms expects: id-ct-TSTInfo, version 3, exactly the three signed attributes, ECDSA for a P-256 CA', async () => {
    const reply = await env.stampFile('cms', ['-sha256', '-cert']);
    const out = openssl(['ts', '-reply', '-in', reply, '-token_out', '-out', f('cms.tok')]);
    assert.equal(out.code, 0, out.out);
    const cms = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', f('cms.tok')]).out;
    assert.match(cms, /eContentType: id-smime-ct-TSTInfo/);
    assert.match(cms, /version: 3/);
    const attrs = [...cms.matchAll(/object: ([\w-]+) \(/g)].map((m) => m[1]).sort();
    assert.deepEqual(attrs, ['contentType', 'id-smime-aa-signingCertificateV2', 'messageDigest']);
    assert.match(cms, /signatureAlgorithm:\s+algorithm: ecdsa-with-SHA256/);
    assert.equal((cms.match(/-----BEGIN CERTIFICATE-----|cert_info:/g) ?? []).length, 2, 'TSA and issuing CA certificates (no root)');
  });

  for (const hash of ['sha384', 'sha512'] as const) {
    it(`grants ${hash} without -cert: the token carries no certificate, so openssl needs -untrusted tsa.pem`, async () => {
      const identity = await ensureTsaSigner(db, kek, { pkiUrl: env.pkiUrl });
      writeFileSync(f('tsa.pem'), pem('CERTIFICATE', toDer(identity.certificate)));
      const reply = await env.stampFile(hash, [`-${hash}`]);
      assert.match(openssl(['ts', '-reply', '-in', reply, '-text']).out, new RegExp(`Hash Algorithm: ${hash}`));
      const ok = openssl(['ts', '-verify', '-data', f('data.txt'), '-in', reply, '-CAfile', f('chain.pem'), '-untrusted', f('tsa.pem')]);
      assert.equal(ok.code, 0, ok.out);
      assert.match(ok.out, /Verification: OK/);
      const noCert = openssl(['ts', '-verify', '-data', f('data.txt'), '-in', reply, '-CAfile', f('chain.pem')]);
      assert.notEqual(noCert.code, 0, 'without -untrusted there is no signer certificate to find');
      const changed = openssl(['ts', '-verify', '-data', f('other.txt'), '-in', reply, '-CAfile', f('chain.pem'), '-untrusted', f('tsa.pem')]);
      assert.match(changed.out, /Verification: FAILED/);
    });
  }

  it('without a nonce (-no_nonce) the token has none; two tokens never share a serial', async () => {
    const a = openssl(['ts', '-reply', '-in', await env.stampFile('nononce', ['-sha256', '-no_nonce', '-cert']), '-text']).out;
    assert.match(a, /Nonce: unspecified/);
    const b = openssl(['ts', '-reply', '-in', await env.stampFile('nonce2', ['-sha256', '-cert']), '-text']).out;
    assert.match(b, /Nonce: 0x[0-9A-F]+/);
    assert.notEqual(a.match(/Serial number: (\S+)/)![1], b.match(/Serial number: (\S+)/)![1]);
    const ok = openssl(['ts', '-verify', '-data', f('data.txt'), '-in', f('nononce.tsr'), '-CAfile', f('chain.pem')]);
    assert.match(ok.out, /Verification: OK/);
  });

  it('rejects garbage, MD5, SHA-1 and a foreign policy with the right PKIFailureInfo and a bilingual status text', async () => {
    const rejection = async (body: Uint8Array, name: string) => {
      const r = await env.post(body);
      assert.equal(r.status, 200);
      writeFileSync(f(`${name}.tsr`), r.body);
      const text = openssl(['ts', '-reply', '-in', f(`${name}.tsr`), '-text']);
      assert.equal(text.code, 0, text.out);
      assert.match(text.out, /Status: Rejected\./);
      assert.match(text.out, /TST info:\s*\nNot included\./);
      return text.out;
    };
    const garbageBody = Buffer.from('không phải yêu cầu / not a request');
    const garbage = await rejection(garbageBody, 'garbage');
    assert.match(garbage, /Failure info: the data submitted has the wrong format/i);
    assert.match(garbage, /\tthe request is not DER/);
    // openssl escapes the Vietnamese line; read the PKIFreeText ourselves: Vietnamese first, then English.
    const parsed = parseTimeStampResp((await env.post(garbageBody)).body);
    assert.equal(parsed.status, 2);
    assert.deepEqual(parsed.failures, ['badDataFormat']);
    assert.match(parsed.statusText[0]!, /^yêu cầu không ở dạng DER/);
    assert.match(parsed.statusText[1]!, /^the request is not DER/);

    for (const hash of ['md5', 'sha1']) {
      assert.equal(openssl(['ts', '-query', '-data', f('data.txt'), `-${hash}`, '-out', f(`${hash}.tsq`)]).code, 0);
      const out = await rejection(readFileSync(f(`${hash}.tsq`)), hash);
      assert.match(out, /unrecognized or unsupported algorithm identifier/i);
      assert.match(out, /\thash algorithm [\d.]+ is not accepted/);
    }

    assert.equal(openssl(['ts', '-query', '-data', f('data.txt'), '-sha256', '-tspolicy', '1.2.3.4', '-out', f('policy.tsq')]).code, 0);
    const policy = await rejection(readFileSync(f('policy.tsq')), 'policy');
    assert.match(policy, /The requested TSA policy is not supported by the TSA/i);
    assert.match(policy, /1\.2\.3\.4/);

    // Version 2 of a request built by hand (otherwise well formed).
    const digest = createHash('sha256').update('x').digest();
    const v2 = encodeSequence(encodeTlv(0x02, Uint8Array.of(2)), encodeSequence(encodeSequence(encodeTlv(0x06, Buffer.from('608648016503040201', 'hex'))), encodeTlv(0x04, digest)));
    assert.match(await rejection(v2, 'v2'), /Transaction not permitted or supported/i);
  });

  it('accepts our own policy when asked for it by OID', async () => {
    const reply = await env.stampFile('ownpolicy', ['-sha256', '-cert', '-tspolicy', '1.3.6.1.4.1.32473.704.2.5']);
    assert.match(openssl(['ts', '-reply', '-in', reply, '-text']).out, /Status: Granted\./);
  });

  it('answers 415 for another content type and 413 for a body beyond the limit', async () => {
    const query = readFileSync(f('sha256.tsq'));
    const wrong = await env.post(query, 'application/octet-stream');
    assert.equal(wrong.status, 415);
    assert.match(wrong.body.toString(), /application\/timestamp-query/);
    assert.match(wrong.body.toString(), /Cần Content-Type/);
    const big = await env.post(Buffer.alloc(64 * 1024, 0x30));
    assert.equal(big.status, 413);
  });

  it('localTimestamper: the token verifies with openssl -digest … -token_in; the TSA certificate is issued once, critical EKU, key sealed', async () => {
    const stamp = localTimestamper(db, kek, { pkiUrl: env.pkiUrl });
    const digest = createHash('sha512').update('PAdES signature value').digest();
    const [token, again] = await Promise.all([stamp(digest, 'sha512'), stamp(digest, 'sha512')]);
    writeFileSync(f('local.tok'), token);
    const ok = openssl(['ts', '-verify', '-digest', digest.toString('hex'), '-in', f('local.tok'), '-token_in', '-CAfile', f('chain.pem')]);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /Verification: OK/);
    const wrong = Buffer.from(digest);
    wrong[0] ^= 1;
    const bad = openssl(['ts', '-verify', '-digest', wrong.toString('hex'), '-in', f('local.tok'), '-token_in', '-CAfile', f('chain.pem')]);
    assert.match(bad.out, /Verification: FAILED/);
    assert.equal(readToken(again).tstInfo.digest.toString('hex'), digest.toString('hex'));
    await assert.rejects(stamp(digest.subarray(1), 'sha512'), /digest: expected a sha512 digest of 64 bytes/);

    const rows = await db.query<{ serial: string; cert_der: Buffer; key_origin: string; key_sealed: string | null }>(
      `SELECT c.serial, c.cert_der, c.key_origin, c.key_sealed FROM signer_certificates c WHERE profile = 'tsa'`, { type: QueryTypes.SELECT });
    assert.equal(rows.length, 1, 'one TSA certificate for every token so far');
    assert.equal(rows[0]!.key_sealed, null, 'no PIN-held key: the TSA key lives in signer_tsa_keys');
    writeFileSync(f('tsa-cert.pem'), pem('CERTIFICATE', rows[0]!.cert_der));
    const x509 = openssl(['x509', '-in', f('tsa-cert.pem'), '-noout', '-text']).out;
    assert.match(x509, /X509v3 Extended Key Usage: critical\s+Time Stamping\s/);
    assert.match(x509, /X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation\s/);
    assert.ok(x509.includes(`URI:${env.pkiUrl}/crl/issuing.crl`));
    const purpose = openssl(['verify', '-CAfile', f('chain.pem'), '-purpose', 'timestampsign', f('tsa-cert.pem')]);
    assert.equal(purpose.code, 0, purpose.out);
    const [key] = await db.query<{ key_sealed: string }>('SELECT key_sealed FROM signer_tsa_keys WHERE serial = $1', { bind: [rows[0]!.serial], type: QueryTypes.SELECT });
    assert.doesNotMatch(key!.key_sealed, /PRIVATE KEY/);
    assert.match(unseal(kek, key!.key_sealed, `tsa:${rows[0]!.serial}`).toString(), /BEGIN PRIVATE KEY/);
    const [audit] = await db.query<{ actor: string }>(`SELECT actor FROM audit_entries WHERE action = 'cert.issue' AND target = $1`, { bind: [rows[0]!.serial], type: QueryTypes.SELECT });
    assert.equal(audit?.actor, 'system:tsa');
  });

  it('replaces the TSA certificate when it is revoked or near its end', async () => {
    const first = await ensureTsaSigner(db, kek, { pkiUrl: env.pkiUrl });
    assert.equal((await ensureTsaSigner(db, kek, { pkiUrl: env.pkiUrl })).serial, first.serial, 'kept while valid');
    await db.query(`UPDATE signer_certificates SET not_before = now() - interval '1000 days', not_after = now() + interval '30 days' WHERE serial = $1`, { bind: [first.serial] });
    const renewed = await ensureTsaSigner(db, kek, { pkiUrl: env.pkiUrl });
    assert.notEqual(renewed.serial, first.serial);
    await revokeCertificate(db, kek, renewed.serial, 'keyCompromise', 'test');
    const afterRevocation = await new TimeStampAuthority(db, kek, { pkiUrl: env.pkiUrl }).identity();
    assert.ok(![first.serial, renewed.serial].includes(afterRevocation.serial));
    assert.equal(serialHex(afterRevocation.certificate), afterRevocation.serial);
    // A token from the new key still verifies.
    const token = await localTimestamper(db, kek, { pkiUrl: env.pkiUrl })(createHash('sha256').update('x').digest(), 'sha256');
    writeFileSync(f('renewed.tok'), token);
    const ok = openssl(['ts', '-verify', '-digest', createHash('sha256').update('x').digest('hex'), '-in', f('renewed.tok'), '-token_in', '-CAfile', f('chain.pem')]);
    assert.match(ok.out, /Verification: OK/, ok.out);
  });

  describe('remoteTimestamper against a local stand-in for an external TSA', () => {
    const servers: http.Server[] = [];
    /** Starts a server whose handler decides what each request gets; returns its URL. */
    const serve = async (handler: (body: Buffer, res: http.ServerResponse) => void | Promise<void>) => {
      const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => void handler(Buffer.concat(chunks), res));
      });
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsa`;
    };
    const ourTsa = async (body: Buffer) => (await env.post(body)).body;
    const reply = (res: http.ServerResponse, body: Buffer) => res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(body);
    const digest = createHash('sha256').update('văn bản').digest();
    const verifies = (token: Buffer, name: string) => {
      writeFileSync(f(name), token);
      return openssl(['ts', '-verify', '-digest', digest.toString('hex'), '-in', f(name), '-token_in', '-CAfile', f('chain.pem')]).out;
    };

    after(() => {
      for (const s of servers) {
        s.closeAllConnections();
        s.close();
      }
    });

    it('(a) a TSA that never answers: fails after timeoutMs per attempt, naming the URL and the number of attempts', async () => {
      let seen = 0;
      const url = await serve(() => {
        seen++; // and never answer
      });
      const stamp = remoteTimestamper({ url, timeoutMs: 300, retries: 1, retryDelayMs: 50 });
      const started = Date.now();
      const err = await stamp(digest, 'sha256').then(() => undefined, (e: unknown) => e);
      const elapsed = Date.now() - started;
      assert.ok(err instanceof TsaUnavailableError, String(err));
      assert.equal(err.attempts, 2);
      assert.equal(seen, 2);
      assert.ok(err.message.includes(url) && /after 2 attempts: no answer within 300 ms/.test(err.message), err.message);
      assert.match(err.messageVi, /không trả lời sau 2 lần thử/);
      assert.ok(elapsed >= 600 && elapsed < 3000, `took ${elapsed} ms`);
    });

    it('(b) 503 twice, then a real answer: succeeds on the third attempt and the token verifies', async () => {
      let seen = 0;
      const url = await serve(async (body, res) => {
        if (++seen <= 2) return void res.writeHead(503).end('busy');
        reply(res, await ourTsa(body));
      });
      const token = await remoteTimestamper({ url, retries: 3, retryDelayMs: 20 })(digest, 'sha256');
      assert.equal(seen, 3);
      assert.match(verifies(token, 'remote-b.tok'), /Verification: OK/);
      // With too few retries the same server is reported unavailable, with its status.
      seen = 0;
      await assert.rejects(remoteTimestamper({ url, retries: 1, retryDelayMs: 20 })(digest, 'sha256'), (e: unknown) => e instanceof TsaUnavailableError && /HTTP 503/.test(e.message) && e.attempts === 2);
    });

    it('(c) maxConcurrent 2: six calls, never more than two at the server, all six answered', async () => {
      let inFlight = 0;
      let most = 0;
      const url = await serve(async (body, res) => {
        most = Math.max(most, ++inFlight);
        await sleep(150);
        const answer = await ourTsa(body);
        inFlight--;
        reply(res, answer);
      });
      const stamp = remoteTimestamper({ url, maxConcurrent: 2 });
      const tokens = await Promise.all(Array.from({ length: 6 }, () => stamp(digest, 'sha256')));
      assert.equal(most, 2);
      assert.equal(new Set(tokens.map((t) => readToken(t).tstInfo.serial)).size, 6);
      assert.match(verifies(tokens[5]!, 'remote-c.tok'), /Verification: OK/);
    });

    it('(d) an answer for another imprint is refused, and not retried', async () => {
      let seen = 0;
      const url = await serve(async (body, res) => {
        seen++;
        // Change the last byte of the digest (the end of the MessageImprint) before asking our TSA.
        const changed = Buffer.from(body);
        const at = changed.indexOf(digest);
        changed[at + digest.length - 1] ^= 0xff;
        reply(res, await ourTsa(changed));
      });
      await assert.rejects(remoteTimestamper({ url, retryDelayMs: 10 })(digest, 'sha256'), (e: unknown) => {
        assert.ok(e instanceof TsaBadResponseError, String(e));
        assert.ok(e.message.includes(url));
        assert.match(e.message, /different message imprint/);
        assert.match(e.messageVi, /giá trị băm khác/);
        return true;
      });
      assert.equal(seen, 1);
    });

    it('refuses a replayed answer (nonce) and never retries a rejection', async () => {
      let previous: Buffer | undefined;
      const replayUrl = await serve(async (body, res) => {
        previous ??= await ourTsa(body);
        reply(res, previous);
      });
      const stamp = remoteTimestamper({ url: replayUrl });
      await stamp(digest, 'sha256');
      await assert.rejects(stamp(digest, 'sha256'), (e: unknown) => e instanceof TsaBadResponseError && /nonce/.test(e.message));

      let seen = 0;
      const url = await serve(async (body, res) => {
        seen++;
        reply(res, await ourTsa(body));
      });
      await assert.rejects(remoteTimestamper({ url, policy: '1.2.3.4', retryDelayMs: 10 })(digest, 'sha256'), (e: unknown) => {
        assert.ok(e instanceof TsaRejectedError, String(e));
        assert.equal(e.pkiStatus, 2);
        assert.deepEqual(e.failures, ['unacceptedPolicy']);
        assert.match(e.message, /1\.2\.3\.4/);
        return true;
      });
      assert.equal(seen, 1);
    });
  });
});

describe('signer — TSA before any CA exists', () => {
  it('answers a rejection with systemFailure saying what is missing, in both languages', async () => {
    const { db } = await freshDatabase(allMigrations());
    try {
      const kek = loadKek(mkdtempSync(path.join(os.tmpdir(), 'signer-tsa-noca-')), {});
      const query = encodeSequence(encodeTlv(0x02, Uint8Array.of(1)), encodeSequence(encodeSequence(encodeTlv(0x06, Buffer.from('608648016503040201', 'hex'))), encodeTlv(0x04, Buffer.alloc(32, 7))));
      const answer = parseTimeStampResp(await new TimeStampAuthority(db, kek, { pkiUrl: 'http://127.0.0.1:1/pki' }).respond(query));
      assert.equal(answer.status, 2);
      assert.deepEqual(answer.failures, ['systemFailure']);
      assert.match(answer.statusText[0]!, /chưa có CA cấp phát/);
      assert.match(answer.statusText[1]!, /no active issuing CA/);
      await assert.rejects(localTimestamper(db, kek, { pkiUrl: 'http://127.0.0.1:1/pki' })(Buffer.alloc(32), 'sha256'), /no active issuing CA/);
    } finally {
      await db.close();
    }
  });
});

describe('signer — TSA with an RSA CA', function () {
  this.timeout(120_000);
  let env: Awaited<ReturnType<typeof setUp>>;
  before(async () => {
    env = await setUp('rsa-2048');
  });
  after(async () => {
    await env?.app.close();
    await env?.db.close();
  });

  it('signs with RSA PKCS#1 v1.5 (sha256WithRSAEncryption) and openssl verifies SHA-256 and SHA-512 requests', async () => {
    for (const hash of ['sha256', 'sha512']) {
      const reply = await env.stampFile(`rsa-${hash}`, [`-${hash}`, '-cert']);
      const ok = openssl(['ts', '-verify', '-data', env.f('data.txt'), '-in', reply, '-CAfile', env.f('chain.pem')]);
      assert.equal(ok.code, 0, ok.out);
      assert.match(ok.out, /Verification: OK/);
      assert.match(openssl(['ts', '-verify', '-data', env.f('other.txt'), '-in', reply, '-CAfile', env.f('chain.pem')]).out, /Verification: FAILED/);
    }
    openssl(['ts', '-reply', '-in', env.f('rsa-sha256.tsr'), '-token_out', '-out', env.f('rsa.tok')]);
    const cms = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', env.f('rsa.tok')]).out;
    assert.match(cms, /signatureAlgorithm:\s+algorithm: sha256WithRSAEncryption/);
  });
});
