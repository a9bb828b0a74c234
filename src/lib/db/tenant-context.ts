import type {Sql, TransactionSql} from 'postgres'

import {AppError} from '../errors.js'

/** The application role: no BYPASSRLS, DML grants only, subject to every tenant policy. */
export const APP_ROLE = 'anthias_app'
export const TENANT_SETTING = 'app.current_tenant_id'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const isUuid = (value: string) => UUID.test(value)

/**
 * Inside a transaction: switch to the application role and set the tenant,
 * both transaction-local. The two statements are sent without waiting on
 * each other, so callers may pipeline them with more.
 */
export function enterTenant(tx: TransactionSql, tenantId: string): Promise<unknown> {
  return Promise.all([tx.unsafe(`set local role ${APP_ROLE}`), setTenant(tx, tenantId)])
}

/** Set the tenant for the rest of the transaction, keeping the role. */
export function setTenant(tx: TransactionSql, tenantId: string): Promise<unknown> {
  if (!isUuid(tenantId)) throw new AppError('TENANT_ID_INVALID', `Not a tenant id: ${tenantId}`, {field: 'tenant'})
  return tx`select set_config(${TENANT_SETTING}, ${tenantId}, true)`
}

export interface TenantContextRow {
  /** current_user */
  role: string
  /** session_user: the role the connection logged in as */
  login: string
  tenant: string | null
}

/** Where a transaction stands: its role, its login and the tenant set. */
export const tenantContext = (tx: TransactionSql) =>
  tx<TenantContextRow[]>`select current_user as role, session_user as login, current_setting(${TENANT_SETTING}, true) as tenant`

/** Back to the connecting role, inside the same transaction (the tenant setting stays until it ends). */
export const leaveTenant = (tx: TransactionSql) => tx.unsafe('reset role')

/**
 * Run `fn` in one transaction as the application role with the tenant set
 * (transaction-local), so row-level security confines it to that tenant's
 * rows. Every query inside must use `tx`.
 */
export async function withTenant<T>(sql: Sql, tenantId: string, fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
  if (!isUuid(tenantId)) throw new AppError('TENANT_ID_INVALID', `Not a tenant id: ${tenantId}`, {field: 'tenant'})
  return sql.begin(async (tx) => {
    await enterTenant(tx, tenantId)
    return fn(tx)
  }) as Promise<T>
}
