/** The anthias library: the same domain functions the CLI commands use. */
export {accessUrl, type Context, DEFAULT_BASE_DOMAIN, resolveContext} from './context.js'
export {redact, writeAudit, type AuditEntry} from './audit.js'
export {openDatabase, type Database, type OpenOptions} from './db/connect.js'
export {EmbeddedServer, resolveDataDir, type EmbeddedStatus} from './db/embedded.js'
export {loadMigrations, migrate, migrateBackwards, migrationStatus, type Migration, type MigrationStatus} from './db/migrations.js'
export {APP_ROLE, isUuid, withTenant} from './db/tenant-context.js'
export {maskUrl, resolveConnectionTarget} from './db/url.js'
export {AppError, ExitCode, ValidationErrors} from './errors.js'
export {getPlan, listPlans, loadCatalog, type Catalog, type Plan} from './plans.js'
export {checkSubdomain, suggestSubdomains, type SubdomainCheck} from './subdomains.js'
export {
  createTenant,
  getTenant,
  listTenants,
  tenantSpecSchema,
  validateTenantSpec,
  type CreateTenantResult,
  type TenantDetails,
  type TenantInput,
  type TenantSpec,
  type TenantSummary,
} from './tenants.js'
export {
  DEFAULT_PASSWORD_POLICY,
  judgeCidr,
  judgeCustomDomain,
  judgeSubdomain,
  unmetPasswordRules,
  type PasswordPolicy,
  type SecurityPolicy,
} from './validation.js'
