import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { pkiBaseUrl } from '../core/config.js';
import { GovmailError, InvalidInputError } from '../core/errors.js';
import { loadKek } from '../core/kek.js';
import {
  activeIssuingCa, addFiles, caChain, chainValidator, emptyTrust, loadPkcs12, ourTrust, signCms, signSmime, unlockServerKey, validatePath,
  verifySmime, certificateFromDer, derBlocks, formatName, type PathValidationResult, type VerifyReport, type TrustMaterial,
  configuredTimestamper, isPdf, signPdf, type PadesLevel, saveStampImage, removeStampImage, type StampImageKind,
  isPurpose, loadStampProfile, type StampOptions,
  addDataDirTrust, reportJson as validationJson, reportPdf, reportText, validateSignatures, type ValidationReport,
} from '../signer/index.js';
import { getAgency, getMailbox } from '../admin/index.js';
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
    process.stdout.write(`${JSON.stringify({ status: r.status, code: r.code, message: r.message, messageVi: r.messageVi, path: r.path.map((c) => formatName(c.subject)), revocation: r.revocation, policies: r.policies, signatureChecks: r.signatureChecks }, null, 2)}\n`);
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

interface PdfSignOptions { out?: string; level: string; reason?: string; location?: string; visible?: string; documentNumber?: string; copyType?: string }

/** `--visible PROFILE.json` (with `--document-number`, `--copy-type` for its templates): read and checked before any password. */
function visibleStamp(o: PdfSignOptions, pades: boolean): StampOptions | undefined {
  if (!o.visible) {
    const stray = o.documentNumber !== undefined ? '--document-number' : o.copyType !== undefined ? '--copy-type' : undefined;
    if (stray) throw new InvalidInputError(stray, 'a visible stamp too (--visible PROFILE.json)', 'kèm chữ ký hiển thị (--visible TỆP_MẪU.json)');
    return undefined;
  }
  if (!pades) throw new InvalidInputError('--visible', 'a PDF signed as PAdES (not with --cms or --enveloping)', 'tệp PDF ký PAdES (không dùng --cms hoặc --enveloping)', o.visible);
  const loaded = loadStampProfile(o.visible);
  return { ...loaded, values: { ...(o.documentNumber ? { documentNumber: o.documentNumber } : {}), ...(o.copyType ? { copyType: o.copyType } : {}) } };
}

/** PAdES: the signature goes into the PDF as an incremental update, so earlier signatures stay valid. */
async function signPdfFile(ctx: Context, file: string, pdf: Uint8Array, id: Awaited<ReturnType<typeof signingIdentity>>, o: PdfSignOptions, stamp?: StampOptions): Promise<void> {
  const level = parseLevel(o.level);
  // GOVMAIL_TSA_URL names an external TSA; otherwise our own TSA stamps in-process.
  const timestamper = level === 'B-B' ? undefined : configuredTimestamper(ctx.db, loadKek(ctx.config.dataDir), { tsaUrl: ctx.config.tsaUrl, pkiUrl: pkiBaseUrl(ctx.config), dataDir: ctx.config.dataDir });
  const signed = await signPdf({
    pdf, certificate: id.certificate, chain: id.chain, privateKey: id.privateKey, level,
    ...(timestamper ? { timestamper } : {}), ...(o.reason ? { reason: o.reason } : {}), ...(o.location ? { location: o.location } : {}),
    ...(stamp ? { stamp } : {}),
  });
  const out = o.out ?? signedPdfName(file);
  writeFileSync(out, signed.pdf);
  process.stderr.write(`Đã ký / signed (PAdES ${level}, ${signed.fieldName}): ${out}\n`);
}

/** `govmail verify` exit codes: 0 TOTAL-PASSED, 1 TOTAL-FAILED (or no signature at all), 2 INDETERMINATE. */
function verifyExitCode(r: ValidationReport): number {
  if (r.noSignature) return 1;
  return r.overall === 'TOTAL-PASSED' ? 0 : r.overall === 'TOTAL-FAILED' ? 1 : 2;
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
    .option('--purpose <use>', 'mục đích sử dụng / the use the certificate must allow: smime, document, tls or any', 'any')
    .option('--json', 'JSON output')
    .action(async (leafFile: string, o: { trust: string[]; untrusted?: string[]; crl?: string[]; revocation: boolean; at?: string; purpose: string; json?: boolean }) => {
      try {
        if (!isPurpose(o.purpose)) throw new InvalidInputError('--purpose', 'one of smime, document, tls, any', 'một trong smime, document, tls, any', o.purpose);
        const t = addFiles(emptyTrust(), { trust: files(o.trust), untrusted: files(o.untrusted), crls: files(o.crl) });
        const [leafDer] = derBlocks(readFileSync(leafFile), 'CERTIFICATE');
        const r = await validatePath({ leaf: certificateFromDer(leafDer), trustAnchors: t.anchors, untrusted: t.intermediates, crls: t.crls, at: parseAt(o.at), checkRevocation: o.revocation, purpose: o.purpose });
        printPathResult(r, Boolean(o.json));
        process.exitCode = r.status === 'valid' ? 0 : 1;
      } catch (err) {
        // Bad input (a file that is not a certificate, a wrong option): a message, never a stack trace.
        process.stderr.write(`Lỗi / Error: ${err instanceof GovmailError ? err.bilingual : (err as Error).message}\n`);
        process.exitCode = 1;
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
    .option('--visible <profile>', 'chữ ký hiển thị theo mẫu / a visible stamp from a profile (certs/stamps/*.json)')
    .option('--document-number <text>', 'số và ký hiệu văn bản cho mẫu / document number for the stamp, e.g. "123/UBND-VP"')
    .option('--copy-type <text>', 'hình thức bản sao cho mẫu / copy type for the stamp, e.g. "SAO Y"')
    .action(
      withContext(async (ctx, file: string, o: { keyP12?: string; passwordStdin?: boolean; serial?: string; pinStdin?: boolean; out?: string; enveloping?: boolean; cms?: boolean } & PdfSignOptions) => {
        const content = readFileSync(file);
        const pades = isPdf(content) && !o.enveloping && !o.cms;
        if (pades) parseLevel(o.level); // a wrong level or stamp profile fails before the password is read
        const stamp = visibleStamp(o, pades);
        const id = await signingIdentity(o, ctx);
        if (pades) return signPdfFile(ctx, file, content, id, o, stamp);
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

  verifyOptions(program.command('verify <file>').description('kiểm tra mọi chữ ký trong PDF, .p7s hoặc .eml (ETSI EN 319 102-1) / verify every signature in a PDF, a .p7s or an .eml'))
    .option('--data-file <file>', 'dữ liệu của chữ ký .p7s tách rời / the signed data of a detached .p7s')
    .option('--content <file>', 'như --data-file / same as --data-file')
    .option('--pdf-report <out>', 'ghi báo cáo PDF (tiếng Việt và tiếng Anh) / write the report as a PDF (Vietnamese and English)')
    .option('--fetch-revocation', 'tải CRL từ điểm phân phối của chứng thư / download CRLs from the certificates\' distribution points')
    .action(
      withContext(async (ctx, file: string, o: { dataFile?: string; content?: string; pdfReport?: string; fetchRevocation?: boolean; trust?: string[]; untrusted?: string[]; crl?: string[]; at?: string; json?: boolean }) => {
        const input = readFileSync(file);
        const at = parseAt(o.at);
        const dataFile = o.dataFile ?? o.content;
        // Our CA, DATA/trust, and whatever --trust/--untrusted/--crl add.
        const trust = addDataDirTrust(await trustFor(ctx, o), ctx.config.dataDir);
        const report = await validateSignatures(input, {
          trust, fileName: path.basename(file), fetchRevocation: Boolean(o.fetchRevocation), ...(dataFile ? { data: readFileSync(dataFile) } : {}), ...(at ? { now: at } : {}),
        });
        if (o.pdfReport) {
          writeFileSync(o.pdfReport, await reportPdf(report));
          process.stderr.write(`Đã ghi báo cáo / report written: ${o.pdfReport}\n`);
        }
        process.stdout.write(o.json ? `${JSON.stringify(validationJson(report), null, 2)}\n` : reportText(report));
        process.exitCode = verifyExitCode(report);
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
      printReport(await verifySmime({ message: readFileSync(file), validateChain: chainValidator(await trustFor(ctx, o), 'smime'), at: parseAt(o.at) }), Boolean(o.json));
    }),
  );

  // The pictures of visible stamps made with server-held keys (signer/stamp-images.ts): kept in DATA,
  // set by an administrator, never sent by whoever asks for a signature.
  const stampImage = program.command('stamp-image').description('ảnh chữ ký tay và con dấu cho chữ ký hiển thị / signature pictures and seals for visible stamps');
  const owner = async (ctx: Context, o: { holder?: string; agency?: string }): Promise<{ kind: StampImageKind; owner: string }> => {
    if (!o.holder === !o.agency) throw new InvalidInputError('--holder', 'exactly one of --holder MAILBOX (signature picture) and --agency CODE (seal)', 'đúng một trong --holder HỘP_THƯ (ảnh chữ ký) và --agency MÃ (con dấu)');
    if (o.holder) {
      if (!(await getMailbox(ctx.db, o.holder.trim().toLowerCase()))) throw new InvalidInputError('--holder', 'an existing mailbox', 'hộp thư đã có', o.holder);
      return { kind: 'signature', owner: o.holder.trim().toLowerCase() };
    }
    if (!(await getAgency(ctx.db, o.agency!.trim()))) throw new InvalidInputError('--agency', 'an existing agency code', 'mã cơ quan đã có', o.agency);
    return { kind: 'seal', owner: o.agency!.trim() };
  };
  dataOption(stampImage.command('set <png>').description('lưu ảnh (PNG nền trong suốt) / store a picture (PNG with a transparent background)'))
    .option('--holder <mailbox>', 'ảnh chữ ký tay của người giữ chứng thư / the holder\'s signature picture')
    .option('--agency <code>', 'ảnh con dấu của cơ quan / the agency\'s seal')
    .action(
      withContext(async (ctx, file: string, o: { holder?: string; agency?: string }) => {
        const who = await owner(ctx, o);
        const saved = await saveStampImage(ctx.config.dataDir, who.kind, who.owner, new Uint8Array(readFileSync(file)));
        process.stderr.write(`Đã lưu / saved: ${saved}\n`);
      }),
    );
  dataOption(stampImage.command('remove').description('xoá ảnh / remove a picture'))
    .option('--holder <mailbox>', 'ảnh chữ ký tay / signature picture')
    .option('--agency <code>', 'ảnh con dấu / seal')
    .action(
      withContext(async (ctx, o: { holder?: string; agency?: string }) => {
        if (!o.holder === !o.agency) throw new InvalidInputError('--holder', 'exactly one of --holder and --agency', 'đúng một trong --holder và --agency');
        const kind: StampImageKind = o.holder ? 'signature' : 'seal';
        const removed = removeStampImage(ctx.config.dataDir, kind, (o.holder ?? o.agency)!.trim());
        process.stderr.write(removed ? 'Đã xoá / removed\n' : 'Không có ảnh / no picture stored\n');
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
