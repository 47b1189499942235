// Test material for PDF signatures: PDFs made with pdf-lib (classic xref or xref stream), a small
// PKI made with openssl (root → issuing CA → a person, an organisation, a TSA), an RFC 3161
// Timestamper built on `openssl ts -reply`, an NSS database for pdfsig, and pdfsig itself.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fontkit from '@pdf-lib/fontkit';
import { PDFDocument, rgb } from 'pdf-lib';
import type * as pkijs from 'pkijs';
import type { RevocationSource } from '../../signer/pdf/index.js';
import type { Timestamper } from '../../signer/tsa/types.js';
import type { Sequelize } from '../../core/db.js';
import { allMigrations } from '../../cli/migrations.js';
import { govmail } from './cli.js';
import { freshDatabase } from './postgres.js';

const pem = (cert: pkijs.Certificate) =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(cert.toSchema().toBER(false)).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;

const DEJAVU = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

const LINES = [
  'ỦY BAN NHÂN DÂN TỈNH BẮC NINH',
  'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM — Độc lập – Tự do – Hạnh phúc',
  'Số: 123/UBND-VP          Bắc Ninh, ngày 15 tháng 3 năm 2026',
  'V/v: triển khai hệ thống thư công vụ và chữ ký số chuyên dùng',
  'Kính gửi: Các sở, ban, ngành; UBND các huyện, thị xã, thành phố.',
];

/** A PDF of `pages` pages of Vietnamese text in embedded DejaVu Sans, saved with a classic xref table or an xref stream. */
export async function makeTestPdf(o: { pages?: number; xref?: 'table' | 'stream' } = {}): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  doc.setTitle('Công văn số 123/UBND-VP');
  doc.setAuthor('Văn phòng UBND tỉnh Bắc Ninh');
  const font = await doc.embedFont(readFileSync(DEJAVU), { subset: true });
  for (let p = 0; p < (o.pages ?? 20); p++) {
    const page = doc.addPage([595.28, 841.89]);
    LINES.forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * 22, size: 11, font, color: rgb(0, 0, 0) }));
    for (let i = 0; i < 25; i++) {
      page.drawText(`Trang ${p + 1}, đoạn ${i + 1}: các cơ quan, đơn vị thực hiện nghiêm túc nội dung văn bản này.`, { x: 50, y: 650 - i * 22, size: 10, font });
    }
  }
  return doc.save({ useObjectStreams: o.xref === 'stream' });
}

/**
 * A two-page official letter of `agency`; page 2 ends with "Nơi nhận:" and the recipients on the left,
 * where a leader's stamp goes.
 */
export async function makeLetter(o: { agency: string; xref?: 'table' | 'stream' }): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const font = await doc.embedFont(readFileSync(DEJAVU), { subset: true });
  const black = rgb(0, 0, 0);
  const size: [number, number] = [595.28, 841.89];
  const p1 = doc.addPage(size);
  p1.drawText(o.agency, { x: 50, y: 780, size: 12, font, color: black });
  p1.drawText('Số: 456/SNV-VP', { x: 50, y: 760, size: 12, font, color: black });
  for (let i = 0; i < 25; i++) p1.drawText(`Đoạn ${i + 1}: các cơ quan, đơn vị thực hiện nghiêm túc nội dung văn bản này.`, { x: 50, y: 700 - i * 22, size: 10, font, color: black });
  const p2 = doc.addPage(size);
  for (let i = 0; i < 12; i++) p2.drawText(`Điều ${i + 1}. Tổ chức thực hiện theo đúng quy định hiện hành.`, { x: 50, y: 780 - i * 22, size: 10, font, color: black });
  p2.drawText('Nơi nhận:', { x: 50, y: 400, size: 12, font, color: black });
  ['- Như trên;', '- Lưu: VT, VP.'].forEach((t, i) => p2.drawText(t, { x: 50, y: 384 - i * 14, size: 10, font, color: black }));
  return doc.save({ useObjectStreams: o.xref === 'stream' });
}

export interface TestIdentity {
  name: string;
  key: string;
  cert: string;
  p12: string;
  password: string;
}

/** A throw-away PKI under `dir`, made with openssl. */
export class TestPki {
  readonly password = 'Mật-khẩu 2026';
  private tsCounter = 0;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  f(name: string): string {
    return path.join(this.dir, name);
  }

  openssl(args: string[], input?: string | Uint8Array): Buffer {
    return execFileSync('openssl', args, { cwd: this.dir, stdio: ['pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) });
  }

  /** Root (self-signed) and issuing CA, as our own CA is laid out. */
  makeCas(): void {
    this.openssl(['req', '-x509', '-utf8', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root.key', '-out', 'root.pem', '-days', '60', '-sha256',
      '-subj', '/C=VN/O=Ban Cơ yếu Chính phủ (thử nghiệm)/CN=GovMail Test Root CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-addext', 'subjectKeyIdentifier=hash']);
    this.openssl(['req', '-new', '-utf8', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'issuing.key', '-out', 'issuing.csr', '-subj', '/C=VN/O=UBND tỉnh Thử Nghiệm/CN=GovMail Test Issuing CA']);
    writeFileSync(this.f('issuing.ext'), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
    this.openssl(['x509', '-req', '-in', 'issuing.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '50', '-sha256', '-extfile', 'issuing.ext', '-out', 'issuing.pem']);
    writeFileSync(this.f('chain.pem'), readFileSync(this.f('issuing.pem'), 'utf8') + readFileSync(this.f('root.pem'), 'utf8'));
  }

  /** A leaf from the issuing CA, exported as PKCS#12 with the chain. */
  issue(name: string, subject: string, keyArgs: string[], ext: string): TestIdentity {
    this.openssl(['genpkey', ...keyArgs, '-out', `${name}.key`]);
    this.openssl(['req', '-new', '-utf8', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`]);
    writeFileSync(this.f(`${name}.ext`), `${ext}\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n`);
    this.openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'issuing.pem', '-CAkey', 'issuing.key', '-CAcreateserial', '-days', '30', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
    this.openssl(['pkcs12', '-export', '-in', `${name}.pem`, '-inkey', `${name}.key`, '-certfile', 'chain.pem', '-passout', `pass:${this.password}`, '-out', `${name}.p12`]);
    return { name, key: this.f(`${name}.key`), cert: this.f(`${name}.pem`), p12: this.f(`${name}.p12`), password: this.password };
  }

  person(name = 'huong', commonName = 'Nguyễn Thị Hương', cccd = '027190001234'): TestIdentity {
    return this.issue(name, `/C=VN/ST=Bắc Ninh/O=Sở Nội vụ tỉnh Bắc Ninh/title=Chuyên viên/CN=${commonName}/UID=CCCD:${cccd}`,
      ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=emailProtection\nsubjectAltName=email:${name}@snv.bacninh.gov.vn`);
  }

  organisation(name = 'ubnd'): TestIdentity {
    return this.issue(name, '/C=VN/ST=Bắc Ninh/O=UBND tỉnh Bắc Ninh/CN=Văn phòng UBND tỉnh Bắc Ninh/UID=MST:2300123456',
      ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=emailProtection\nsubjectAltName=email:vanthu@bacninh.gov.vn');
  }

  /** A TSA certificate (EKU timeStamping, critical, as RFC 3161 §2.3 requires) and the `openssl ts` config. */
  tsa(): TestIdentity {
    const id = this.issue('tsa', '/C=VN/O=UBND tỉnh Thử Nghiệm/CN=GovMail Test TSA', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping');
    writeFileSync(this.f('tsaserial'), '01\n');
    writeFileSync(this.f('tsa.cnf'), [
      '[ tsa ]', 'default_tsa = tsa_config', '[ tsa_config ]', `serial = ${this.f('tsaserial')}`, 'crypto_device = builtin',
      'signer_digest = sha256', 'default_policy = 1.3.6.1.4.1.32473.1.9.1', 'digests = sha256, sha384, sha512', 'accuracy = secs:1',
      'ordering = no', 'tsa_name = yes', 'ess_cert_id_chain = no', 'ess_cert_id_alg = sha256', '',
    ].join('\n'));
    return id;
  }

  /** A Timestamper answering with `openssl ts -reply` (the token carries the TSA certificate and chain). */
  timestamper(): Timestamper {
    return async (digest, hash) => {
      const n = ++this.tsCounter;
      this.openssl(['ts', '-query', '-digest', digest.toString('hex'), `-${hash}`, '-cert', '-no_nonce', '-out', `q${n}.tsq`]);
      this.openssl(['ts', '-reply', '-config', 'tsa.cnf', '-queryfile', `q${n}.tsq`, '-signer', 'tsa.pem', '-inkey', 'tsa.key', '-chain', 'chain.pem', '-token_out', '-out', `t${n}.der`]);
      return readFileSync(this.f(`t${n}.der`));
    };
  }

  /**
   * Revocation material as a B-LT signer would fetch it: the issuing CA's CRL (`openssl ca -gencrl`)
   * and an OCSP "good" answer for the leaf (`openssl ocsp` as an offline responder).
   */
  revocationSource(): RevocationSource {
    return async (chain) => {
      const leaf = this.f('rev-leaf.pem');
      writeFileSync(leaf, pem(chain[0]!));
      const serial = this.openssl(['x509', '-in', leaf, '-noout', '-serial']).toString().trim().split('=')[1]!;
      writeFileSync(this.f('index.txt'), `V\t351231235959Z\t\t${serial}\tunknown\t/CN=leaf\n`);
      writeFileSync(this.f('crlnumber'), '1000\n');
      writeFileSync(this.f('ca.cnf'), '[ ca ]\ndefault_ca = ca_default\n[ ca_default ]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 7\n');
      this.openssl(['ca', '-gencrl', '-config', 'ca.cnf', '-keyfile', 'issuing.key', '-cert', 'issuing.pem', '-out', 'issuing.crl.pem']);
      this.openssl(['crl', '-in', 'issuing.crl.pem', '-outform', 'DER', '-out', 'issuing.crl']);
      this.openssl(['ocsp', '-index', 'index.txt', '-rsigner', 'issuing.pem', '-rkey', 'issuing.key', '-CA', 'issuing.pem', '-issuer', 'issuing.pem', '-cert', leaf, '-respout', 'leaf.ocsp', '-ndays', '1']);
      return { crls: [readFileSync(this.f('issuing.crl'))], ocsps: [readFileSync(this.f('leaf.ocsp'))] };
    };
  }

  /** An NSS database trusting our root, so pdfsig's certificate check means something. */
  nssDb(): string {
    const db = this.f('nssdb');
    mkdirSync(db, { recursive: true });
    execFileSync('certutil', ['-N', '-d', `sql:${db}`, '--empty-password'], { stdio: 'pipe' });
    execFileSync('certutil', ['-A', '-d', `sql:${db}`, '-n', 'govmail-test-root', '-t', 'CT,C,C', '-i', this.f('root.pem')], { stdio: 'pipe' });
    return db;
  }
}

export interface PdfsigSignature {
  index: number;
  text: string;
  signerName?: string;
  signatureValidation?: string;
  certificateValidation?: string;
  signatureType?: string;
  totalDocumentSigned?: boolean;
  byteRange?: string;
}

export interface PdfsigResult {
  code: number | null;
  stdout: string;
  stderr: string;
  signatures: PdfsigSignature[];
}

const field = (text: string, label: string) => new RegExp(`^\\s*- ${label}: (.*)$`, 'm').exec(text)?.[1]?.trim();

/** Runs pdfsig and splits its report per signature. */
export function pdfsig(file: string, o: { nssdir?: string; nocert?: boolean } = {}): PdfsigResult {
  // Not -no-ocsp: Poppler 22.12 then reports "Unknown issue with Certificate" even for a trusted
  // chain. Our test certificates name no OCSP responder, so nothing is fetched anyway.
  const args = [...(o.nssdir ? ['-nssdir', `sql:${o.nssdir}`] : []), ...(o.nocert ? ['-nocert'] : []), file];
  const r = spawnSync('pdfsig', args, { encoding: 'utf8' });
  const blocks = r.stdout.split(/^(?=Signature #\d+:)/m).filter((b) => b.startsWith('Signature #'));
  const signatures = blocks.map((text) => {
    const sig: PdfsigSignature = { index: Number(/^Signature #(\d+)/.exec(text)![1]), text };
    const set = <K extends keyof PdfsigSignature>(k: K, v: PdfsigSignature[K] | undefined) => v !== undefined && (sig[k] = v);
    set('signerName', field(text, 'Signer Certificate Common Name'));
    set('signatureValidation', field(text, 'Signature Validation'));
    set('certificateValidation', field(text, 'Certificate Validation'));
    set('signatureType', field(text, 'Signature Type'));
    set('byteRange', field(text, 'Signed Ranges'));
    // Poppler prints "- Total document signed" or "- Not total document signed".
    if (/^\s*- Not total document signed$/m.test(text)) sig.totalDocumentSigned = false;
    else if (/^\s*- Total document signed$/m.test(text)) sig.totalDocumentSigned = true;
    return sig;
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, signatures };
}

/**
 * A CA made with `govmail ca init` in a fresh database, and holders issued as PKCS#12 files
 * (`NAME.p12`, password `mat-khau-dai`, certificate in `NAME.pem`) through `govmail cert issue`.
 * `cli` runs further govmail commands against the same data folder and database.
 */
export async function cliPki(
  file: (name: string) => string,
  dataDir: string,
  holders: Array<{ name: string; profile: 'individual' | 'organisation'; subject: Record<string, string> }>,
  algorithm: 'p-256' | 'rsa-2048',
): Promise<{ db: Sequelize; cli: (args: string[], input?: string) => ReturnType<typeof govmail> }> {
  const fresh = await freshDatabase(allMigrations());
  const env = { DATABASE_URL: fresh.url, GOVMAIL_LOG_LEVEL: 'warn', GOVMAIL_PKI_URL: 'http://ca.thu.gov.vn/pki' };
  const cli = (args: string[], input?: string) => govmail([...args, '--data', dataDir], { env, input });
  const init = await cli(['ca', 'init', '--organization', 'UBND tỉnh Thử Nghiệm', '--province', 'Thử Nghiệm', '--algorithm', 'p-256']);
  if (init.code !== 0) throw new Error(`ca init: ${init.stderr}`);
  for (const h of holders) {
    writeFileSync(file(`${h.name}.json`), JSON.stringify(h.subject));
    const issued = await cli(['cert', 'issue', '--profile', h.profile, '--subject-json', file(`${h.name}.json`), '--p12', file(`${h.name}.p12`), '--password-stdin', '--algorithm', algorithm, '--out', file(`${h.name}.pem`)], 'mat-khau-dai');
    if (issued.code !== 0) throw new Error(`cert issue ${h.name}: ${issued.stderr}`);
  }
  return { db: fresh.db, cli };
}
