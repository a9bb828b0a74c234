import type {Sql, TransactionSql} from 'postgres'

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
 * devices and storage_bytes (text: a bigint sum), for one tenant or all.
 */
export const usageColumns = (sql: Sql | TransactionSql) => sql`
  a.n as assets, u.n as users, d.n as devices, a.bytes::text as storage_bytes
  from tenants t
  cross join lateral (select count(*)::int as n, coalesce(sum(size_bytes), 0) as bytes from assets where tenant_id = t.id) a
  cross join lateral (select count(*)::int as n from memberships where tenant_id = t.id) u
  cross join lateral (select count(*)::int as n from devices where tenant_id = t.id) d`

export const storageGb = (bytes: number) => Math.round((bytes / GB) * 100) / 100

/** What a tenant uses of each quota, in one query (as the owner: every row of that tenant). */
export async function tenantUsage(sql: Sql | TransactionSql, tenantId: string): Promise<Usage> {
  const [row] = await sql<{assets: number; users: number; devices: number; storageBytes: string}[]>`
    select ${usageColumns(sql)} where t.id = ${tenantId}`
  if (!row) throw tenantNotFound(tenantId)
  const storageBytes = Number(row.storageBytes)
  return {assets: row.assets, users: row.users, devices: row.devices, storageBytes, storageGb: storageGb(storageBytes)}
}

/** Each limit below current usage, as `assets: 612 in use > 500`. */
export function limitViolations(usage: Usage, limits: Limits): string[] {
  const checks: [string, number, number][] = [
    ['assets', usage.assets, limits.maxAssets],
    ['users', usage.users, limits.maxUsers],
    ['devices', usage.devices, limits.maxDevices],
    ['storage', usage.storageBytes / GB, limits.storageQuotaGb],
  ]
  return checks
    .filter(([, used, limit]) => used > limit)
    .map(([name, used, limit]) => (name === 'storage' ? `storage: ${used.toFixed(2)} GB in use > ${limit} GB` : `${name}: ${used} in use > ${limit}`))
}
