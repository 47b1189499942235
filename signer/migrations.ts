import type { Migration } from '../core/db.js';
import { tsaMigrations } from './tsa/migrations.js';

/** signer owns its CAs, the certificates they issued, CRLs, PIN throttling for server-held keys and the signature record. */
export const signerMigrations: Migration[] = [
  {
    name: 'signer-0001-ca-certificates-crls',
    up: async (db) => {
      await db.query(`
        CREATE TABLE signer_cas (
          id serial PRIMARY KEY,
          name text NOT NULL UNIQUE,                 -- used in /pki URLs
          role text NOT NULL CHECK (role IN ('root','issuing','external')),
          status text NOT NULL CHECK (status IN ('pending','active','retired')),
          subject_dn text NOT NULL,
          algorithm text,
          cert_der bytea,                            -- null while a sub-CA CSR waits for the national root
          key_sealed text,                           -- null for external CAs (we hold no key)
          parent_id integer REFERENCES signer_cas(id),
          crl_number bigint NOT NULL DEFAULT 0,
          ocsp_cert_der bytea,
          ocsp_key_sealed text,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE UNIQUE INDEX signer_one_active_issuing ON signer_cas (role) WHERE role = 'issuing' AND status = 'active';
        CREATE TABLE signer_certificates (
          serial text PRIMARY KEY,                   -- lowercase hex of the DER INTEGER
          ca_id integer NOT NULL REFERENCES signer_cas(id),
          profile text NOT NULL,
          subject jsonb NOT NULL,
          subject_dn text NOT NULL,
          email text,
          cert_der bytea NOT NULL,
          not_before timestamptz NOT NULL,
          not_after timestamptz NOT NULL,
          key_origin text NOT NULL CHECK (key_origin IN ('csr','p12','server')),
          key_sealed text,                           -- server-held keys only: PIN-encrypted, then KEK-sealed
          status text NOT NULL DEFAULT 'good' CHECK (status IN ('good','revoked')),
          revoked_at timestamptz,
          revocation_reason smallint,
          issued_by text NOT NULL,
          renewal_of text REFERENCES signer_certificates(serial),
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX signer_certificates_email ON signer_certificates (lower(email));
        CREATE INDEX signer_certificates_not_after ON signer_certificates (not_after) WHERE status = 'good';
        CREATE TABLE signer_crls (
          ca_id integer NOT NULL REFERENCES signer_cas(id),
          crl_number bigint NOT NULL,
          this_update timestamptz NOT NULL,
          next_update timestamptz NOT NULL,
          der bytea NOT NULL,
          PRIMARY KEY (ca_id, crl_number)
        );
        CREATE TABLE signer_pin_failures (
          serial text PRIMARY KEY REFERENCES signer_certificates(serial),
          failures integer NOT NULL DEFAULT 0,
          locked_until timestamptz
        );
      `);
    },
  },
  ...tsaMigrations,
  // Every signature the server makes with a key it holds, with the document's metadata (signer/documents.ts).
  {
    name: 'signer-0002-signatures',
    up: async (db) => {
      await db.query(`
        CREATE TABLE signer_signatures (
          id bigserial PRIMARY KEY,
          serial text NOT NULL REFERENCES signer_certificates(serial),
          holder text NOT NULL,                      -- the certificate holder's mailbox (lower case)
          agency_code text,                          -- the holder's agency when known (admin's code; no FK across modules)
          kind text NOT NULL CHECK (kind IN ('pdf','smime','cms')),
          level text,                                -- B-B, B-T, B-LT (S/MIME and CMS: CAdES-BES = B-B)
          doc_number text,
          doc_date date,
          urgency text NOT NULL DEFAULT 'thuong' CHECK (urgency IN ('thuong','khan','thuong-khan','hoa-toc')),
          classification text NOT NULL DEFAULT 'none' CHECK (classification IN ('none','mat','toi-mat','tuyet-mat')),
          output_sha256 text NOT NULL CHECK (output_sha256 ~ '^[0-9a-f]{64}$'),
          actor text NOT NULL,                       -- who asked: token:<id>, the webmail user, cli:<serial>
          signed_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX signer_signatures_signed_at ON signer_signatures (signed_at);
        CREATE INDEX signer_signatures_serial ON signer_signatures (serial);
        CREATE INDEX signer_signatures_holder ON signer_signatures (holder, signed_at);
      `);
    },
  },
];
