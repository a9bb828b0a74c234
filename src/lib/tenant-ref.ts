import type {Sql, TransactionSql} from 'postgres'

import {isUuid} from './db/tenant-context.js'
import {type Action, AppError, type Hint, notFound} from './errors.js'
import {tenantIdBySubdomain} from './tenant-domains.js'
import type {Limits} from './validation.js'

/** `T` of the commands: a tenant id or a subdomain (case-insensitive), as a condition on `tenants t`. */
export function tenantKey(sql: Sql | TransactionSql, ref: string) {
  const key = ref.trim().toLowerCase()
  return isUuid(key) ? sql`t.id = ${key}::uuid` : sql`lower(t.subdomain) = ${key}`
}

/** The id of the tenant `ref` names (an id is taken as it is, a subdomain looked up); undefined when no tenant holds the subdomain. */
export async function tenantIdOf(sql: Sql | TransactionSql, ref: string): Promise<string | undefined> {
  const key = ref.trim().toLowerCase()
  return isUuid(key) ? key : tenantIdBySubdomain(sql, key)
}

export const tenantNotFound = (ref: string) =>
  notFound('TENANT_NOT_FOUND', `No tenant with ${isUuid(ref.trim()) ? 'id' : 'subdomain'} "${ref}".`)

export interface LockedTenant extends Limits {
  id: string
  name: string
  subdomain: string
  planId: string
  status: 'active' | 'suspended'
}

/** A tenant's id and subdomain by id or subdomain (case-insensitive); TENANT_NOT_FOUND otherwise. */
export async function findTenant(sql: Sql | TransactionSql, ref: string): Promise<{id: string; subdomain: string}> {
  const [row] = await sql<{id: string; subdomain: string}[]>`select t.id, t.subdomain from tenants t where ${tenantKey(sql, ref)}`
  if (!row) throw tenantNotFound(ref)
  return row
}

/**
 * Find a tenant by id or subdomain and lock its row for the rest of the
 * transaction, so that changes which check its limits (seats, plan, keys)
 * run one after another for the same tenant.
 */
export async function lockTenant(tx: TransactionSql, ref: string): Promise<LockedTenant> {
  // by id, so that on Citus the lock is one shard's row lock (a FOR UPDATE that spans shards is refused)
  const id = await tenantIdOf(tx, ref)
  const [row] = id === undefined ? [] : await tx<LockedTenant[]>`
    select t.id, t.name, t.subdomain, t.plan_id, t.status, t.max_assets, t.max_users, t.max_devices, t.storage_quota_gb
    from tenants t
    where t.id = ${id}
    for update`
  if (!row) throw tenantNotFound(ref)
  return row
}

/**
 * A change that destroys a tenant's data (delete, a restore over it) is
 * confirmed by its exact name: missing, CONFIRMATION_REQUIRED; another text,
 * CONFIRMATION_MISMATCH. `nothing` says what was therefore not done; `retry`
 * is the command to run again, confirmed.
 */
export function checkConfirmedName(tenant: {name: string; subdomain: string}, given: string | undefined, nothing: string, retry: Action, suggestions: Hint[] = []): void {
  if (given === tenant.name) return
  throw new AppError(
    given === undefined ? 'CONFIRMATION_REQUIRED' : 'CONFIRMATION_MISMATCH',
    `${given === undefined ? 'No confirmation for' : `"${given}" is not the exact name of`} tenant ${tenant.name} (${tenant.subdomain}); ${nothing}.`,
    {field: 'confirmName', suggestions: [{...retry, args: {...retry.args, confirmName: tenant.name}, text: 'Confirm with its exact name: {command}'}, ...suggestions]},
  )
}
