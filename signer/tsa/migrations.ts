import type { Migration } from '../../core/db.js';

/**
 * The TSA's private keys. Each key's certificate is an ordinary row of signer_certificates (profile
 * 'tsa'), so it shows in the register, on CRLs and in OCSP and can be revoked like any other; only
 * the key, sealed with the KEK, lives here.
 */
export const tsaMigrations: Migration[] = [
  {
    name: 'signer-tsa-0001-keys',
    up: async (db) => {
      await db.query(`
        CREATE TABLE signer_tsa_keys (
          serial text PRIMARY KEY REFERENCES signer_certificates(serial),
          key_sealed text NOT NULL,                  -- PKCS#8 PEM sealed with the KEK, context tsa:<serial>
          created_at timestamptz NOT NULL DEFAULT now()
        );
      `);
    },
  },
];
