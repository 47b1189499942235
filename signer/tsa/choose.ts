import type { Sequelize } from 'sequelize';
import type { Kek } from '../../core/kek.js';
import { localTimestamper, type TsaOptions } from './authority.js';
import { remoteTimestamper, type RemoteTsaOptions } from './remote.js';
import type { Timestamper } from './types.js';

/** GOVMAIL_TSA_URL (config `tsaUrl`) names an external TSA; without it our own TSA stamps in-process. */
export function configuredTimestamper(db: Sequelize, kek: Kek, o: { tsaUrl?: string; remote?: Omit<RemoteTsaOptions, 'url'> } & TsaOptions): Timestamper {
  if (o.tsaUrl) return remoteTimestamper({ ...o.remote, url: o.tsaUrl });
  return localTimestamper(db, kek, { pkiUrl: o.pkiUrl, dataDir: o.dataDir, policy: o.policy, accuracyMs: o.accuracyMs });
}
