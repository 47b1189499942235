import * as pkijs from 'pkijs';
import type { Sequelize } from 'sequelize';
import type { Kek } from '../core/kek.js';
import { listCas } from './ca.js';
import type { ChainValidator } from './cms/index.js';
import { validatePath, type Purpose } from './pathvalidation/index.js';
import { currentCrl } from './revocation.js';
import { berInput, certificateFromDer, derBlocks } from './x509.js';

/**
 * The trust model: a signature is trusted when its certificate chains to one of our roots (our own
 * root, or the national root above our sub-CA) or to a root the operator names explicitly. Every CA
 * certificate on the path must be unrevoked per its CRL; without revocation data the answer is
 * INDETERMINATE, never "good".
 */
export interface TrustMaterial {
  anchors: pkijs.Certificate[];
  intermediates: pkijs.Certificate[];
  crls: pkijs.CertificateRevocationList[];
}

export function emptyTrust(): TrustMaterial {
  return { anchors: [], intermediates: [], crls: [] };
}

/** Our CAs from the database: roots as anchors, the rest as intermediates, with their current CRLs. */
export async function ourTrust(db: Sequelize, kek: Kek): Promise<TrustMaterial> {
  const t = emptyTrust();
  for (const ca of await listCas(db)) {
    if (!ca.cert_der || ca.status !== 'active') continue;
    const cert = certificateFromDer(ca.cert_der);
    (ca.parent_id === null ? t.anchors : t.intermediates).push(cert);
    if (ca.key_sealed) t.crls.push(pkijs.CertificateRevocationList.fromBER(berInput(await currentCrl(db, kek, ca))));
  }
  return t;
}

/** Adds operator-supplied files (PEM or DER) to trust material. */
export function addFiles(t: TrustMaterial, files: { trust?: Buffer[]; untrusted?: Buffer[]; crls?: Buffer[] }): TrustMaterial {
  for (const f of files.trust ?? []) t.anchors.push(...derBlocks(f, 'CERTIFICATE').map(certificateFromDer));
  for (const f of files.untrusted ?? []) t.intermediates.push(...derBlocks(f, 'CERTIFICATE').map(certificateFromDer));
  for (const f of files.crls ?? []) t.crls.push(...derBlocks(f, 'X509 CRL').map((d) => pkijs.CertificateRevocationList.fromBER(berInput(d))));
  return t;
}

/** purpose: 'smime' for mail, 'document' for PDF and .p7s; 'any' leaves the leaf's key usages unchecked. */
export function chainValidator(t: TrustMaterial, purpose: Purpose = 'any'): ChainValidator {
  return (leaf, untrusted, at) => validatePath({ leaf, trustAnchors: t.anchors, untrusted: [...untrusted, ...t.intermediates], crls: t.crls, at, purpose });
}
