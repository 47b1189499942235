import { createCipheriv, createHash, createHmac, type KeyObject } from 'node:crypto';
import forge from 'node-forge';

/**
 * PKCS#12 with node-forge (the only job forge does here). forge can only wrap RSA keys, and its own
 * writer re-encodes certificates, so the PFX is assembled from its parts: node:crypto gives the PKCS#8
 * of any key, the certificates go in as the exact bytes they were issued as, forge encrypts the key.
 * Modern (what OpenSSL 3 writes): key in PBES2 AES-256-CBC / PBKDF2-HMAC-SHA-256, certificates in
 * plain data, HMAC-SHA-256 MAC. Legacy (for gpgsm 2.2 and Windows before 10 1709, which cannot open
 * PBES2): key and certificates in pbeWithSHAAnd3-KeyTripleDES-CBC, HMAC-SHA1 MAC — weaker, on request.
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
  sha1: '1.3.14.3.2.26',
  encryptedData: '1.2.840.113549.1.7.6',
  pbeSha1TripleDes: '1.2.840.113549.1.12.1.3',
};

/** Iterations of the PKCS#12 KDF for the MAC, and of every legacy PBE: OpenSSL's default (2048). */
const PKCS12_ITERATIONS = 2048;
/** PBKDF2 iterations for the modern key bag. */
const PBKDF2_ITERATIONS = 100_000;

// forge writes a BMPSTRING's value from the JS string itself (UTF-16 code units): give it the text, not
// pre-encoded bytes, or every character is doubled with a zero byte and readers see an empty name.
function bagAttributes(localKeyId: string | undefined, friendlyName: string | undefined): forge.asn1.Asn1[] {
  const attrs: forge.asn1.Asn1[] = [];
  if (friendlyName) attrs.push(seq([oid(OIDS.friendlyName), set([asn1.create(U, asn1.Type.BMPSTRING, false, friendlyName)])]));
  if (localKeyId) attrs.push(seq([oid(OIDS.localKeyId), set([octets(localKeyId)])]));
  return attrs.length ? [set(attrs)] : [];
}



const dataContentInfo = (safeContents: forge.asn1.Asn1) => seq([oid(OIDS.data), explicit0(octets(asn1.toDer(safeContents).getBytes()))]);

export interface Pkcs12Input {
  privateKey: KeyObject;
  /** The holder's certificate first, then the chain up to the root, each as the exact DER issued. */
  certificates: Uint8Array[];
  password: string;
  /** The holder's name, shown by Windows, NSS and OpenSSL; on the key bag and the holder's certificate bag. */
  friendlyName: string;
  /** pbeWithSHAAnd3-KeyTripleDES-CBC and an HMAC-SHA1 MAC for old readers; weaker than the default. */
  legacy?: boolean;
}

const integer = (n: number) => asn1.create(U, asn1.Type.INTEGER, false, asn1.integerToDer(n).getBytes());
const pkcs12PbeParams = (salt: string) => seq([octets(salt), integer(PKCS12_ITERATIONS)]);

/** EncryptedData (RFC 5652 §8) holding SafeContents under pbeWithSHAAnd3-KeyTripleDES-CBC. */
function tripleDesContentInfo(safeContents: forge.asn1.Asn1, password: string): forge.asn1.Asn1 {
  const salt = forge.random.getBytesSync(8);
  const kdf = (id: number, n: number) => Buffer.from(forge.pkcs12.generateKey(password, forge.util.createBuffer(salt), id, PKCS12_ITERATIONS, n).getBytes(), 'binary');
  const cipher = createCipheriv('des-ede3-cbc', kdf(1, 24), kdf(2, 8));
  const encrypted = Buffer.concat([cipher.update(Buffer.from(asn1.toDer(safeContents).getBytes(), 'binary')), cipher.final()]);
  const encryptedContentInfo = seq([
    oid(OIDS.data),
    seq([oid(OIDS.pbeSha1TripleDes), pkcs12PbeParams(salt)]),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, binary(encrypted)),
  ]);
  return seq([oid(OIDS.encryptedData), explicit0(seq([integer(0), encryptedContentInfo]))]);
}

/** MacData: HMAC over the authenticated safe with a key from the PKCS#12 KDF (ID 3). */
function macData(authSafeDer: string, password: string, legacy: boolean): forge.asn1.Asn1 {
  const [digest, oidOfDigest] = legacy ? ['sha1', OIDS.sha1] as const : ['sha256', OIDS.sha256] as const;
  const md = forge.md[digest].create();
  const salt = forge.random.getBytesSync(legacy ? 8 : 16);
  const key = forge.pkcs12.generateKey(password, forge.util.createBuffer(salt), 3, PKCS12_ITERATIONS, md.digestLength, md);
  const mac = createHmac(digest, Buffer.from(key.getBytes(), 'binary')).update(Buffer.from(authSafeDer, 'binary')).digest();
  return seq([seq([seq([oid(oidOfDigest), asn1.create(U, asn1.Type.NULL, false, '')]), octets(binary(mac))]), octets(salt), integer(PKCS12_ITERATIONS)]);
}

export function buildPkcs12({ privateKey, certificates, password, friendlyName, legacy = false }: Pkcs12Input): Buffer {
  const localKeyId = createHash('sha1').update(certificates[0]!).digest('binary');
  const certBags = certificates.map((der, i) =>
    seq([oid(OIDS.certBag), explicit0(seq([oid(OIDS.x509Certificate), explicit0(octets(binary(der)))])), ...(i === 0 ? bagAttributes(localKeyId, friendlyName) : [])]),
  );
  const pkcs8 = asn1.fromDer(binary(privateKey.export({ type: 'pkcs8', format: 'der' })));
  // PBES2 derives from the UTF-8 bytes of the password, as OpenSSL does, so Vietnamese passwords work;
  // PKCS#12 PBE from its BMPString, which forge makes from the JS string.
  const encryptedKey = legacy
    ? pki.encryptPrivateKeyInfo(pkcs8, password, { algorithm: '3des', count: PKCS12_ITERATIONS, saltSize: 8 })
    : pki.encryptPrivateKeyInfo(pkcs8, forge.util.encodeUtf8(password), { algorithm: 'aes256', count: PBKDF2_ITERATIONS, saltSize: 16, prfAlgorithm: 'sha256' });
  const keyBag = seq([oid(OIDS.shroudedKeyBag), explicit0(encryptedKey), ...bagAttributes(localKeyId, friendlyName)]);
  const certInfo = legacy ? tripleDesContentInfo(seq(certBags), password) : dataContentInfo(seq(certBags));
  const authSafeDer = asn1.toDer(seq([certInfo, dataContentInfo(seq([keyBag]))])).getBytes();
  const pfx = seq([integer(3), seq([oid(OIDS.data), explicit0(octets(authSafeDer))]), macData(authSafeDer, password, legacy)]);
  return Buffer.from(asn1.toDer(pfx).getBytes(), 'binary');
}
