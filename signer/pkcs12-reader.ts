// Reading a PKCS#12 (RFC 7292) so that every certificate comes out as the exact octets of its certBag.
// The structure is walked with asn1js; node-forge is used only for what is PKCS#12-specific (the
// PKCS#12 key derivation for the MAC and the PBE ciphers, PBES2 included). forge's own reader is not
// used: it turns certificates into forge objects and re-encodes them, which changes their bytes.
import { createHmac, createPrivateKey, timingSafeEqual } from 'node:crypto';
import * as asn1js from 'asn1js';
import forge from 'node-forge';
import { GovmailError } from '../core/errors.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
};

// forge's PBE cipher factory (PBES2 and PKCS#12 PBE) is public but missing from its type definitions.
const pbe = (forge.pki as unknown as { pbe: { getCipher(oid: string, params: forge.asn1.Asn1, password: string): forge.cipher.BlockCipher } }).pbe;

const MAC_DIGESTS: Record<string, 'sha1' | 'sha256' | 'sha384' | 'sha512'> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

export interface Pkcs12Bag {
  friendlyName?: string;
  localKeyId?: Buffer;
}
export interface Pkcs12Contents {
  /** Each certificate's DER exactly as stored in its certBag. */
  certificates: (Pkcs12Bag & { der: Uint8Array })[];
  /** Each private key as PKCS#8 PrivateKeyInfo DER. */
  keys: (Pkcs12Bag & { pkcs8: Buffer })[];
}

/** A PKCS#12 that cannot be read: what is wrong, in Vietnamese and English. */
export class Pkcs12Error extends GovmailError {
  constructor(en: string, vi: string) {
    super('PKCS12_INVALID', `PKCS#12: ${en}`, `PKCS#12: ${vi}`);
  }
}

const malformed = (where: string) =>
  new Pkcs12Error(`not a PKCS#12 PFX file (${where} is malformed; expected a .p12/.pfx in DER)`, `không phải tệp PKCS#12 PFX (${where} sai cấu trúc; cần tệp .p12/.pfx dạng DER)`);

const wrongPassword = () =>
  new Pkcs12Error('wrong password (the integrity check or the decryption failed)', 'sai mật khẩu (kiểm tra toàn vẹn hoặc giải mã không thành công)');

function parse(bytes: Uint8Array, where: string): asn1js.AsnType {
  const asn = asn1js.fromBER(bytes);
  if (asn.offset === -1) throw malformed(where);
  return asn.result;
}

/** The elements of a SEQUENCE/SET or of an explicit [n] wrapper. */
function items(node: asn1js.AsnType | undefined, where: string): asn1js.AsnType[] {
  if (!(node instanceof asn1js.Constructed)) throw malformed(where);
  return node.valueBlock.value;
}

function oidOf(node: asn1js.AsnType | undefined, where: string): string {
  if (!(node instanceof asn1js.ObjectIdentifier)) throw malformed(where);
  return node.valueBlock.toString();
}

/** The content of an OCTET STRING, primitive or (BER) constructed, or of an implicit [n] one. */
function octets(node: asn1js.AsnType | undefined, where: string): Uint8Array {
  if (node instanceof asn1js.OctetString) return new Uint8Array(node.getValue());
  if (node instanceof asn1js.Constructed) return Buffer.concat(node.valueBlock.value.map((v) => octets(v, where)));
  if (node instanceof asn1js.Primitive) return new Uint8Array(node.valueBlock.valueHexView);
  throw malformed(where);
}

const der = (node: asn1js.AsnType) => new Uint8Array(node.valueBeforeDecodeView);
const binary = (b: Uint8Array) => Buffer.from(b).toString('binary');

/** PBE decryption (PKCS#12 PBE or PBES2) of `data` with the AlgorithmIdentifier `algorithm`. */
function decrypt(algorithm: asn1js.AsnType, data: Uint8Array, password: string): Buffer {
  const [algOid, params] = items(algorithm, 'an encryption AlgorithmIdentifier');
  const oid = oidOf(algOid, 'an encryption algorithm');
  let cipher: forge.cipher.BlockCipher;
  try {
    // PBES2 derives its key from the password's UTF-8 bytes, PKCS#12 PBE from its BMPString (forge makes
    // that from the JS string), as OpenSSL and NSS do.
    const pass = oid === OID.pbes2 ? forge.util.encodeUtf8(password) : password;
    cipher = pbe.getCipher(oid, forge.asn1.fromDer(binary(der(params!))), pass);
  } catch (e) {
    throw new Pkcs12Error(`unsupported encryption ${oid} (${(e as Error).message}); expected PBES2 or pbeWithSHAAnd3-KeyTripleDES-CBC`, `không hỗ trợ thuật toán mã hoá ${oid}; cần PBES2 hoặc pbeWithSHAAnd3-KeyTripleDES-CBC`);
  }
  cipher.update(forge.util.createBuffer(binary(data)));
  if (!cipher.finish()) throw wrongPassword();
  return Buffer.from(cipher.output.getBytes(), 'binary');
}

/**
 * An EncryptedPrivateKeyInfo's PKCS#8. PBES2 goes to node:crypto (OpenSSL's PBKDF2 is some 50 times
 * faster than forge's JavaScript one at our 100,000 iterations); PKCS#12 PBE to forge.
 */
function decryptKey(info: asn1js.AsnType, password: string): Buffer {
  const [algorithm, encrypted] = items(info, 'an EncryptedPrivateKeyInfo');
  if (oidOf(items(algorithm, 'a key encryption algorithm')[0], 'a key encryption algorithm') !== OID.pbes2)
    return decrypt(algorithm!, octets(encrypted, 'an encrypted key'), password);
  try {
    const key = createPrivateKey({ key: Buffer.from(der(info)), format: 'der', type: 'pkcs8', passphrase: password });
    return key.export({ type: 'pkcs8', format: 'der' });
  } catch {
    throw wrongPassword();
  }
}

function bagAttributes(attrs: asn1js.AsnType | undefined): Pkcs12Bag {
  const out: Pkcs12Bag = {};
  if (!attrs) return out;
  for (const attr of items(attrs, 'bag attributes')) {
    const [type, values] = items(attr, 'a bag attribute');
    const value = items(values, 'a bag attribute value')[0];
    const oid = oidOf(type, 'a bag attribute type');
    if (oid === OID.friendlyName && value instanceof asn1js.BmpString) out.friendlyName = value.valueBlock.value;
    if (oid === OID.localKeyId) out.localKeyId = Buffer.from(octets(value, 'localKeyId'));
  }
  return out;
}

function readSafeContents(bytes: Uint8Array, password: string, out: Pkcs12Contents): void {
  for (const bag of items(parse(bytes, 'SafeContents'), 'SafeContents')) {
    const [bagId, wrapped, attrs] = items(bag, 'a SafeBag');
    const type = oidOf(bagId, 'a SafeBag type');
    const value = items(wrapped, 'a SafeBag value')[0]!;
    const meta = bagAttributes(attrs);
    if (type === OID.certBag) {
      const [certId, certValue] = items(value, 'a CertBag');
      if (oidOf(certId, 'a CertBag type') !== OID.x509Certificate) continue; // SDSI certificates: not ours to read
      out.certificates.push({ ...meta, der: octets(items(certValue, 'a CertBag value')[0], 'a CertBag value') });
    } else if (type === OID.keyBag) {
      out.keys.push({ ...meta, pkcs8: Buffer.from(der(value)) });
    } else if (type === OID.shroudedKeyBag) {
      out.keys.push({ ...meta, pkcs8: decryptKey(value, password) });
    } else if (type === OID.safeContentsBag) {
      readSafeContents(der(value), password, out);
    }
    // CRL and secret bags carry nothing a signer needs.
  }
}

/** Checks the HMAC of the authenticated safe (RFC 7292 §5.1, key from the PKCS#12 KDF, ID 3). */
function checkMac(macData: asn1js.AsnType, authSafe: Uint8Array, password: string): void {
  const [digestInfo, salt, iterations] = items(macData, 'MacData');
  const [algorithm, mac] = items(digestInfo, 'the MAC DigestInfo');
  const oid = oidOf(items(algorithm, 'the MAC algorithm')[0], 'the MAC algorithm');
  const digest = MAC_DIGESTS[oid];
  if (!digest) throw new Pkcs12Error(`unsupported MAC digest ${oid} (expected SHA-1 or SHA-2)`, `không hỗ trợ hàm băm MAC ${oid} (cần SHA-1 hoặc SHA-2)`);
  const count = iterations instanceof asn1js.Integer ? iterations.valueBlock.valueDec : 1;
  const md = forge.md[digest].create();
  const key = forge.pkcs12.generateKey(password, forge.util.createBuffer(binary(octets(salt, 'the MAC salt'))), 3, count, md.digestLength, md);
  const expected = createHmac(digest, Buffer.from(key.getBytes(), 'binary')).update(authSafe).digest();
  const actual = Buffer.from(octets(mac, 'the MAC'));
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw wrongPassword();
}

/** Opens a PKCS#12: checks its MAC, decrypts what is encrypted, returns its certificates and keys. */
export function readPkcs12(file: Uint8Array, password: string): Pkcs12Contents {
  if (!(file instanceof Uint8Array) || file.byteLength === 0) throw malformed('the file');
  const [version, authSafeInfo, macData] = items(parse(file, 'the PFX'), 'the PFX');
  if (!(version instanceof asn1js.Integer) || version.valueBlock.valueDec !== 3) throw malformed('the PFX version');
  const [contentType, content] = items(authSafeInfo, 'the authenticated safe');
  if (oidOf(contentType, 'the authenticated safe type') !== OID.data)
    throw new Pkcs12Error('public-key integrity mode is not supported (expected a password-protected file)', 'không hỗ trợ chế độ toàn vẹn bằng khoá công khai (cần tệp bảo vệ bằng mật khẩu)');
  const authSafe = octets(items(content, 'the authenticated safe')[0], 'the authenticated safe');
  if (macData) checkMac(macData, authSafe, password);

  const out: Pkcs12Contents = { certificates: [], keys: [] };
  for (const info of items(parse(authSafe, 'the authenticated safe'), 'the authenticated safe')) {
    const [type, wrapped] = items(info, 'a ContentInfo');
    const oid = oidOf(type, 'a ContentInfo type');
    const inner = items(wrapped, 'a ContentInfo content')[0];
    if (oid === OID.data) readSafeContents(octets(inner, 'a data ContentInfo'), password, out);
    else if (oid === OID.encryptedData) {
      const [, encryptedContentInfo] = items(inner, 'an EncryptedData');
      const [, algorithm, encrypted] = items(encryptedContentInfo, 'an EncryptedContentInfo');
      readSafeContents(decrypt(algorithm!, octets(encrypted, 'the encrypted content'), password), password, out);
    } else throw new Pkcs12Error(`unsupported content ${oid} (expected data or encryptedData)`, `không hỗ trợ nội dung ${oid} (cần data hoặc encryptedData)`);
  }
  return out;
}
