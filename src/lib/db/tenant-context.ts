import type {Sql, TransactionSql} from 'postgres'

import {AppError} from '../errors.js'

/** The application role: no BYPASSRLS, DML grants only, subject to every tenant policy. */
export const APP_ROLE = 'anthias_app'
export const TENANT_SETTING = 'app.current_tenant_id'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const isUuid = (value: string) => UUID.test(value)

/**
 * Run `fn` in one transaction as the application role with the tenant set
 * (transaction-local), so row-level security confines it to that tenant's
 * rows. Every query inside must use `tx`.
 */
export async function withTenant<T>(sql: Sql, tenantId: string, fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
  if (!isUuid(tenantId)) throw new AppError('TENANT_ID_INVALID', `Not a tenant id: ${tenantId}`, {field: 'tenant'})
  return sql.begin(async (tx) => {
    await tx.unsafe(`set local role ${APP_ROLE}`)
    await tx`select set_config(${TENANT_SETTING}, ${tenantId}, true)`
    return fn(tx)
  }) as Promise<T>
}
