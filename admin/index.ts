/** admin/ entry module: the directory, the agency tree and bulk provisioning; roles, reports and UI come with issue #4. */
export * from './directory.js';
export * from './agencies.js';
export * from './import.js';
import { directoryMigrations } from './directory.js';
import { agencyMigrations } from './agencies.js';
export const adminMigrations = [...directoryMigrations, ...agencyMigrations];
