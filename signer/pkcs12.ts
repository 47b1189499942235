import { createHash, type KeyObject } from 'node:crypto';
import forge from 'node-forge';

/**
 * PKCS#12 with node-forge (the only job forge does here). forge can only wrap RSA keys itself, so the
 * PFX is assembled from its parts: node:crypto gives the PKCS#8 of any key, forge encrypts it (PBES2,
 * AES-256-CBC, PBKDF2-HMAC-SHA-256) and MACs the whole (HMAC-SHA-256), which OpenSSL 3 and NSS open.
 */
const { asn1, pki } = forge;
const U = asn1.Class.UNIVERSAL;
const seq = (v: forge.asn1.Asn1[]) => asn1.create(U, asn1.Type.SEQUENCE, true, v);
const set = (v: forge.asn1.Asn1[]) => asn1.create(U, asn1.Type.SET, true, v);
const oid = (o: string) => asn1.create(U, asn1.Type.OID, false, asn1.oidToDer(o).getBytes());
const octets = (bytes: string) => asn1.create(U, asn1.Type.OCTETSTRING, false, bytes);
const explicit0 = (v: forge.asn1.Asn1) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [v]);
const binary = (b: Uint8Array) => Buffer.from(b).toString('binary');

const OIDS = {
  data: '1.2.840.113549.1.7.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  sha256: '2.16.840.1.101.3.4.2.1',
};

function bagAttributes(localKeyId: string | undefined, friendlyName: string | undefined): forge.asn1.Asn1[] {
  const attrs: forge.asn1.Asn1[] = [];
  if (friendlyName) attrs.push(seq([oid(OIDS.friendlyName), set([asn1.create(U, asn1.Type.BMPSTRING, false, bmp(friendlyName))])]));
  if (localKeyId) attrs.push(seq([oid(OIDS.localKeyId), set([octets(localKeyId)])]));
  return attrs.length ? [set(attrs)] : [];
}

function bmp(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out += String.fromCharCode(c >> 8, c & 0xff);
  }
  return out;
}

const dataContentInfo = (safeContents: forge.asn1.Asn1) => seq([oid(OIDS.data), explicit0(octets(asn1.toDer(safeContents).getBytes()))]);

export interface Pkcs12Input {
  privateKey: KeyObject;
  /** The holder's certificate first, then the chain up to the root. */
  certificates: Uint8Array[];
  password: string;
  friendlyName?: string;
}

export function buildPkcs12({ privateKey, certificates, password, friendlyName }: Pkcs12Input): Buffer {
  const localKeyId = createHash('sha1').update(certificates[0]).digest('binary');
  const certBags = certificates.map((der, i) =>
    seq([oid(OIDS.certBag), explicit0(seq([oid(OIDS.x509Certificate), explicit0(octets(binary(der)))])), ...(i === 0 ? bagAttributes(localKeyId, friendlyName) : [])]),
  );
  const pkcs8 = asn1.fromDer(binary(privateKey.export({ type: 'pkcs8', format: 'der' })));
  // PBES2 derives from the UTF-8 bytes of the password, as OpenSSL does, so Vietnamese passwords work.
  const encryptedKey = pki.encryptPrivateKeyInfo(pkcs8, forge.util.encodeUtf8(password), { algorithm: 'aes256', count: 100_000, saltSize: 16, prfAlgorithm: 'sha256' } as any);
  const keyBag = seq([oid(OIDS.shroudedKeyBag), explicit0(encryptedKey), ...bagAttributes(localKeyId, friendlyName)]);
  const authSafe = seq([dataContentInfo(seq(certBags)), dataContentInfo(seq([keyBag]))]);
  const authSafeDer = asn1.toDer(authSafe).getBytes();

  const salt = forge.random.getBytesSync(16);
  const iterations = 2048;
  const macKey = forge.pkcs12.generateKey(password, forge.util.createBuffer(salt), 3, iterations, 32, forge.md.sha256.create());
  const hmac = forge.hmac.create();
  hmac.start(forge.md.sha256.create(), macKey);
  hmac.update(authSafeDer);
  const macData = seq([
    seq([seq([oid(OIDS.sha256), asn1.create(U, asn1.Type.NULL, false, '')]), octets(hmac.digest().getBytes())]),
    octets(salt),
    asn1.create(U, asn1.Type.INTEGER, false, asn1.integerToDer(iterations).getBytes()),
  ]);
  const pfx = seq([asn1.create(U, asn1.Type.INTEGER, false, asn1.integerToDer(3).getBytes()), seq([oid(OIDS.data), explicit0(octets(authSafeDer))]), macData]);
  return Buffer.from(asn1.toDer(pfx).getBytes(), 'binary');
}
