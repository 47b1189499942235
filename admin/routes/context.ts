import type { FastifyRequest } from 'fastify';
import type { Sequelize } from 'sequelize';
import { selectOne } from '../../core/sql.js';
import type { Action, Principal } from '../roles.js';
import { getAgency } from '../agencies.js';
import type { UsageSources } from '../reports.js';
import type { SignerContext } from '../certificates.js';
import type { SpamFilterStatus } from './spam-filter.js';

/**
 * What every admin route file shares: the options the API was started with, the access rule each
 * route declares (checked in one place, admin/api.ts), and the lookups those rules use to find the
 * agency a request touches.
 */
export interface AdminRouteOptions {
  db: Sequelize;
  defaultQuota: string;
  secureCookies: boolean;
  usage?: UsageSources;
  signer?: SignerContext;
  /** The MX's spam filter, read now (the composition root builds it from the config and the scanner's health). */
  spamFilter?: () => SpamFilterStatus;
}

export interface Access {
  action: Action;
  /** Agency paths the request touches; null = system-wide (only global grants reach it). */
  targets: (req: FastifyRequest, db: Sequelize) => Promise<Array<string | null>>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

export async function agencyPath(db: Sequelize, code: string | undefined): Promise<string | null> {
  if (!code) return null;
  return (await getAgency(db, code))?.path ?? null;
}

export async function mailboxAgencyPath(db: Sequelize, address: string): Promise<string | null> {
  const row = await selectOne<{ path: string | null }>(db, 'SELECT a.path FROM mailboxes m LEFT JOIN agencies a ON a.id = m.agency_id WHERE m.address = $1', [address.toLowerCase()]);
  return row?.path ?? null;
}

/** Who did it and from where, for the audit entry every change writes. */
export const byRequest = (req: FastifyRequest) => ({ actor: req.principal!.id, ip: req.ip });

export const pageQuery = {
  type: 'object',
  properties: { page: { type: 'integer', minimum: 1, default: 1 }, pageSize: { type: 'integer', minimum: 1, maximum: 200, default: 50 }, agency: { type: 'string' } },
  additionalProperties: false,
} as const;
