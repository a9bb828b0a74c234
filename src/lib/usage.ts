import type {Sql, TransactionSql} from 'postgres'

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

/** What a tenant uses of each quota, in one query (as the owner: every row of that tenant). */
export async function tenantUsage(sql: Sql | TransactionSql, tenantId: string): Promise<Usage> {
  const [row] = await sql<{assets: number; users: number; devices: number; storageBytes: string}[]>`
    select
      (select count(*)::int from assets where tenant_id = ${tenantId}) as assets,
      (select count(*)::int from memberships where tenant_id = ${tenantId}) as users,
      (select count(*)::int from devices where tenant_id = ${tenantId}) as devices,
      (select coalesce(sum(size_bytes), 0)::text from assets where tenant_id = ${tenantId}) as storage_bytes`
  const storageBytes = Number(row!.storageBytes)
  return {assets: row!.assets, users: row!.users, devices: row!.devices, storageBytes, storageGb: Math.round((storageBytes / GB) * 100) / 100}
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
