import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { pkiBaseUrl } from '../core/config.js';
import { InvalidInputError } from '../core/errors.js';
import { loadKek } from '../core/kek.js';
import {
  activeIssuingCa, caChain, currentCrl, getProfile, importSubCa, initCa, issueCertificate, listCas, parseKeyAlgorithm,
  parseSubject, pem, requestSubCa, revokeCertificate, toDer, type KeyDelivery,
} from '../signer/index.js';
import type { Context } from './context.js';
import { readStdin } from './io.js';
import { signingCommands } from './sign.js';

type WithContext = <A extends unknown[]>(fn: (ctx: Context, ...args: A) => Promise<void>) => (...args: A) => Promise<void>;

function readJsonFile(file: string, field: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InvalidInputError(field, `a readable JSON file (${(err as Error).message})`, `tệp JSON đọc được (${(err as Error).message})`, file);
  }
}

const CLI_ACTOR = 'cli';

const LEGACY_P12_NOTE =
  'Cảnh báo: PKCS#12 kiểu cũ (3DES, MAC SHA-1) yếu hơn mặc định (AES-256, SHA-256); chỉ dùng cho Windows cũ và gpgsm 2.2. / ' +
  'Warning: a legacy PKCS#12 (3DES, SHA-1 MAC) is weaker than the default (AES-256, SHA-256); use it only for old Windows and gpgsm 2.2.';

/** `govmail ca …` and `govmail cert …`: the operator's side of the signer. */
export function signerCommands(program: Command, dataOption: (c: Command) => Command, withContext: WithContext): void {
  const ca = program.command('ca').description('tổ chức chứng thực / certification authority');
  const caIdentity = (c: Command) =>
    dataOption(c)
      .requiredOption('--organization <name>', 'tên cơ quan / organisation, e.g. "UBND tỉnh Bắc Ninh"')
      .option('--province <name>', 'tỉnh / province')
      .option('--common-name <cn>', 'tên CA / CA common name')
      .option('--algorithm <alg>', 'rsa-2048|rsa-3072|rsa-4096|p-256|p-384', 'rsa-3072');

  caIdentity(ca.command('init').description('tạo CA gốc và CA cấp phát độc lập / create a standalone root and issuing CA')).action(
    withContext(async (ctx, o: { organization: string; province?: string; commonName?: string; algorithm: string }) => {
      const kek = loadKek(ctx.config.dataDir);
      const { root, issuing } = await initCa(ctx.db, kek, { ...o, algorithm: parseKeyAlgorithm(o.algorithm), pkiUrl: pkiBaseUrl(ctx.config), actor: CLI_ACTOR });
      for (const row of [root, issuing]) await currentCrl(ctx.db, kek, row);
      process.stdout.write(`CA gốc / root CA: ${root.subject_dn}\nCA cấp phát / issuing CA: ${issuing.subject_dn}\n`);
      process.stdout.write(`Địa chỉ công bố / published at: ${pkiBaseUrl(ctx.config)}\n`);
    }),
  );
  caIdentity(ca.command('csr').description('tạo yêu cầu CA cấp dưới cho CA gốc quốc gia / request a sub-CA certificate from the national root'))
    .option('--out <file>', 'ghi CSR ra tệp / write the CSR to a file')
    .action(
      withContext(async (ctx, o: { organization: string; province?: string; commonName?: string; algorithm: string; out?: string }) => {
        const csr = await requestSubCa(ctx.db, loadKek(ctx.config.dataDir), { ...o, algorithm: parseKeyAlgorithm(o.algorithm), actor: CLI_ACTOR });
        if (o.out) writeFileSync(o.out, csr);
        else process.stdout.write(csr);
      }),
    );
  dataOption(ca.command('import <certificate>').description('nhập chứng thư CA cấp dưới đã được ký / import the signed sub-CA certificate'))
    .requiredOption('--chain <file>', 'chuỗi chứng thư của CA cấp trên (PEM) / the issuer chain (PEM)')
    .action(
      withContext(async (ctx, file: string, o: { chain: string }) => {
        const kek = loadKek(ctx.config.dataDir);
        const row = await importSubCa(ctx.db, kek, readFileSync(file, 'utf8'), readFileSync(o.chain, 'utf8'), CLI_ACTOR);
        await currentCrl(ctx.db, kek, row);
        process.stdout.write(`CA cấp phát đã hoạt động / issuing CA active: ${row.subject_dn}\n`);
      }),
    );
  dataOption(ca.command('export').description('in chuỗi chứng thư CA (PEM, CA gốc cuối cùng) / print the CA chain as PEM, root last')).action(
    withContext(async (ctx) => {
      const chain = await caChain(ctx.db, await activeIssuingCa(ctx.db));
      process.stdout.write(chain.map((c) => pem('CERTIFICATE', toDer(c))).join(''));
    }),
  );
  dataOption(ca.command('list').description('các CA / the CAs')).action(
    withContext(async (ctx) => {
      for (const c of await listCas(ctx.db)) process.stdout.write(`${c.name}\t${c.role}\t${c.status}\t${c.algorithm ?? '-'}\t${c.subject_dn}\n`);
    }),
  );

  const cert = program.command('cert').description('chứng thư số / certificates');
  dataOption(cert.command('issue').description('cấp chứng thư / issue a certificate'))
    .requiredOption('--profile <profile>', 'individual|organisation|device')
    .requiredOption('--subject-json <file>', 'thông tin chủ thể từ hồ sơ của ta / the subject from our records (JSON)')
    .option('--csr <file>', 'yêu cầu PKCS#10 / a PKCS#10 request (key stays with the holder)')
    .option('--p12 <out>', 'sinh khoá trên máy chủ, xuất PKCS#12 / generate the key, deliver a PKCS#12 (password on stdin)')
    .option('--password-stdin', 'đọc mật khẩu PKCS#12 từ stdin / read the PKCS#12 password from stdin')
    .option('--legacy', 'PKCS#12 kiểu cũ (3DES, SHA-1) cho Windows cũ và gpgsm 2.2 / legacy PKCS#12 (3DES, SHA-1) for old Windows and gpgsm 2.2')
    .option('--server-key', 'khoá giữ trên máy chủ, mở bằng PIN (từ stdin) / server-held key unlocked by a PIN read from stdin')
    .option('--algorithm <alg>', 'cho khoá sinh trên máy chủ / for server-generated keys', 'rsa-2048')
    .option('--validity-days <n>', 'số ngày hiệu lực / validity in days')
    .option('--renew <serial>', 'gia hạn chứng thư này / this extends the given certificate')
    .option('--out <file>', 'ghi chứng thư PEM / write the certificate PEM')
    .action(
      withContext(async (ctx, o: { profile: string; subjectJson: string; csr?: string; p12?: string; passwordStdin?: boolean; legacy?: boolean; serverKey?: boolean; algorithm: string; validityDays?: string; renew?: string; out?: string }) => {
        const profile = getProfile(o.profile, ctx.config.dataDir);
        const subject = parseSubject(readJsonFile(o.subjectJson, '--subject-json'), profile);
        const modes = [o.csr, o.p12, o.serverKey].filter(Boolean).length;
        if (modes !== 1) throw new InvalidInputError('key', 'exactly one of --csr, --p12 or --server-key', 'đúng một trong --csr, --p12 hoặc --server-key');
        if (o.legacy && !o.p12) throw new InvalidInputError('--legacy', '--p12 OUT as well (it only changes how the PKCS#12 is protected)', 'cả --p12 OUT (tuỳ chọn này chỉ đổi cách bảo vệ tệp PKCS#12)');
        let key: KeyDelivery;
        if (o.csr) key = { kind: 'csr', csr: readFileSync(o.csr) };
        else if (o.p12) {
          if (!o.passwordStdin) throw new InvalidInputError('--password-stdin', 'the PKCS#12 password on stdin', 'mật khẩu PKCS#12 qua stdin');
          const password = await readStdin();
          if (password.length < 8) throw new InvalidInputError('password', 'at least 8 characters', 'ít nhất 8 ký tự');
          key = { kind: 'p12', password, algorithm: parseKeyAlgorithm(o.algorithm), legacy: Boolean(o.legacy) };
        } else key = { kind: 'server', pin: await readStdin(), algorithm: parseKeyAlgorithm(o.algorithm) };
        const issued = await issueCertificate(ctx.db, loadKek(ctx.config.dataDir), {
          profile, subject, key, validityDays: o.validityDays ? Number(o.validityDays) : undefined, renewalOf: o.renew, pkiUrl: pkiBaseUrl(ctx.config), actor: CLI_ACTOR,
        });
        if (issued.p12) writeFileSync(o.p12!, issued.p12, { mode: 0o600 });
        if (issued.p12 && o.legacy) process.stderr.write(`${LEGACY_P12_NOTE}\n`);
        if (o.out) writeFileSync(o.out, issued.certificatePem);
        else process.stdout.write(issued.certificatePem);
        process.stderr.write(`Đã cấp / issued: serial ${issued.serial}\n`);
      }),
    );
  signingCommands(program, cert, dataOption, withContext);
  dataOption(cert.command('revoke <serial>').description('thu hồi chứng thư / revoke a certificate'))
    .requiredOption('--reason <reason>', 'keyCompromise|affiliationChanged|superseded|cessationOfOperation|certificateHold|privilegeWithdrawn|unspecified')
    .action(
      withContext(async (ctx, serial: string, o: { reason: string }) => {
        const r = await revokeCertificate(ctx.db, loadKek(ctx.config.dataDir), serial, o.reason, CLI_ACTOR);
        process.stdout.write(`Đã thu hồi / revoked: ${r.serial} (${o.reason}) — CRL re-issued\n`);
      }),
    );
  dataOption(cert.command('crl').description('in CRL hiện hành (PEM) / print the current CRL as PEM'))
    .option('--ca <name>', 'CA', 'issuing')
    .action(
      withContext(async (ctx, o: { ca: string }) => {
        const cas = await listCas(ctx.db);
        const row = cas.find((c) => c.name === o.ca);
        if (!row) throw new InvalidInputError('--ca', `one of ${cas.map((c) => c.name).join(', ')}`, `một trong ${cas.map((c) => c.name).join(', ')}`, o.ca);
        process.stdout.write(pem('X509 CRL', await currentCrl(ctx.db, loadKek(ctx.config.dataDir), row)));
      }),
    );
}
