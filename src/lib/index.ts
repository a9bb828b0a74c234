/** The anthias library: the same domain functions the CLI commands use. */
export {accessUrl, type Context, DEFAULT_BASE_DOMAIN, resolveContext} from './context.js'
export {redact, writeAudit, type AuditEntry} from './audit.js'
export {openDatabase, type Database, type OpenOptions} from './db/connect.js'
export {resolveDataDir} from './db/data-dir.js'
export {EmbeddedServer, type EmbeddedStatus} from './db/embedded.js'
export {loadMigrations, migrate, migrateBackwards, migrationStatus, type Migration, type MigrationStatus} from './db/migrations.js'
export {APP_ROLE, isUuid, withTenant} from './db/tenant-context.js'
export {maskUrl, resolveConnectionTarget} from './db/url.js'
export {actionText, AppError, ValidationErrors, type Action, type Hint} from './errors.js'
export {ERROR_CATALOGUE, HTTP_STATUS, type ErrorCode, type ErrorKind} from './error-catalogue.js'
export {timeoutError, toAppError} from './driver-errors.js'
export {databaseStatus, type DatabaseStatus} from './db/status.js'
export {migrateSchema, type SchemaMigrationOptions, type SchemaMigrationResult} from './db/schema-migrate.js'
export {isolateTenant, moveTenant, rebalance, rebalancePlan, tenantQueryStats, type IsolateResult, type MoveResult, type RebalanceResult, type TenantQueryStats, type TransferMode} from './db/citus-ops.js'
export {envelopeErrorSchema, envelopeFor, envelopeJsonSchema, envelopeSchema, type Envelope, type EnvelopeError} from './envelope.js'
// every operation's result: zod schemas and the types inferred from them (schemas/*.json are generated from these)
export * from './results.js'
export {getPlan, listPlans, loadCatalog, type Catalog, type Plan} from './plans.js'
export {checkCustomDomain, checkSubdomain, suggestSubdomains, type SubdomainCheck} from './subdomains.js'
export {
  CREATE_TENANT_STEPS,
  createTenant,
  getTenant,
  tenantSpecSchema,
  validateTenantSpec,
  type CreateTenantResult,
  type CreateTenantStep,
  type TenantDetails,
  type TenantInput,
  type TenantSpec,
} from './tenants.js'
export {listTenants, type TenantSummary} from './tenant-list.js'
export {
  DEFAULT_PASSWORD_POLICY,
  describePasswordPolicy,
  judgeCidr,
  judgeCustomDomain,
  unmetPasswordRules,
  type PasswordPolicy,
  type SecurityPolicy,
} from './validation.js'
export {judgeSubdomain} from './subdomain-rules.js'
export {
  authenticateOperator,
  createOperatorToken,
  listOperatorTokens,
  operatorActor,
  requireScope,
  revokeOperatorToken,
  SCOPES,
  type CreatedOperatorToken,
  type Operator,
  type OperatorToken,
  type Scope,
} from './operator-tokens.js'
export {claimIdempotent, completeIdempotent, purgeIdempotencyKeys, releaseIdempotent, requestHash, type StoredResponse} from './idempotency.js'
export {createApiKey, listApiKeys, revokeApiKey, type ApiKey, type CreatedApiKey} from './api-keys.js'
export {listAudit, parseSince, type AuditRow, type AuditFilter} from './audit.js'
export {
  backupTenant,
  backupTenantToStream,
  orphanScan,
  readBackup,
  readManifest,
  restoreTenant,
  scanBackup,
  tenantToReplace,
  type BackupFile,
  type BackupResult,
  type Manifest,
  type PublishableFile,
  type RestoreResult,
} from './backup.js'
export {provisionFromSource, validateSource, type BulkOptions, type BulkReport, type RowResult} from './bulk/provision.js'
export {bulkOutcome, invitationTokens, publicReport, type PublicReport, type PublicRow} from './bulk/report.js'
export {configSource, csvSource, CONFIG_TEMPLATE, CSV_COLUMNS, CSV_TEMPLATE, type Source} from './bulk/sources.js'
export {transaction} from './db/transaction.js'
export {bytesInput, readSettings, readText, streamInput, type Input} from './input.js'
export {setTenantStatus} from './lifecycle.js'
export {inviteUser, listMembers, removeMember, type Invitation, type Member} from './members.js'
export {checkMonitoring, checkOutcome, setupMonitoring, usageReports, type CheckResult, type MonitoringConfig} from './monitoring.js'
export {parsePermission, PERMISSION_CATALOG} from './permissions.js'
export {changeTenantPlan, type PlanChangeResult} from './plan-change.js'
export {inspectRls, leakProbe, repairRls, rlsProblems} from './rls.js'
export {setupRls, type RlsSetupOptions, type RlsSetupResult} from './rls-setup.js'
export {updateSecurity, type SecurityChangeResult} from './security.js'
export {setupTenantData, type SetupDataResult} from './setup-data.js'
export {deleteTenant, type DeleteResult} from './tenant-delete.js'
export {migrateAllOutcome, migrateAllTenants, migrateTenant, type MigrateAllResult, type TenantMigrationResult} from './tenant-migrations.js'
export {updateTenant, type TenantUpdateResult} from './tenant-update.js'
export {TENANT_TABLES, tenantTableKind, type TenantTableKind} from './tenant-tables.js'
export {tenantUsage, type Usage} from './usage.js'
export {verifyOutcome, verifyTenant, type VerifyResult} from './verify.js'
export {type OnProgress, type OnStep, type Progress, type Step} from './progress.js'
