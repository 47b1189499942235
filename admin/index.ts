/** admin/ entry module: directory, agency tree, bulk provisioning, roles and scope, the admin API. */
export * from './directory.js';
export * from './agencies.js';
export * from './import.js';
export * from './roles.js';
export * from './auth.js';
export * from './lifecycle.js';
export * from './lists.js';
export * from './recipients.js';
export * from './reports.js';
export { adminRoutes } from './api.js';
import { directoryMigrations } from './directory.js';
import { agencyMigrations } from './agencies.js';
import { authMigrations } from './auth.js';
import { lifecycleMigrations } from './lifecycle.js';
import { listMigrations } from './lists.js';
import { reportMigrations } from './reports.js';
export const adminMigrations = [...directoryMigrations, ...agencyMigrations, ...authMigrations, ...lifecycleMigrations, ...listMigrations, ...reportMigrations];
