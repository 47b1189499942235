import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueryTypes, type Sequelize } from 'sequelize';
import { addAgency, addDomain, addMailbox, approveCertificate, listCertificates, requestCertificate } from '../../admin/index.js';
import { allMigrations } from '../../cli/migrations.js';
import { connect } from '../../core/db.js';
import { loadKek } from '../../core/kek.js';
import { activeIssuingCa, caChain, certificateStates, initCa, listCas, pem, publishCrl, toDer } from '../../signer/index.js';
import { freshDatabase } from '../support/postgres.js';

const openssl = (args: string[]) => {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
};

describe('CA issuance — CRL numbers across concurrent generators and restarts, one transaction for approval and issuance (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: Sequelize;
  let url: string;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ca-profile-issuance-'));
  const f = (name: string) => path.join(dir, name);
  const signer = { kek: loadKek(dir, {}), pkiUrl: 'http://ca.bacninh.gov.vn/pki' };
  const by = { actor: 'admin@bacninh.gov.vn' };

  before(async () => {
    ({ db, url } = await freshDatabase(allMigrations()));
    await initCa(db, signer.kek, { organization: 'UBND tỉnh Bắc Ninh', algorithm: 'rsa-2048', pkiUrl: signer.pkiUrl, actor: 'test' });
    const chain = await caChain(db, await activeIssuingCa(db));
    writeFileSync(f('chain.pem'), chain.map((c) => pem('CERTIFICATE', toDer(c))).join(''));
    writeFileSync(f('issuing.pem'), pem('CERTIFICATE', toDer(chain[0]!)));
    await addDomain(db, 'bacninh.gov.vn');
    const stp = await addAgency(db, { code: 'STP', name: 'Sở Tư pháp', level: 'province', mns: '1012345' });
    await addMailbox(db, { address: 'vanthu.stp@bacninh.gov.vn', displayName: 'Văn thư Sở Tư pháp', agencyId: stp.id, kind: 'functional' }, { defaultQuota: '1G' });
  });
  after(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const crlNumber = (der: Buffer, name: string) => {
    writeFileSync(f(name), der);
    const r = openssl(['crl', '-inform', 'DER', '-in', f(name), '-noout', '-crlnumber']);
    assert.equal(r.code, 0, r.out);
    return BigInt(`0x${/crlNumber=(?:0x)?([0-9A-Fa-f]+)/.exec(r.out)![1]}`);
  };

  it('two generators at once (two connection pools, as two nodes) get distinct, increasing CRL numbers; a restart continues from the last', async () => {
    const issuing = (await listCas(db)).find((c) => c.role === 'issuing')!;
    const other = connect(url);
    try {
      const ders = await Promise.all([publishCrl(db, signer.kek, issuing), publishCrl(other, signer.kek, issuing), publishCrl(db, signer.kek, issuing), publishCrl(other, signer.kek, issuing)]);
      const numbers = ders.map((d, i) => crlNumber(d, `c${i}.crl`)).sort((a, b) => (a < b ? -1 : 1));
      assert.equal(new Set(numbers).size, 4, `CRL numbers repeat: ${numbers.join(', ')}`);
      assert.deepEqual(numbers, [numbers[0]!, numbers[0]! + 1n, numbers[0]! + 2n, numbers[0]! + 3n]);
    } finally {
      await other.close();
    }
    // A "restart": a new pool, the CA row read afresh.
    const restarted = connect(url);
    try {
      const [before] = await restarted.query<{ n: string }>('SELECT max(crl_number)::text AS n FROM signer_crls WHERE ca_id = $1', { bind: [issuing.id], type: QueryTypes.SELECT });
      const ca = (await listCas(restarted)).find((c) => c.role === 'issuing')!;
      const next = crlNumber(await publishCrl(restarted, signer.kek, ca), 'after-restart.crl');
      assert.equal(next, BigInt(before!.n) + 1n);
    } finally {
      await restarted.close();
    }
  });

  it('the CRL names the CA as issuer with its key identifier, and openssl crl -verify accepts it', async () => {
    const issuing = (await listCas(db)).find((c) => c.role === 'issuing')!;
    writeFileSync(f('latest.crl'), await publishCrl(db, signer.kek, issuing));
    const text = openssl(['crl', '-inform', 'DER', '-in', f('latest.crl'), '-noout', '-text', '-CAfile', f('chain.pem'), '-nameopt', 'RFC2253']);
    assert.equal(text.code, 0, text.out);
    assert.match(text.out, /verify OK/);
    const cert = openssl(['x509', '-in', f('issuing.pem'), '-noout', '-text', '-subject', '-nameopt', 'RFC2253']);
    const ski = /X509v3 Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(cert.out)![1]!;
    const aki = /X509v3 Authority Key Identifier:\s*\n\s*(?:keyid:)?([0-9A-F:]+)/.exec(text.out)![1]!;
    assert.equal(aki, ski, 'the CRL’s AKI is the CA’s SKI');
    const subject = /^subject=(.*)$/m.exec(cert.out)![1]!;
    assert.match(text.out, new RegExp(`Issuer: ${subject.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  /** Makes the step after issuance fail inside approveCertificate's transaction. */
  async function failing(kind: 'audit' | 'request-update', work: () => Promise<unknown>): Promise<void> {
    const table = kind === 'audit' ? 'audit_entries' : 'admin_cert_requests';
    const event = kind === 'audit' ? 'INSERT' : 'UPDATE';
    const when = kind === 'audit' ? `WHEN (NEW.action = 'cert.approve')` : '';
    await db.query(`CREATE FUNCTION test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure after issuance'; END $$`);
    await db.query(`CREATE TRIGGER test_fail BEFORE ${event} ON ${table} FOR EACH ROW ${when} EXECUTE FUNCTION test_fail()`);
    try {
      await assert.rejects(work(), /injected failure after issuance/);
    } finally {
      await db.query(`DROP TRIGGER test_fail ON ${table}`);
      await db.query('DROP FUNCTION test_fail()');
    }
  }

  for (const kind of ['audit', 'request-update'] as const) {
    it(`a failure after issuance (${kind === 'audit' ? "admin's audit insert" : 'the request update'}) leaves the request pending and no certificate in the signer's register`, async () => {
      const request = await requestCertificate(db, { agency: 'STP', profile: 'organisation', mailbox: 'vanthu.stp@bacninh.gov.vn' }, by);
      const count = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM signer_certificates', { type: QueryTypes.SELECT }))[0]!.n;
      const issuedAudits = async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_entries WHERE action = 'cert.issue'`, { type: QueryTypes.SELECT }))[0]!.n;
      const [certsBefore, auditsBefore] = [await count(), await issuedAudits()];
      await failing(kind, () => approveCertificate(db, signer, request.id, by));
      assert.equal(await count(), certsBefore, 'no certificate row survives the failed approval');
      assert.equal(await issuedAudits(), auditsBefore, 'nor the signer’s cert.issue audit entry');
      const listed = (await listCertificates(db, [null])).items.find((c) => c.id === request.id)!;
      assert.equal(listed.status, 'requested');
      assert.equal(listed.serial, null);
      // With the failure gone the same request is approved, once, and the signer knows the certificate.
      const issued = await approveCertificate(db, signer, request.id, by);
      assert.equal(await count(), certsBefore + 1);
      const [state] = await certificateStates(db, [issued.serial]);
      assert.equal(state?.status, 'good');
    });
  }
});
