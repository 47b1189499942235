import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { pkiBaseUrl } from '../core/config.js';
import { InvalidInputError } from '../core/errors.js';
import { loadKek } from '../core/kek.js';
import {
  activeIssuingCa, addFiles, caChain, chainValidator, emptyTrust, loadPkcs12, ourTrust, signCms, signSmime, unlockServerKey, validatePath,
  verifyCms, verifySmime, certificateFromDer, derBlocks, formatName, type PathValidationResult, type VerifyReport, type TrustMaterial,
  configuredTimestamper, isPdf, signPdf, verifyPdf, type PadesLevel, type PdfSignatureReport, type PdfVerifyResult,
} from '../signer/index.js';
import type { Context } from './context.js';
import { readStdin } from './io.js';

type WithContext = <A extends unknown[]>(fn: (ctx: Context, ...args: A) => Promise<void>) => (...args: A) => Promise<void>;
const collect = (value: string, previous: string[] = []) => [...previous, value];
const files = (names: string[] | undefined) => (names ?? []).map((n) => readFileSync(n));

function parseAt(at: string | undefined): Date | undefined {
  if (!at) return undefined;
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) throw new InvalidInputError('--at', 'an ISO 8601 time such as 2026-01-01T00:00:00Z', 'thời điểm ISO 8601, ví dụ 2026-01-01T00:00:00Z', at);
  return d;
}

function printPathResult(r: PathValidationResult, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ status: r.status, code: r.code, message: r.message, messageVi: r.messageVi, path: r.path.map((c) => formatName(c.subject)), revocation: r.revocation, policies: r.policies }, null, 2)}\n`);
    return;
  }
  const label = { valid: 'HỢP LỆ / VALID', invalid: 'KHÔNG HỢP LỆ / INVALID', indeterminate: 'CHƯA XÁC ĐỊNH / INDETERMINATE' }[r.status];
  process.stdout.write(`${label} [${r.code}]\n${r.messageVi}\n${r.message}\n`);
  for (const [i, c] of r.path.entries()) process.stdout.write(`  ${i}: ${formatName(c.subject)}\n`);
}

function reportJson(r: VerifyReport): unknown {
  return {
    indication: r.indication,
    subIndication: r.subIndication,
    message: r.message,
    messageVi: r.messageVi,
    integrity: r.integrity,
    signer: r.signer && { subject: r.signer.subject, serial: r.signer.serial, email: r.signer.email },
    signingTime: r.signingTime,
    chainStatus: r.chainStatus,
    chain: r.chain?.map((c) => formatName(c.subject)),
    revocation: r.revocation,
  };
}

function printReport(r: VerifyReport, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(reportJson(r), null, 2)}\n`);
  } else {
    process.stdout.write(`${r.indication}${r.subIndication ? ` / ${r.subIndication}` : ''}\n${r.messageVi}\n${r.message}\n`);
    if (r.signer) process.stdout.write(`Người ký / signer: ${r.signer.subject} (serial ${r.signer.serial})\n`);
    if (r.signingTime) process.stdout.write(`Thời điểm ký / signing time: ${r.signingTime.toISOString()}\n`);
    for (const [i, c] of (r.chain ?? []).entries()) process.stdout.write(`  ${i}: ${formatName(c.subject)}\n`);
  }
  if (r.indication !== 'TOTAL-PASSED') process.exitCode = 1;
}

async function signingIdentity(o: { keyP12?: string; serial?: string; passwordStdin?: boolean; pinStdin?: boolean }, ctx?: Context) {
  if (o.keyP12) {
    if (!o.passwordStdin) throw new InvalidInputError('--password-stdin', 'the PKCS#12 password on stdin', 'mật khẩu PKCS#12 qua stdin');
    return loadPkcs12(readFileSync(o.keyP12), await readStdin());
  }
  if (o.serial && ctx) {
    if (!o.pinStdin) throw new InvalidInputError('--pin-stdin', 'the PIN on stdin', 'mã PIN qua stdin');
    const { key, certificate } = await unlockServerKey(ctx.db, loadKek(ctx.config.dataDir), o.serial, await readStdin(), `cli:${o.serial}`);
    return { certificate, chain: await caChain(ctx.db, await activeIssuingCa(ctx.db)), privateKey: key };
  }
  throw new InvalidInputError('key', '--key-p12 FILE --password-stdin, or --serial SERIAL --pin-stdin (server-held key)', '--key-p12 TỆP --password-stdin, hoặc --serial SỐ_HIỆU --pin-stdin (khoá lưu trên máy chủ)');
}

/** The levels the command line offers; B-LT needs a revocation source the CLI does not wire yet. */
const CLI_PADES_LEVELS: readonly PadesLevel[] = ['B-B', 'B-T'];

function parseLevel(level: string): PadesLevel {
  const l = level.toUpperCase() as PadesLevel;
  if (!CLI_PADES_LEVELS.includes(l)) throw new InvalidInputError('--level', 'B-B or B-T', 'B-B hoặc B-T', level);
  return l;
}

/** `cong-van.pdf` → `cong-van.signed.pdf`. */
const signedPdfName = (file: string) => `${file.replace(/\.pdf$/i, '')}.signed.pdf`;

interface PdfSignOptions { out?: string; level: string; reason?: string; location?: string }

/** PAdES: the signature goes into the PDF as an incremental update, so earlier signatures stay valid. */
async function signPdfFile(ctx: Context, file: string, pdf: Uint8Array, id: Awaited<ReturnType<typeof signingIdentity>>, o: PdfSignOptions): Promise<void> {
  const level = parseLevel(o.level);
  // GOVMAIL_TSA_URL names an external TSA; otherwise our own TSA stamps in-process.
  const timestamper = level === 'B-B' ? undefined : configuredTimestamper(ctx.db, loadKek(ctx.config.dataDir), { tsaUrl: ctx.config.tsaUrl, pkiUrl: pkiBaseUrl(ctx.config), dataDir: ctx.config.dataDir });
  const signed = await signPdf({
    pdf, certificate: id.certificate, chain: id.chain, privateKey: id.privateKey, level,
    ...(timestamper ? { timestamper } : {}), ...(o.reason ? { reason: o.reason } : {}), ...(o.location ? { location: o.location } : {}),
  });
  const out = o.out ?? signedPdfName(file);
  writeFileSync(out, signed.pdf);
  process.stderr.write(`Đã ký / signed (PAdES ${level}, ${signed.fieldName}): ${out}\n`);
}

const yesNo = (b: boolean) => (b ? 'có / yes' : 'không / no');

function pdfSignatureOk(s: Omit<PdfSignatureReport, 'contents'>): boolean {
  return s.byteRangeValid && s.intact && s.cms?.indication === 'TOTAL-PASSED' && (!s.timestamp || (s.timestamp.imprintMatches && s.timestamp.tokenIntact));
}

function printPdfReport(r: PdfVerifyResult, json: boolean): void {
  if (json) {
    // The signature bytes stay out of the JSON; their size is enough to judge the placeholder.
    const signatures = r.signatures.map(({ contents, ...s }) => ({ ...s, contentsBytes: contents.length, ok: pdfSignatureOk(s) }));
    process.stdout.write(`${JSON.stringify({ revisions: r.revisions, signatures, dss: r.dss }, null, 2)}\n`);
  } else {
    if (r.signatures.length === 0) process.stdout.write('Tệp PDF không có chữ ký / the PDF has no signature\n');
    for (const [i, s] of r.signatures.entries()) {
      const lines = [
        `Chữ ký / signature #${i + 1} (${s.fieldName}): ${s.cms ? `${s.cms.indication}${s.cms.subIndication ? ` / ${s.cms.subIndication}` : ''}` : s.subFilter ?? ''}`,
        `  Người ký / signer: ${s.signer?.subject ?? '?'}`,
        ...(s.signingTime ? [`  Thời điểm ký (/M) / signing time: ${s.signingTime.toISOString()}`] : []),
        `  Phạm vi ký / byte range: [${s.byteRange?.join(' ') ?? '?'}] ${s.byteRangeValid ? 'hợp lệ / well-formed' : `KHÔNG HỢP LỆ / MALFORMED: ${s.byteRangeProblem}`}`,
        `  Toàn vẹn / integrity: ${s.changed ? 'ĐÃ BỊ THAY ĐỔI / CHANGED after signing' : s.intact ? 'nguyên vẹn / intact' : 'không kiểm tra được / not verified'}`,
        `  Phủ toàn bộ tệp / covers the whole document: ${s.coversWholeDocument ? yesNo(true) : `${yesNo(false)} (${s.laterRevisions} lần cập nhật sau / later revisions)`}`,
        ...(s.timestamp ? [`  Dấu thời gian / time-stamp: ${s.timestamp.genTime.toISOString()} (${s.timestamp.tsa ?? '?'}) ${s.timestamp.imprintMatches && s.timestamp.tokenIntact ? 'khớp / matches' : 'KHÔNG KHỚP / DOES NOT MATCH'}`] : []),
        ...(s.cms ? [`  ${s.cms.messageVi}`, `  ${s.cms.message}`] : []),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
  }
  if (r.signatures.length === 0 || !r.signatures.every(pdfSignatureOk)) process.exitCode = 1;
}

async function trustFor(ctx: Context, o: { trust?: string[]; untrusted?: string[]; crl?: string[] }): Promise<TrustMaterial> {
  return addFiles(await ourTrust(ctx.db, loadKek(ctx.config.dataDir)), { trust: files(o.trust), untrusted: files(o.untrusted), crls: files(o.crl) });
}

/** `govmail cert validate`, `sign`, `verify`, `smime sign|verify`. */
export function signingCommands(program: Command, cert: Command, dataOption: (c: Command) => Command, withContext: WithContext): void {
  cert
    .command('validate <leaf>')
    .description('kiểm tra đường dẫn chứng thực (RFC 5280) / validate a certification path (RFC 5280 §6)')
    .requiredOption('--trust <file>', 'chứng thư gốc tin cậy / trust anchor (PEM or DER; repeatable)', collect)
    .option('--untrusted <file>', 'chứng thư trung gian / intermediate certificates (repeatable)', collect)
    .option('--crl <file>', 'danh sách thu hồi / CRL (repeatable)', collect)
    .option('--no-revocation', 'bỏ qua kiểm tra thu hồi / skip revocation checking')
    .option('--at <time>', 'thời điểm kiểm tra / validation time (ISO 8601)')
    .option('--json', 'JSON output')
    .action(async (leafFile: string, o: { trust: string[]; untrusted?: string[]; crl?: string[]; revocation: boolean; at?: string; json?: boolean }) => {
      try {
        const t = addFiles(emptyTrust(), { trust: files(o.trust), untrusted: files(o.untrusted), crls: files(o.crl) });
        const [leafDer] = derBlocks(readFileSync(leafFile), 'CERTIFICATE');
        const r = await validatePath({ leaf: certificateFromDer(leafDer), trustAnchors: t.anchors, untrusted: t.intermediates, crls: t.crls, at: parseAt(o.at), checkRevocation: o.revocation });
        printPathResult(r, Boolean(o.json));
        process.exitCode = r.status === 'valid' ? 0 : 1;
      } catch (err) {
        process.stderr.write(`Lỗi / Error: ${(err as Error).message}\n`);
        process.exitCode = 2;
      }
    });

  const signOptions = (c: Command) =>
    dataOption(c)
      .option('--key-p12 <file>', 'khoá và chứng thư PKCS#12 / PKCS#12 with key and certificate (password on stdin)')
      .option('--password-stdin', 'đọc mật khẩu PKCS#12 từ stdin / read the PKCS#12 password from stdin')
      .option('--serial <serial>', 'dùng khoá lưu trên máy chủ / use a server-held key (PIN on stdin)')
      .option('--pin-stdin', 'đọc mã PIN từ stdin / read the PIN from stdin')
      .option('--out <file>', 'tệp kết quả / output file');

  signOptions(program.command('sign <file>').description('ký PDF (PAdES) hoặc tệp khác (CMS, CAdES-BES) / sign a PDF (PAdES) or any file (CMS, CAdES-BES)'))
    .option('--enveloping', 'chứa nội dung trong chữ ký / embed the content (default: detached)')
    .option('--cms', 'chữ ký CMS tách rời kể cả với PDF / a detached CMS signature even for a PDF')
    .option('--level <level>', 'mức PAdES / PAdES level: B-B or B-T (time-stamped)', 'B-B')
    .option('--reason <text>', 'lý do ký (PDF) / reason for signing (PDF)')
    .option('--location <text>', 'nơi ký (PDF) / signing location (PDF)')
    .action(
      withContext(async (ctx, file: string, o: { keyP12?: string; passwordStdin?: boolean; serial?: string; pinStdin?: boolean; out?: string; enveloping?: boolean; cms?: boolean } & PdfSignOptions) => {
        const content = readFileSync(file);
        if (isPdf(content) && !o.enveloping && !o.cms) parseLevel(o.level); // a wrong level fails before the password is read
        const id = await signingIdentity(o, ctx);
        if (isPdf(content) && !o.enveloping && !o.cms) return signPdfFile(ctx, file, content, id, o);
        const p7s = await signCms({ content, detached: !o.enveloping, certificate: id.certificate, privateKey: id.privateKey, chain: id.chain });
        writeFileSync(o.out ?? `${file}.p7s`, p7s);
        process.stderr.write(`Đã ký / signed: ${o.out ?? `${file}.p7s`}\n`);
      }),
    );

  const verifyOptions = (c: Command) =>
    dataOption(c)
      .option('--trust <file>', 'thêm chứng thư gốc tin cậy / an extra trust anchor (repeatable)', collect)
      .option('--untrusted <file>', 'chứng thư trung gian / intermediate certificates (repeatable)', collect)
      .option('--crl <file>', 'danh sách thu hồi / CRL (repeatable)', collect)
      .option('--at <time>', 'thời điểm kiểm tra / validation time (ISO 8601)')
      .option('--json', 'JSON output');

  verifyOptions(program.command('verify <file>').description('kiểm tra chữ ký CMS hoặc các chữ ký trong PDF / verify a CMS signature or every signature in a PDF'))
    .option('--content <file>', 'nội dung của chữ ký tách rời / the content of a detached signature')
    .action(
      withContext(async (ctx, file: string, o: { content?: string; trust?: string[]; untrusted?: string[]; crl?: string[]; at?: string; json?: boolean }) => {
        const input = readFileSync(file);
        const at = parseAt(o.at);
        if (!o.content && isPdf(input)) {
          printPdfReport(await verifyPdf(input, { validateChain: chainValidator(await trustFor(ctx, o)), ...(at ? { at } : {}) }), Boolean(o.json));
          return;
        }
        const r = await verifyCms({ p7s: input, content: o.content ? readFileSync(o.content) : undefined, validateChain: chainValidator(await trustFor(ctx, o)), at });
        printReport(r, Boolean(o.json));
      }),
    );

  const smime = program.command('smime').description('thư ký số S/MIME / S/MIME signed mail');
  signOptions(smime.command('sign <message>').description('ký một thư (RFC 5322) thành multipart/signed / sign a message as multipart/signed')).action(
    withContext(async (ctx, file: string, o: { keyP12?: string; passwordStdin?: boolean; serial?: string; pinStdin?: boolean; out?: string }) => {
      const id = await signingIdentity(o, ctx);
      const { outer, entity } = splitMessage(readFileSync(file, 'utf8'));
      const signed = await signSmime({ mime: entity, certificate: id.certificate, privateKey: id.privateKey, chain: id.chain });
      const message = `${outer.join('\r\n')}\r\nMIME-Version: 1.0\r\n${signed}`;
      if (o.out) writeFileSync(o.out, message);
      else process.stdout.write(message);
    }),
  );
  verifyOptions(smime.command('verify <message>').description('kiểm tra thư S/MIME / verify an S/MIME message')).action(
    withContext(async (ctx, file: string, o: { trust?: string[]; untrusted?: string[]; crl?: string[]; at?: string; json?: boolean }) => {
      printReport(await verifySmime({ message: readFileSync(file), validateChain: chainValidator(await trustFor(ctx, o)), at: parseAt(o.at) }), Boolean(o.json));
    }),
  );
}

/**
 * Splits a message into the headers that stay outside the signature (From, To, Subject, …) and the
 * MIME entity that is signed (its Content-* headers and body). A body without Content-Type is
 * signed as UTF-8 text in base64, so no relay can alter it in transit.
 */
export function splitMessage(message: string): { outer: string[]; entity: string } {
  const text = message.replace(/\r?\n/g, '\r\n');
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? '' : text.slice(end + 4);
  const fields = head.split(/\r\n(?![ \t])/).filter(Boolean);
  const outer = fields.filter((f) => !/^(content-|mime-version:)/i.test(f));
  const content = fields.filter((f) => /^content-/i.test(f));
  if (!content.some((f) => /^content-type:/i.test(f))) {
    const b64 = Buffer.from(body, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
    return { outer, entity: `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n` };
  }
  return { outer, entity: `${content.join('\r\n')}\r\n\r\n${body}` };
}
