/**
 * Quota monitoring (the guide's setup_tenant_monitoring): thresholds and
 * notification channels per tenant; a check compares usage against quota
 * against threshold, queues each breach once per channel in the
 * notification outbox, and clears it when usage drops again.
 */
import type {Sql} from 'postgres'
import {z} from 'zod'

import {writeAudit} from './audit.js'
import {tenantQueryStats, type TenantQueryStats} from './db/citus-ops.js'
import type {Context} from './context.js'
import {AppError, ValidationErrors} from './errors.js'
import {isWebhookUrl} from './notify/webhooks.js'
import {lockTenant, tenantKey, tenantNotFound} from './tenant-ref.js'
import {storageGb, usageColumns} from './usage.js'
import {emailSchema, issuesToErrors, type Limits, plainTextSchema} from './validation.js'

export const METRICS = ['storage', 'users', 'assets', 'devices'] as const
export type Metric = (typeof METRICS)[number]
export const DEFAULT_THRESHOLDS: Record<Metric, number> = {storage: 0.8, users: 0.9, assets: 0.9, devices: 0.9}

const threshold = z.coerce
  .number({error: 'a threshold is a fraction of the quota, above 0 and at most 1 (0.8 = 80%)'})
  .gt(0, {error: 'a threshold is a fraction of the quota, above 0 and at most 1 (0.8 = 80%)'})
  .lte(1, {error: 'a threshold is a fraction of the quota, above 0 and at most 1 (0.8 = 80%)'})

/** email:ADDRESS, slack:CHANNEL or webhook:https://URL */
export const channelSchema = plainTextSchema('A channel').transform((value, ctx) => {
  const [kind, ...rest] = value.trim().split(':')
  const target = rest.join(':')
  const fail = (message: string) => {
    ctx.addIssue({code: 'custom', message: `Channel "${value}": ${message}`, params: {code: 'CHANNEL_INVALID'}})
    return z.NEVER
  }
  if (kind === 'email') {
    const email = emailSchema.safeParse(target)
    return email.success ? `email:${email.data}` : fail('not a valid email address')
  }
  if (kind === 'slack') return /^#?[a-z0-9][a-z0-9._-]{0,79}$/.test(target) ? `slack:${target.replace(/^#/, '')}` : fail('a Slack channel name is lowercase letters, digits, . _ and -')
  if (kind === 'webhook') return isWebhookUrl(target) ? `webhook:${target}` : fail('a webhook must be an https:// URL (http:// only to 127.0.0.1 or localhost)')
  return fail('use email:ADDRESS, slack:CHANNEL or webhook:https://URL')
})

export const monitoringSchema = z.object({
  storageThreshold: threshold.optional(),
  userThreshold: threshold.optional(),
  assetThreshold: threshold.optional(),
  deviceThreshold: threshold.optional(),
  channels: z.array(channelSchema).optional(),
})
export type MonitoringInput = z.input<typeof monitoringSchema>

export interface MonitoringConfig {
  thresholds: Record<Metric, number>
  channels: string[]
}

export async function setupMonitoring(sql: Sql, tenantRef: string, input: MonitoringInput, ctx: Context, fieldName?: (path: PropertyKey[]) => string): Promise<MonitoringConfig & {subdomain: string}> {
  const parsed = monitoringSchema.safeParse(input)
  if (!parsed.success) {
    throw new ValidationErrors(issuesToErrors(parsed.error, fieldName).map((e) => (e.code === 'INVALID_INPUT' ? new AppError('THRESHOLD_INVALID', e.message, {field: e.field}) : e)))
  }
  const c = parsed.data
  return sql.begin(async (tx) => {
    const tenant = await lockTenant(tx, tenantRef)
    const [row] = await tx<{storageThreshold: string; userThreshold: string; assetThreshold: string; deviceThreshold: string; channels: string[]}[]>`
      insert into monitoring_configs (tenant_id, storage_threshold, user_threshold, asset_threshold, device_threshold, channels)
      values (${tenant.id}, ${c.storageThreshold ?? DEFAULT_THRESHOLDS.storage}, ${c.userThreshold ?? DEFAULT_THRESHOLDS.users},
        ${c.assetThreshold ?? DEFAULT_THRESHOLDS.assets}, ${c.deviceThreshold ?? DEFAULT_THRESHOLDS.devices}, ${[...new Set(c.channels ?? [])]})
      on conflict (tenant_id) do update set
        storage_threshold = coalesce(${c.storageThreshold ?? null}, monitoring_configs.storage_threshold),
        user_threshold = coalesce(${c.userThreshold ?? null}, monitoring_configs.user_threshold),
        asset_threshold = coalesce(${c.assetThreshold ?? null}, monitoring_configs.asset_threshold),
        device_threshold = coalesce(${c.deviceThreshold ?? null}, monitoring_configs.device_threshold),
        channels = coalesce(${c.channels ? [...new Set(c.channels)] : null}, monitoring_configs.channels),
        -- the new row's default, now(): Citus refuses a function that is not immutable in DO UPDATE
        updated_at = excluded.updated_at
      returning storage_threshold, user_threshold, asset_threshold, device_threshold, channels`
    const config: MonitoringConfig = {
      thresholds: {storage: Number(row!.storageThreshold), users: Number(row!.userThreshold), assets: Number(row!.assetThreshold), devices: Number(row!.deviceThreshold)},
      channels: row!.channels,
    }
    await writeAudit(tx, {actor: ctx.actor, action: 'monitor.setup', tenantId: tenant.id, subject: tenant.subdomain, arguments: {...config}})
    return {...config, subdomain: tenant.subdomain}
  }) as Promise<MonitoringConfig & {subdomain: string}>
}

export interface MetricUsage {
  metric: Metric
  used: number
  limit: number
  /** used / limit */
  ratio: number
  threshold: number
  breached: boolean
  unit: string
}

export interface TenantUsageReport {
  tenantId: string
  subdomain: string
  channels: string[]
  metrics: MetricUsage[]
  /** one tenant's report, on Citus with citus.stat_tenants_track = 'all': its queries and CPU time */
  queries?: TenantQueryStats
}

interface UsageRow extends Limits {
  id: string
  subdomain: string
  assets: number
  users: number
  devices: number
  storageBytes: string
  thresholds: Record<Metric, string> | null
  channels: string[] | null
}

/**
 * Usage against quota against threshold, for one tenant or all, in one query;
 * for one tenant also its query figures where Citus tracks them (citus-ops.ts).
 */
export async function usageReports(sql: Sql, tenantRef?: string): Promise<TenantUsageReport[]> {
  const rows = await sql<UsageRow[]>`
    select t.id, t.subdomain, t.max_assets, t.max_users, t.max_devices, t.storage_quota_gb,
      case when m.tenant_id is null then null else json_build_object('storage', m.storage_threshold, 'users', m.user_threshold,
        'assets', m.asset_threshold, 'devices', m.device_threshold) end as thresholds,
      m.channels, ${usageColumns(sql)}
    left join monitoring_configs m on m.tenant_id = t.id
    where ${tenantRef === undefined ? sql`true` : tenantKey(sql, tenantRef)}
    order by t.subdomain`
  if (tenantRef !== undefined && rows.length === 0) throw tenantNotFound(tenantRef)
  const queries = tenantRef === undefined ? undefined : await tenantQueryStats(sql, rows.map((r) => r.id))
  return rows.map((r) => {
    const metric = (name: Metric, used: number, limit: number, unit: string): MetricUsage => {
      const t = Number(r.thresholds?.[name] ?? DEFAULT_THRESHOLDS[name])
      const ratio = limit > 0 ? used / limit : 0
      return {metric: name, used, limit, ratio, threshold: t, breached: ratio >= t, unit}
    }
    return {
      tenantId: r.id,
      subdomain: r.subdomain,
      channels: r.channels ?? [],
      metrics: [
        metric('storage', storageGb(Number(r.storageBytes)), r.storageQuotaGb, 'GB'),
        metric('users', r.users, r.maxUsers, ''),
        metric('assets', r.assets, r.maxAssets, ''),
        metric('devices', r.devices, r.maxDevices, ''),
      ],
      ...(queries?.has(r.id) ? {queries: queries.get(r.id)!} : {}),
    }
  })
}

export interface CheckResult {
  checked: number
  breaches: {subdomain: string; metric: Metric; used: number; limit: number; ratio: number; threshold: number; queued: string[]}[]
  /** notifications queued now (a breach already queued is not queued again) */
  queued: number
  /** open notifications cleared because usage dropped */
  cleared: number
}

/** Evaluate thresholds; queue each new breach once per channel; clear those that are over. */
export async function checkMonitoring(sql: Sql, tenantRef?: string): Promise<CheckResult> {
  const reports = await usageReports(sql, tenantRef)
  const breaches = reports.flatMap((r) => r.metrics.filter((m) => m.breached).map((m) => ({report: r, m})))
  const outbox = breaches.flatMap(({report, m}) => report.channels.map((channel) => ({
    tenantId: report.tenantId, metric: m.metric, channel,
    payload: JSON.stringify({subdomain: report.subdomain, metric: m.metric, used: m.used, limit: m.limit, ratio: m.ratio, threshold: m.threshold}),
  })))
  return sql.begin(async (tx) => {
    const queued = outbox.length === 0 ? [] : await tx<{tenantId: string; metric: string; channel: string}[]>`
      insert into notification_outbox (tenant_id, kind, metric, channel, payload)
      select t, 'quota_breach', m, c, p::jsonb
      from unnest(${outbox.map((o) => o.tenantId)}::uuid[], ${outbox.map((o) => o.metric)}::text[], ${outbox.map((o) => o.channel)}::text[], ${outbox.map((o) => o.payload)}::text[]) as x(t, m, c, p)
      on conflict (tenant_id, kind, metric, channel) where cleared_at is null do nothing
      returning tenant_id, metric, channel`
    const cleared = await tx`
      update notification_outbox o set cleared_at = now()
      where o.cleared_at is null and o.kind = 'quota_breach'
        and o.tenant_id = any(${reports.map((r) => r.tenantId)}::uuid[])
        and not exists (select 1 from unnest(${breaches.map((b) => b.report.tenantId)}::uuid[], ${breaches.map((b) => b.m.metric)}::text[]) as b(t, m)
          where b.t = o.tenant_id and b.m = o.metric)`
    return {
      checked: reports.length,
      breaches: breaches.map(({report, m}) => ({
        subdomain: report.subdomain, metric: m.metric, used: m.used, limit: m.limit, ratio: m.ratio, threshold: m.threshold,
        queued: queued.filter((q) => q.tenantId === report.tenantId && q.metric === m.metric).map((q) => q.channel),
      })),
      queued: queued.length,
      cleared: cleared.count,
    }
  }) as Promise<CheckResult>
}

/** THRESHOLDS_BREACHED (kind breaches: cron acts on its exit code) when a check found any breach. */
export function checkOutcome(result: CheckResult): AppError | undefined {
  if (result.breaches.length === 0) return undefined
  return new AppError('THRESHOLDS_BREACHED', `${result.breaches.length} threshold(s) breached in ${result.checked} tenant(s).`, {
    suggestions: ['Raise the quota (tenant plan, tenant update) or reduce usage; each breach is queued once per channel.'],
  })
}
