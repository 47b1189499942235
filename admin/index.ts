/** admin/ entry module: the mail directory today; agencies, roles, provisioning and reports come with issue #4. */
export * from './directory.js';
import { directoryMigrations } from './directory.js';
export const adminMigrations = [...directoryMigrations];
