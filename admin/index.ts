/** admin/ entry module: directory, agency tree, bulk provisioning, roles and scope, the admin API. */
export * from './directory.js';
export * from './agencies.js';
export * from './import.js';
export * from './roles.js';
export * from './auth.js';
export { adminRoutes } from './api.js';
import { directoryMigrations } from './directory.js';
import { agencyMigrations } from './agencies.js';
import { authMigrations } from './auth.js';
export const adminMigrations = [...directoryMigrations, ...agencyMigrations, ...authMigrations];
