/**
 * Usage against quota. The database holds both rules (sql/migrations/0005_quotas.up.sql):
 * what a tenant uses (the view `tenant_usages`, and `tenant_usage` of one tenant) and which
 * limits that exceeds (`quota_excess`);
 * its triggers refuse any insert that would take a tenant above a limit. This
 * module reads them and turns the triggers' refusal into QUOTA_EXCEEDED.
 */
import type {Sql, TransactionSql} from 'postgres'

import {AppError, conflict} from './errors.js'
import {tenantNotFound} from './tenant-ref.js'
import type {Limits} from './validation.js'

export interface Usage {
  assets: number
  users: number
  devices: number
  storageBytes: number
  /** storageBytes in GB (2^30 bytes), two decimals */
  storageGb: number
}

const GB = 1024 ** 3

/**
 * What each tenant `t` of a query over tenants uses: columns assets, users,
 * devices and storage_bytes (text: a bigint sum), for one tenant or all (the
 * view tenant_usages, joined by tenant id: on Citus, on the shards).
 */
export const usageColumns = (sql: Sql | TransactionSql) => sql`
  u.assets, u.users, u.devices, u.storage_bytes::text as storage_bytes
  from tenants t join tenant_usages u on u.tenant_id = t.id`

export const storageGb = (bytes: number) => Math.round((bytes / GB) * 100) / 100

/** What a tenant uses of each quota, in one query (as the owner: every row of that tenant). */
export async function tenantUsage(sql: Sql | TransactionSql, tenantId: string): Promise<Usage> {
  const [row] = await sql<{assets: number; users: number; devices: number; storageBytes: string}[]>`
    select ${usageColumns(sql)} where t.id = ${tenantId}`
  if (!row) throw tenantNotFound(tenantId)
  const storageBytes = Number(row.storageBytes)
  return {assets: row.assets, users: row.users, devices: row.devices, storageBytes, storageGb: storageGb(storageBytes)}
}

/** Each of `limits` that the tenant's current usage exceeds, as `assets: 612 in use > 500`. */
export async function limitViolations(sql: Sql | TransactionSql, tenantId: string, limits: Limits): Promise<string[]> {
  const rows = await sql<{resource: string; used: string; quota: string}[]>`
    select resource, used::text, quota::text
    from quota_excess(${tenantId}, ${limits.maxAssets}, ${limits.maxUsers}, ${limits.maxDevices}, ${limits.storageQuotaGb})`
  return rows.map(({resource, used, quota}) => resource === 'storage'
    ? `storage: ${(Number(used) / GB).toFixed(2)} GB in use > ${Number(quota) / GB} GB`
    : `${resource}: ${used} in use > ${quota}`)
}

/** The SQLSTATE of the quota triggers' refusal. */
export const QUOTA_SQLSTATE = 'AQ001'

/** The input of tenant update that sets each limit. */
const LIMIT_INPUT: Record<string, string> = {users: 'maxUsers', assets: 'maxAssets', devices: 'maxDevices', storage: 'storageQuota'}
const LIMIT_COLUMN: Record<string, string> = {users: 'max_users', assets: 'max_assets', devices: 'max_devices', storage: 'storage_quota_gb'}

/**
 * The database's refusal of an insert above a quota as QUOTA_EXCEEDED (exit
 * 4), with its numbers (storage in bytes); undefined for any other error.
 */
export function quotaExceeded(error: unknown): AppError | undefined {
  const e = error as {code?: string; message?: string; detail?: string}
  if (e?.code !== QUOTA_SQLSTATE) return undefined
  const details = JSON.parse(e.detail ?? '{}') as {subdomain: string; resource: string; used: number; adding: number; limit: number}
  const {subdomain, resource, used, adding} = details
  const enough = resource === 'storage' ? Math.ceil((used + adding) / GB) : used + adding
  return conflict('QUOTA_EXCEEDED', e.message!, {
    field: LIMIT_COLUMN[resource],
    details,
    suggestions: [
      {command: 'tenant.update', args: {tenant: subdomain, [LIMIT_INPUT[resource]!]: enough}, text: 'Raise the limit: {command}'},
      ...(resource === 'users' ? [{command: 'user.remove', args: {tenant: subdomain, email: null}, text: 'Or remove a member: {command}'}] : []),
    ],
    cause: error,
  })
}
