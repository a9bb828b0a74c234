import {z} from 'zod'

import {actionSchema, envelopeErrorSchema} from './envelope.js'
import {ROLES} from './members.js'
import {METRICS} from './monitoring.js'
import {TENANT_STATUSES, type TenantSummary} from './tenant-list.js'
import type {ApiKey, CreatedApiKey} from './api-keys.js'
import type {AuditRow} from './audit.js'
import type {BackupResult, Manifest, RestoreResult} from './backup.js'
import type {IsolateResult, MoveResult, RebalanceResult, TenantQueryStats} from './db/citus-ops.js'
import type {Invitation, Member} from './members.js'
import type {CheckResult, MonitoringConfig, TenantUsageReport} from './monitoring.js'
import type {PlanChangeResult} from './plan-change.js'
import type {Plan} from './plans.js'
import type {SecurityChangeResult} from './security.js'
import type {SetupDataResult} from './setup-data.js'
import type {SubdomainCheck} from './subdomains.js'
import type {NotificationRow} from './notify/deliver.js'
import type {CreatedOperatorToken, OperatorToken} from './operator-tokens.js'
import type {WebhookEndpoint} from './notify/webhooks.js'
import type {EnqueueReport, RunStatus, RunSummary} from './queue/runs.js'
import type {MigrateAllResult, TenantMigrationResult} from './tenant-migrations.js'
import type {TenantUpdateResult as LibTenantUpdateResult} from './tenant-update.js'
import type {CreateTenantResult, TenantDetails} from './tenants.js'
import type {VerifyResult} from './verify.js'

/**
 * What each operation returns, as zod schemas: the TypeScript types are
 * inferred from them (the output side, with Date objects), and the JSON
 * Schemas in schemas/ are generated from them (the input side, as --json and
 * the HTTP API write it: dates as ISO 8601 strings). Objects are strict, so a
 * field the library adds and the schema does not name fails the contract tests.
 * The bottom of this file checks that each schema's type is exactly the type
 * the library function returns.
 */

/** A time: a Date in the library, an ISO 8601 string in JSON. */
const time = z.codec(z.iso.datetime(), z.date(), {decode: (text) => new Date(text), encode: (date) => date.toISOString()})
const count = z.number().int().nonnegative()
const uuid = z.string()

const limits = z.strictObject({maxAssets: count, maxUsers: count, maxDevices: count, storageQuotaGb: count})
const passwordPolicy = z.strictObject({
  minLength: count, requireUppercase: z.boolean(), requireLowercase: z.boolean(), requireNumbers: z.boolean(), requireSymbols: z.boolean(), passwordHistory: count,
})
const securityPolicy = z.strictObject({enable2fa: z.boolean(), sessionTimeoutMinutes: count, passwordPolicy, allowedIpRanges: z.array(z.string())})
const tenantStatus = z.enum(TENANT_STATUSES)
const memberStatus = z.enum(['invited', 'active'])
const role = z.enum(ROLES)
const metric = z.enum(METRICS)
const keyRef = z.strictObject({prefix: z.string(), name: z.string()})
const cancelled = z.strictObject({cancelled: z.literal(true)}).describe('a person answered no at a prompt: nothing was changed')

/** One page of a list; `nextCursor` is null on the last page, `total` is there where it is cheap to count. */
export const pageSchema = <T extends z.ZodType>(item: T) => z.strictObject({items: z.array(item), nextCursor: z.string().nullable(), total: count.optional()})

export const tenantDetailsSchema = z.strictObject({
  id: uuid,
  name: z.string(),
  subdomain: z.string(),
  accessUrl: z.string(),
  status: tenantStatus,
  plan: z.string(),
  limits,
  features: z.array(z.string()).describe("effective features: the plan's, with the tenant's overrides applied"),
  featureOverrides: z.record(z.string(), z.boolean()),
  contactEmail: z.string().nullable(),
  customDomain: z.string().nullable(),
  settings: z.record(z.string(), z.unknown()),
  security: securityPolicy,
  owners: z.array(z.strictObject({email: z.string(), role: z.string(), status: memberStatus})),
  createdAt: time,
  updatedAt: time,
})

export const tenantSummarySchema = z.strictObject({
  id: uuid, name: z.string(), subdomain: z.string(), accessUrl: z.string(), plan: z.string(), status: tenantStatus, customDomain: z.string().nullable(), createdAt: time,
})

export const createTenantResultSchema = z.strictObject({
  tenant: tenantDetailsSchema,
  ownerInvitation: z.strictObject({email: z.string(), token: z.string().describe('shown once; only its SHA-256 is stored'), expiresAt: time}).optional(),
  warnings: z.array(z.union([z.string(), actionSchema])).describe('a warning, or one whose remedy is a command (as in error.actions); rendered in the envelope\'s warnings'),
})

export const planSchema = z.strictObject({id: z.string(), name: z.string(), limits, features: z.array(z.string()), priceMonthlyCents: count, priceMonthly: z.string()})

export const subdomainCheckSchema = z.strictObject({
  subdomain: z.string(),
  status: z.enum(['available', 'taken', 'reserved', 'invalid']),
  available: z.boolean(),
  reason: z.string(),
  tenant: z.strictObject({id: uuid, name: z.string()}).optional(),
  suggestions: z.array(z.string()),
})
export const subdomainSuggestionsSchema = z.strictObject({text: z.string(), suggestions: z.array(z.string())})

export const apiKeyResultSchema = z.strictObject({
  id: uuid, name: z.string(), prefix: z.string(), permissions: z.array(z.string()), createdBy: z.string(),
  createdAt: time, expiresAt: time.nullable(), lastUsedAt: time.nullable(), revokedAt: time.nullable(),
})
export const createdApiKeySchema = apiKeyResultSchema.extend({key: z.string().describe('the full key, shown once')})
export const revokedApiKeySchema = apiKeyResultSchema.extend({alreadyRevoked: z.boolean()})

export const auditRowSchema = z.strictObject({
  id: z.string(),
  at: time,
  tenant: z.string().nullable().describe("the tenant's subdomain now; null for a tenant since deleted"),
  actor: z.string(),
  action: z.string(),
  tenantId: uuid.nullable(),
  subject: z.string().nullable(),
  arguments: z.record(z.string(), z.unknown()),
  outcome: z.enum(['success', 'failure']),
  errorCode: z.string().nullable(),
})

export const invitationSchema = z.strictObject({
  tenantId: uuid, email: z.string(), role, permissions: z.record(z.string(), z.boolean()), status: memberStatus,
  token: z.string().optional().describe('shown once; only its SHA-256 is stored'),
  expiresAt: time.optional(),
})
export const memberSchema = z.strictObject({
  email: z.string(), role, permissions: z.record(z.string(), z.boolean()), status: memberStatus, invitedAt: time, acceptedAt: time.nullable(), invitationExpiresAt: time.nullable(),
})
export const removedMemberSchema = z.strictObject({email: z.string(), role: z.string()})

export const statusChangeSchema = z.strictObject({subdomain: z.string(), before: tenantStatus, after: tenantStatus})

const ratio = z.number().min(0).max(1)
/** one per metric (METRICS): the match with the library's Record<Metric, number> is checked below */
const thresholds = z.strictObject({storage: ratio, users: ratio, assets: ratio, devices: ratio})
export const monitoringConfigSchema = z.strictObject({subdomain: z.string(), thresholds, channels: z.array(z.string())})
export const monitoringCheckSchema = z.strictObject({
  checked: count,
  breaches: z.array(z.strictObject({subdomain: z.string(), metric, used: z.number(), limit: z.number(), ratio: z.number(), threshold: z.number(), queued: z.array(z.string())})),
  queued: count.describe('notifications queued now (a breach already queued is not queued again)'),
  cleared: count.describe('open notifications cleared because usage dropped'),
})
const queryFigures = z.strictObject({queries: count, reads: count, cpuSeconds: z.number().nonnegative()})
const tenantQueryStatsSchema = z.strictObject({
  periodSeconds: count.describe('citus.stat_tenants_period'),
  thisPeriod: queryFigures,
  lastPeriod: queryFigures,
})
export const usageReportSchema = z.strictObject({
  tenantId: uuid,
  subdomain: z.string(),
  channels: z.array(z.string()),
  metrics: z.array(z.strictObject({metric, used: z.number(), limit: z.number(), ratio: z.number(), threshold: z.number(), breached: z.boolean(), unit: z.string()})),
  queries: tenantQueryStatsSchema.optional().describe("on Citus with citus.stat_tenants_track = 'all': the tenant's queries and CPU time from citus_stat_tenants, summed over the nodes"),
})

const usage = z.strictObject({assets: count, users: count, devices: count, storageBytes: count, storageGb: z.number()})
const planState = z.strictObject({plan: z.string(), limits, features: z.array(z.string()), overrides: z.record(z.string(), z.boolean())})
export const planChangeSchema = z.strictObject({
  tenantId: uuid,
  subdomain: z.string(),
  before: planState,
  after: planState,
  usage,
  violations: z.array(z.string()).describe('limits below usage that --force let through'),
  featuresInUse: z.array(z.strictObject({feature: z.string(), usedBy: z.string(), apiKeys: z.array(keyRef)})),
  revokedApiKeys: z.array(keyRef),
  forced: z.boolean(),
})

export const securityChangeResultSchema = z.strictObject({tenantId: uuid, subdomain: z.string(), before: securityPolicy, after: securityPolicy, warnings: z.array(z.string())})
/** tenant security with nothing to change, or a person who answered no: the policy as it is */
export const securityPolicyResultSchema = z.strictObject({subdomain: z.string(), policy: securityPolicy})

export const tenantUpdateSchema = z.strictObject({
  changed: z.boolean(),
  before: tenantDetailsSchema,
  after: tenantDetailsSchema,
  dns: z.strictObject({type: z.literal('CNAME'), name: z.string(), value: z.string()}).optional(),
  violations: z.array(z.string()),
  revokedApiKeys: z.array(keyRef),
})

export const setupDataSchema = z.strictObject({tenantId: uuid, subdomain: z.string(), created: z.array(z.string()), welcomeAssetId: uuid})
export const verifySchema = z.strictObject({tenantId: uuid, subdomain: z.string(), ok: z.boolean(), checks: z.array(z.strictObject({name: z.string(), ok: z.boolean(), detail: z.string(), repair: actionSchema.optional().describe('a failed check: the command that repairs it')}))})

export const manifestSchema = z.strictObject({
  format: count,
  schemaVersion: count,
  createdAt: z.iso.datetime(),
  tenant: z.strictObject({id: uuid, subdomain: z.string(), name: z.string()}),
  tables: z.array(z.strictObject({name: z.string(), columns: z.array(z.string()), rows: count, sha256: z.string(), sequences: z.array(z.string()).optional()})),
  sha256: z.string().optional(),
})
export const backupSchema = z.strictObject({path: z.string(), manifest: manifestSchema, bytes: count, durationMs: count})
export const restoreSchema = z.strictObject({
  tenantId: uuid,
  subdomain: z.string(),
  mode: z.enum(['replace', 'merge']),
  rows: z.record(z.string(), count),
  backup: z.string().optional(),
  copy: z.strictObject({apiKeysDropped: count, invitations: z.array(z.strictObject({email: z.string(), token: z.string(), expiresAt: time}))}).optional(),
  durationMs: count,
})
/** tenant restore --check: the backup read and verified, nothing restored */
export const backupCheckSchema = z.strictObject({file: z.string(), manifest: manifestSchema})
export const deleteSchema = z.strictObject({
  tenantId: uuid,
  name: z.string(),
  subdomain: z.string(),
  deleted: z.record(z.string(), count).describe('rows deleted per table, children first'),
  backup: z.string().optional().describe('the verified backup of exactly the rows deleted'),
  orphans: z.record(z.string(), count).describe("rows with the tenant's id left anywhere after the delete: empty"),
})

const versioned = z.strictObject({version: count, name: z.string()})
const rls = z.strictObject({repaired: z.array(z.string()), leaks: count.optional()}).optional().describe('with --setup-rls: the repairs made, and the leak probe with --tenant')
export const tenantMigrationSchema = z.strictObject({
  tenantId: uuid,
  subdomain: z.string(),
  applied: z.array(versioned.extend({durationMs: count, faked: z.boolean()})),
  reverted: z.array(versioned),
  pending: z.array(versioned),
  durationMs: count,
  warnings: z.array(z.string()),
})
export const migrateAllSchema = z.strictObject({
  tenants: count,
  pending: count,
  migrated: count,
  failed: count,
  skipped: count,
  outcomes: z.array(z.strictObject({
    subdomain: z.string(), tenantId: uuid, status: z.enum(['migrated', 'pending', 'failed', 'skipped']), applied: z.array(count), durationMs: count,
    error: z.strictObject({code: z.string(), message: z.string()}).optional(),
  })),
  durationMs: count,
  warnings: z.array(z.string()),
})
export const tenantMigrateResultSchema = z.union([tenantMigrationSchema.extend({rls}), migrateAllSchema.extend({rls})])

export const schemaMigrateSchema = z.strictObject({
  direction: z.enum(['up', 'down']),
  plan: z.boolean(),
  cancelled: z.boolean().optional().describe('a person answered no at the prompt: nothing was reverted'),
  migrations: z.array(versioned),
  schemaVersion: count,
  distributed: z.array(z.strictObject({
    table: z.string(),
    placement: z.enum(['distributed', 'reference']),
    column: z.string().optional().describe('the distribution column'),
  })).optional().describe('on Citus: the tables this run distributed or made reference tables'),
})
const placement = z.enum(['distributed', 'reference', 'coordinator'])
export const citusStatusSchema = z.strictObject({
  version: z.string().describe('the citus extension version'),
  nodes: z.array(z.strictObject({host: z.string(), port: z.number().int(), role: z.enum(['coordinator', 'worker']), shards: count.describe('shard placements on the node')})),
  tables: z.array(z.strictObject({
    table: z.string(),
    placement,
    column: z.string().optional().describe('the distribution column'),
    shards: count,
    colocationId: z.number().int().optional(),
  })),
})
export const dbStatusSchema = z.strictObject({
  source: z.string(),
  url: z.string().optional(),
  dataDir: z.string().optional(),
  running: z.boolean(),
  pinned: z.boolean().optional(),
  serverVersion: z.string().optional(),
  schemaVersion: count.optional(),
  pendingMigrations: count.optional(),
  tenants: count.optional(),
  citus: citusStatusSchema.optional().describe('on a Citus cluster: its nodes and where each table is'),
})
const nodeAddress = z.strictObject({host: z.string(), port: z.number().int()})
const tableShard = z.strictObject({table: z.string(), shardId: count})
const transferMode = z.enum(['auto', 'force_logical', 'block_writes'])
export const tenantIsolateSchema = z.strictObject({
  tenantId: uuid,
  subdomain: z.string(),
  isolated: z.boolean().describe('false: the tenant had a shard of its own already, nothing was done'),
  shardId: count.describe("the tenant's own shard of tenants"),
  previousShardId: count.optional().describe('the shard it shared before'),
  shards: z.array(tableShard).describe("the tenant's shard of every co-located table"),
  node: nodeAddress,
  transferMode,
  durationMs: count,
})
export const tenantMoveSchema = z.strictObject({
  tenantId: uuid,
  subdomain: z.string(),
  shardId: count.describe("the tenant's shard of tenants, moved with its shard group"),
  from: nodeAddress,
  to: nodeAddress,
  shards: z.array(tableShard),
  otherTenants: count.describe('tenants sharing the shard group, which moved with it'),
  transferMode,
  durationMs: count,
})
export const rebalanceSchema = z.strictObject({
  dryRun: z.boolean(),
  jobId: count.nullable().describe('the background job; null for a dry run or with nothing to move'),
  state: z.literal('finished').nullable(),
  moves: z.array(z.strictObject({shardId: count, tables: z.array(z.string()), bytes: count, from: nodeAddress, to: nodeAddress})).describe('the shard groups moved (or, with --dry-run, to move)'),
  durationMs: count,
})
export const dbStartSchema = z.strictObject({dataDir: z.string(), url: z.string()})
export const dbStopSchema = z.strictObject({dataDir: z.string(), stopped: z.boolean(), busy: z.array(z.number().int()).describe('pids of the commands still using the server')})

/** A bulk run's report as the front ends give it: errors as JSON, each row's invitation tokens only counted (the --report file has them). */
export const bulkReportSchema = z.strictObject({
  runId: z.string(),
  file: z.string(),
  sha256: z.string(),
  source: z.enum(['csv', 'json']),
  dryRun: z.boolean(),
  total: count,
  created: count,
  unchanged: count,
  failed: count,
  errors: z.array(envelopeErrorSchema),
  rows: z.array(z.strictObject({
    line: count.describe('the file line the row starts on'),
    record: count.optional().describe("a JSON config's record, 1-based (records may share a line)"),
    name: z.string(),
    subdomain: z.string().optional(),
    outcome: z.enum(['created', 'unchanged', 'failed']),
    tenantId: uuid.optional(),
    accessUrl: z.string().optional(),
    invitations: count.describe('one-time invitation tokens created for the row (in the --report file, not here)'),
    error: z.strictObject({code: z.string(), message: z.string(), field: z.string().optional()}).optional(),
  })),
  durationMs: count,
  stopped: z.boolean(),
})
/** bulk-create / provision --queue: the rows validated and queued as one run for the workers */
export const enqueueReportSchema = z.strictObject({
  runId: z.string().nullable().describe('null when the file was refused: nothing was queued'),
  file: z.string(),
  sha256: z.string(),
  source: z.enum(['csv', 'json']),
  total: count,
  queued: count.describe('rows queued to be created'),
  unchanged: count.describe('rows whose tenant exists already with the same spec'),
  jobs: count,
  batchSize: count,
  rate: count.optional().describe('the --rate cap, tenants per second across all workers'),
  errors: z.array(envelopeErrorSchema).describe('every problem, with line and field; any problem refuses the whole file'),
})
/** bulk-create / provision: the report, with --queue the queued run, or with --template the example file */
export const bulkResultSchema = z.union([bulkReportSchema, enqueueReportSchema, z.strictObject({template: z.string()})])

const runCounts = z.strictObject({pending: count, created: count, unchanged: count, failed: count, cancelled: count})
export const runSummarySchema = z.strictObject({
  id: uuid,
  queued: z.boolean(),
  status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']),
  source: z.enum(['csv', 'json']),
  fileName: z.string(),
  total: count,
  counts: runCounts,
  rate: count.nullable().describe('the --rate cap, tenants per second across all workers'),
  startedAt: time,
  finishedAt: time.nullable(),
})
export const runStatusSchema = runSummarySchema.extend({
  sha256: z.string(),
  dryRun: z.boolean(),
  actor: z.string().nullable(),
  throughput: z.number().nonnegative().describe('rows settled per second over the last minute; over the whole run when it is done'),
  etaSeconds: z.number().nonnegative().nullable().describe('seconds until the pending rows are settled at that throughput; null when unknown or done'),
  failures: z.array(z.strictObject({line: count, subdomain: z.string().nullable(), name: z.string().nullable(), code: z.string().nullable(), message: z.string().nullable()})).describe('failed rows, first 100 by line'),
})
export const runRetrySchema = runStatusSchema.extend({retried: count.describe('failed rows queued again')})

export const webhookEndpointSchema = z.strictObject({id: uuid, url: z.string(), events: z.array(z.string()), createdAt: time})
export const webhookAddSchema = webhookEndpointSchema.extend({secret: z.string().optional().describe('the signing secret, only when the URL was registered now (shown once)')})
export const webhookListSchema = z.strictObject({items: z.array(webhookEndpointSchema)})
export const notificationRowSchema = z.strictObject({
  id: z.string(),
  deliveryId: z.string(),
  tenant: z.string().nullable(),
  event: z.string(),
  channel: z.string(),
  state: z.enum(['pending', 'sent', 'retrying', 'failed']),
  attempts: count,
  lastError: z.string().nullable(),
  createdAt: time,
  sentAt: time.nullable(),
})
export const workerSchema = z.strictObject({stopped: z.literal(true).describe('SIGTERM or Ctrl-C: the running jobs were finished')})
export const serveSchema = z.strictObject({stopped: z.literal(true).describe('SIGTERM or Ctrl-C: the requests in flight were answered')})

export const operatorTokenSchema = z.strictObject({
  id: uuid, name: z.string(), scopes: z.array(z.string()), createdBy: z.string(), createdAt: time, expiresAt: time.nullable(), revokedAt: time.nullable(), lastUsedAt: time.nullable(),
})
export const createdOperatorTokenSchema = operatorTokenSchema.extend({token: z.string().describe('the bearer token, shown once; only its SHA-256 is stored')})

export const tenantCreateResultSchema = z.union([createTenantResultSchema, cancelled])
export const tenantPlanResultSchema = z.union([planChangeSchema, cancelled])
export const tenantSecurityResultSchema = z.union([securityChangeResultSchema, securityPolicyResultSchema])
export const tenantRestoreResultSchema = z.union([restoreSchema, backupCheckSchema])

type Out<S extends z.ZodType> = z.output<S>
export type ApikeyCreateResult = Out<typeof createdApiKeySchema>
export type ApikeyListResult = Out<ReturnType<typeof pageSchema<typeof apiKeyResultSchema>>>
export type ApikeyRevokeResult = Out<typeof revokedApiKeySchema>
export type AuditListResult = Out<ReturnType<typeof pageSchema<typeof auditRowSchema>>>
export type DbMigrateResult = Out<typeof schemaMigrateSchema>
export type DbRebalanceResult = Out<typeof rebalanceSchema>
export type DbStartResult = Out<typeof dbStartSchema>
export type DbStatusResult = Out<typeof dbStatusSchema>
export type DbStopResult = Out<typeof dbStopSchema>
export type MonitorCheckResult = Out<typeof monitoringCheckSchema>
export type MonitorSetupResult = Out<typeof monitoringConfigSchema>
export type PlanListResult = Out<typeof planSchema>[]
export type PlanShowResult = Out<typeof planSchema>
export type SubdomainCheckResult = Out<typeof subdomainCheckSchema>
export type SubdomainSuggestResult = Out<typeof subdomainSuggestionsSchema>
export type TenantBackupResult = Out<typeof backupSchema>
/** tenant bulk-create and tenant provision */
export type BulkResult = Out<typeof bulkResultSchema>
export type BulkReportResult = Out<typeof bulkReportSchema>
export type EnqueueResult = Out<typeof enqueueReportSchema>
export type NotificationListResult = Out<ReturnType<typeof pageSchema<typeof notificationRowSchema>>>
export type RunListResult = Out<ReturnType<typeof pageSchema<typeof runSummarySchema>>>
/** run show, run wait and run cancel */
export type RunStatusResult = Out<typeof runStatusSchema>
export type RunRetryResult = Out<typeof runRetrySchema>
export type WebhookAddResult = Out<typeof webhookAddSchema>
export type WebhookListResult = Out<typeof webhookListSchema>
export type WebhookRemoveResult = Out<typeof webhookEndpointSchema>
export type WorkerResult = Out<typeof workerSchema>
export type ServeResult = Out<typeof serveSchema>
export type TokenCreateResult = Out<typeof createdOperatorTokenSchema>
export type TokenListResult = Out<ReturnType<typeof pageSchema<typeof operatorTokenSchema>>>
export type TokenRevokeResult = Out<typeof operatorTokenSchema>
export type TenantCreateResult = Out<typeof tenantCreateResultSchema>
export type TenantDeleteResult = Out<typeof deleteSchema>
export type TenantListResult = Out<ReturnType<typeof pageSchema<typeof tenantSummarySchema>>>
export type TenantIsolateResult = Out<typeof tenantIsolateSchema>
export type TenantMoveResult = Out<typeof tenantMoveSchema>
export type TenantMigrateResult = Out<typeof tenantMigrateResultSchema>
export type TenantPlanResult = Out<typeof tenantPlanResultSchema>
export type TenantRecoverResult = Out<typeof restoreSchema>
export type TenantRestoreResult = Out<typeof tenantRestoreResultSchema>
/** tenant suspend and tenant resume */
export type StatusChangeResult = Out<typeof statusChangeSchema>
export type TenantSecurityResult = Out<typeof tenantSecurityResultSchema>
export type TenantSetupDataResult = Out<typeof setupDataSchema>
export type TenantShowResult = Out<typeof tenantDetailsSchema>
export type TenantUpdateResult = Out<typeof tenantUpdateSchema>
export type TenantUsageResult = Out<typeof usageReportSchema>
export type TenantVerifyResult = Out<typeof verifySchema>
export type UserInviteResult = Out<typeof invitationSchema>
export type UserListResult = Out<ReturnType<typeof pageSchema<typeof memberSchema>>>
export type UserRemoveResult = Out<typeof removedMemberSchema>

/** Exactly the same type (not only assignable either way). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
/** Each assignable to the other: for the types the library writes as intersections or records */
type Alike<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type Assert<T extends true> = T

/**
 * Each schema is the type its library function returns: a field added, removed
 * or retyped on one side and not the other is a type error here.
 */
export type LibraryTypesMatch = [
  Assert<Same<TenantShowResult, TenantDetails>>,
  Assert<Same<Out<typeof tenantSummarySchema>, TenantSummary>>,
  Assert<Same<Out<typeof createTenantResultSchema>, CreateTenantResult>>,
  Assert<Same<PlanShowResult, Plan>>,
  Assert<Same<SubdomainCheckResult, SubdomainCheck>>,
  Assert<Same<Out<typeof apiKeyResultSchema>, ApiKey>>,
  Assert<Same<ApikeyCreateResult, CreatedApiKey>>,
  Assert<Same<Out<typeof auditRowSchema>, AuditRow>>,
  Assert<Same<UserInviteResult, Invitation>>,
  Assert<Same<Out<typeof memberSchema>, Member>>,
  Assert<Same<MonitorCheckResult, CheckResult>>,
  Assert<Alike<MonitorSetupResult, MonitoringConfig & {subdomain: string}>>,
  Assert<Same<TenantUsageResult, TenantUsageReport>>,
  Assert<Same<Out<typeof planChangeSchema>, PlanChangeResult>>,
  Assert<Same<Out<typeof securityChangeResultSchema>, SecurityChangeResult>>,
  Assert<Same<TenantUpdateResult, LibTenantUpdateResult>>,
  Assert<Same<TenantSetupDataResult, SetupDataResult>>,
  Assert<Same<TenantVerifyResult, VerifyResult>>,
  Assert<Same<Out<typeof manifestSchema>, Manifest>>,
  Assert<Same<TenantBackupResult, BackupResult>>,
  Assert<Same<TenantRecoverResult, RestoreResult>>,
  Assert<Same<Out<typeof tenantMigrationSchema>, TenantMigrationResult>>,
  Assert<Same<Out<typeof migrateAllSchema>, MigrateAllResult>>,
  Assert<Alike<EnqueueResult, Omit<EnqueueReport, 'errors'> & {errors: Out<typeof envelopeErrorSchema>[]}>>,
  Assert<Same<Out<typeof runSummarySchema>, RunSummary>>,
  Assert<Same<RunStatusResult, RunStatus>>,
  Assert<Alike<RunRetryResult, RunStatus & {retried: number}>>,
  Assert<Same<Out<typeof webhookEndpointSchema>, WebhookEndpoint>>,
  Assert<Alike<WebhookAddResult, WebhookEndpoint & {secret?: string}>>,
  Assert<Same<Out<typeof notificationRowSchema>, NotificationRow>>,
  Assert<Same<TokenRevokeResult, OperatorToken>>,
  Assert<Same<TokenCreateResult, CreatedOperatorToken>>,
  Assert<Same<TenantIsolateResult, IsolateResult>>,
  Assert<Same<TenantMoveResult, MoveResult>>,
  Assert<Same<DbRebalanceResult, RebalanceResult>>,
  Assert<Same<Out<typeof tenantQueryStatsSchema>, TenantQueryStats>>,
]
