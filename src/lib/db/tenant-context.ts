import type {Sql, TransactionSql} from 'postgres'

import {AppError} from '../errors.js'

/** The application role: no BYPASSRLS, DML grants only, subject to every tenant policy. */
export const APP_ROLE = 'anthias_app'
/** The role tenant migrations run as (through a short-lived login of its own, tenant-login.ts). */
export const MIGRATOR_ROLE = 'anthias_migrator'
/** The roles the schema's migrations create and grant to. */
export const SCHEMA_ROLES = [APP_ROLE, MIGRATOR_ROLE] as const
export const TENANT_SETTING = 'app.current_tenant_id'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const isUuid = (value: string) => UUID.test(value)

/**
 * Connection startup parameters for Citus, harmless placeholders on plain
 * PostgreSQL: SET LOCAL commands reach the workers (so the tenant set by
 * setTenant is what the shards' row-level security sees), and a transaction's
 * writes to several shards go over one connection per node, so that what it
 * wrote first is visible to what it does next there (and reference-table
 * foreign keys can be checked in the same transaction).
 */
export const CITUS_STARTUP = {'citus.propagate_set_commands': 'local', 'citus.multi_shard_modify_mode': 'sequential'} as const

/**
 * Inside a transaction: switch to the application role and set the tenant,
 * both transaction-local. The two statements are sent without waiting on
 * each other, so callers may pipeline them with more. Call it first in a
 * transaction and once: on Citus, the shards a transaction touched keep the
 * role and tenant they were touched with (a second role or tenant is refused
 * there, or not seen).
 */
export function enterTenant(tx: TransactionSql, tenantId: string): Promise<unknown> {
  return Promise.all([tx.unsafe(ENTER_ROLE), setTenant(tx, tenantId)])
}

/** The statement enterTenant switches role with (as text, for a caller that sends several statements in one message). */
export const ENTER_ROLE = `set local role ${APP_ROLE}`

/**
 * Set the tenant for the rest of the transaction, keeping the role: a SET
 * LOCAL of the validated id (which Citus propagates to the workers, unlike
 * set_config()).
 */
export function setTenant(tx: TransactionSql, tenantId: string): Promise<unknown> {
  return tx.unsafe(setTenantStatement(tenantId))
}

/** The SET LOCAL setTenant sends, as text (for a caller that sends several statements in one message). */
export function setTenantStatement(tenantId: string): string {
  if (!isUuid(tenantId)) throw new AppError('TENANT_ID_INVALID', `Not a tenant id: ${tenantId}`, {field: 'tenant'})
  return `set local ${TENANT_SETTING} = '${tenantId.toLowerCase()}'`
}

export interface TenantContextRow {
  /** current_user */
  role: string
  /** session_user: the role the connection logged in as */
  login: string
  tenant: string | null
}

/** Where a transaction stands: its role, its login and the tenant set. */
export const tenantContext = (tx: TransactionSql) => tx.unsafe<TenantContextRow[]>(TENANT_CONTEXT)

/** The query tenantContext sends, as text. */
export const TENANT_CONTEXT = `select current_user as role, session_user as login, current_setting('${TENANT_SETTING}', true) as tenant`

/** Back to the connecting role, inside the same transaction (the tenant setting stays until it ends). */
export const leaveTenant = (tx: TransactionSql) => tx.unsafe(LEAVE_ROLE)

/** The statement leaveTenant sends, as text. */
export const LEAVE_ROLE = 'reset role'

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
