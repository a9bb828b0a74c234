import {z} from 'zod'

import {envelopeFor} from './lib/envelope.js'

import ApikeyCreate from './commands/apikey/create.js'
import ApikeyList from './commands/apikey/list.js'
import ApikeyRevoke from './commands/apikey/revoke.js'
import AuditList from './commands/audit/list.js'
import DbMigrate from './commands/db/migrate.js'
import DbRebalance from './commands/db/rebalance.js'
import DbStart from './commands/db/start.js'
import DbStatus from './commands/db/status.js'
import DbStop from './commands/db/stop.js'
import MonitorCheck from './commands/monitor/check.js'
import MonitorSetup from './commands/monitor/setup.js'
import NotificationList from './commands/notification/list.js'
import PlanList from './commands/plan/list.js'
import PlanShow from './commands/plan/show.js'
import RunCancel from './commands/run/cancel.js'
import RunList from './commands/run/list.js'
import RunRetry from './commands/run/retry.js'
import RunShow from './commands/run/show.js'
import RunWait from './commands/run/wait.js'
import Serve from './commands/serve.js'
import SubdomainCheck from './commands/subdomain/check.js'
import SubdomainSuggest from './commands/subdomain/suggest.js'
import TenantBackup from './commands/tenant/backup.js'
import TenantBulkCreate from './commands/tenant/bulk-create.js'
import TenantCreate from './commands/tenant/create.js'
import TenantDelete from './commands/tenant/delete.js'
import TenantIsolate from './commands/tenant/isolate.js'
import TenantList from './commands/tenant/list.js'
import TenantMigrate from './commands/tenant/migrate.js'
import TenantMove from './commands/tenant/move.js'
import TenantPlan from './commands/tenant/plan.js'
import TenantProvision from './commands/tenant/provision.js'
import TenantRecover from './commands/tenant/recover.js'
import TenantRestore from './commands/tenant/restore.js'
import TenantResume from './commands/tenant/resume.js'
import TenantSecurity from './commands/tenant/security.js'
import TenantSetupData from './commands/tenant/setup-data.js'
import TenantShow from './commands/tenant/show.js'
import TenantSuspend from './commands/tenant/suspend.js'
import TenantUpdate from './commands/tenant/update.js'
import TenantUsage from './commands/tenant/usage.js'
import TenantVerify from './commands/tenant/verify.js'
import TokenCreate from './commands/token/create.js'
import TokenList from './commands/token/list.js'
import TokenRevoke from './commands/token/revoke.js'
import UserInvite from './commands/user/invite.js'
import UserList from './commands/user/list.js'
import UserRemove from './commands/user/remove.js'
import WebhookAdd from './commands/webhook/add.js'
import WebhookList from './commands/webhook/list.js'
import WebhookRemove from './commands/webhook/remove.js'
import Worker from './commands/worker.js'
import {
  apiKeyResultSchema,
  auditRowSchema,
  backupSchema,
  createdOperatorTokenSchema,
  bulkResultSchema,
  createdApiKeySchema,
  dbStartSchema,
  dbStatusSchema,
  dbStopSchema,
  deleteSchema,
  invitationSchema,
  memberSchema,
  monitoringCheckSchema,
  monitoringConfigSchema,
  notificationRowSchema,
  operatorTokenSchema,
  pageSchema,
  planSchema,
  rebalanceSchema,
  removedMemberSchema,
  restoreSchema,
  revokedApiKeySchema,
  runRetrySchema,
  runStatusSchema,
  runSummarySchema,
  schemaMigrateSchema,
  serveSchema,
  setupDataSchema,
  statusChangeSchema,
  subdomainCheckSchema,
  subdomainSuggestionsSchema,
  tenantCreateResultSchema,
  tenantDetailsSchema,
  tenantIsolateSchema,
  tenantMigrateResultSchema,
  tenantMoveSchema,
  tenantPlanResultSchema,
  tenantRestoreResultSchema,
  tenantSecurityResultSchema,
  tenantSummarySchema,
  tenantUpdateSchema,
  usageReportSchema,
  verifySchema,
  webhookAddSchema,
  webhookEndpointSchema,
  webhookListSchema,
  workerSchema,
} from './lib/results.js'

/** What a command's run() resolves to; nothing only where it streamed its JSON itself (list --all). */
type RunResult<C> = C extends {prototype: {run(): Promise<infer R>}} ? Exclude<R, undefined> : never
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

/** A command and the schema of its result: a run() that resolves to any other type is a type error here. */
const result = <C extends {prototype: {run(): Promise<unknown>}}, S extends z.ZodType>(command: C, schema: S & (Same<RunResult<C>, z.output<S>> extends true ? unknown : {'run() resolves to another type than this schema': never})) => ({command, schema: schema as S})

/**
 * Every command's result schema, by command id: `npm run schemas` writes each
 * one's --json envelope to schemas/<topic>-<command>.json, and the tests check
 * every command against it. Only scripts and tests load this (it loads every command).
 */
export const COMMAND_RESULTS = {
  'apikey:create': result(ApikeyCreate, createdApiKeySchema),
  'apikey:list': result(ApikeyList, pageSchema(apiKeyResultSchema)),
  'apikey:revoke': result(ApikeyRevoke, revokedApiKeySchema),
  'audit:list': result(AuditList, pageSchema(auditRowSchema)),
  'db:migrate': result(DbMigrate, schemaMigrateSchema),
  'db:rebalance': result(DbRebalance, rebalanceSchema),
  'db:start': result(DbStart, dbStartSchema),
  'db:status': result(DbStatus, dbStatusSchema),
  'db:stop': result(DbStop, dbStopSchema),
  'monitor:check': result(MonitorCheck, monitoringCheckSchema),
  'monitor:setup': result(MonitorSetup, monitoringConfigSchema),
  'notification:list': result(NotificationList, pageSchema(notificationRowSchema)),
  'plan:list': result(PlanList, z.array(planSchema)),
  'plan:show': result(PlanShow, planSchema),
  'run:cancel': result(RunCancel, runStatusSchema),
  'run:list': result(RunList, pageSchema(runSummarySchema)),
  'run:retry': result(RunRetry, runRetrySchema),
  'run:show': result(RunShow, runStatusSchema),
  'run:wait': result(RunWait, runStatusSchema),
  serve: result(Serve, serveSchema),
  'subdomain:check': result(SubdomainCheck, subdomainCheckSchema),
  'subdomain:suggest': result(SubdomainSuggest, subdomainSuggestionsSchema),
  'tenant:backup': result(TenantBackup, backupSchema),
  'tenant:bulk-create': result(TenantBulkCreate, bulkResultSchema),
  'tenant:create': result(TenantCreate, tenantCreateResultSchema),
  'tenant:delete': result(TenantDelete, deleteSchema),
  'tenant:isolate': result(TenantIsolate, tenantIsolateSchema),
  'tenant:list': result(TenantList, pageSchema(tenantSummarySchema)),
  'tenant:migrate': result(TenantMigrate, tenantMigrateResultSchema),
  'tenant:move': result(TenantMove, tenantMoveSchema),
  'tenant:plan': result(TenantPlan, tenantPlanResultSchema),
  'tenant:provision': result(TenantProvision, bulkResultSchema),
  'tenant:recover': result(TenantRecover, restoreSchema),
  'tenant:restore': result(TenantRestore, tenantRestoreResultSchema),
  'tenant:resume': result(TenantResume, statusChangeSchema),
  'tenant:security': result(TenantSecurity, tenantSecurityResultSchema),
  'tenant:setup-data': result(TenantSetupData, setupDataSchema),
  'tenant:show': result(TenantShow, tenantDetailsSchema),
  'tenant:suspend': result(TenantSuspend, statusChangeSchema),
  'tenant:update': result(TenantUpdate, tenantUpdateSchema),
  'tenant:usage': result(TenantUsage, usageReportSchema),
  'tenant:verify': result(TenantVerify, verifySchema),
  'token:create': result(TokenCreate, createdOperatorTokenSchema),
  'token:list': result(TokenList, pageSchema(operatorTokenSchema)),
  'token:revoke': result(TokenRevoke, operatorTokenSchema),
  'user:invite': result(UserInvite, invitationSchema),
  'user:list': result(UserList, pageSchema(memberSchema)),
  'user:remove': result(UserRemove, removedMemberSchema),
  'webhook:add': result(WebhookAdd, webhookAddSchema),
  'webhook:list': result(WebhookList, webhookListSchema),
  'webhook:remove': result(WebhookRemove, webhookEndpointSchema),
  worker: result(Worker, workerSchema),
} satisfies Record<string, {schema: z.ZodType}>

export type CommandId = keyof typeof COMMAND_RESULTS

/**
 * Each command's --json document as a JSON Schema (draft 2020-12), by file
 * name (tenant-show.json): the envelope with that command's result, dates as
 * ISO 8601 strings, as JSON.stringify writes them.
 */
export function commandJsonSchemas(bin = 'anthias'): Record<string, string> {
  const files: Record<string, string> = {}
  for (const [id, {schema}] of Object.entries(COMMAND_RESULTS)) {
    const title = `${bin} ${id.replaceAll(':', ' ')} --json`
    // the result once, in $defs, for both the success and the error envelope
    const json = z.toJSONSchema(envelopeFor(schema.meta({id: 'result'})).meta({title}), {
      io: 'input',
      // "format": "date-time" says it; zod's 300-character pattern for it would be on every date
      override: ({jsonSchema}) => {
        if (jsonSchema.format === 'date-time') delete jsonSchema.pattern
      },
    })
    files[`${id.replaceAll(':', '-')}.json`] = JSON.stringify(json, null, 2) + '\n'
  }
  return files
}
