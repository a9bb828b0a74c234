/** Tenant deletion (the guide's TenantManager.delete_tenant with confirm_name). */
import type {Sql} from 'postgres'

import {writeAudit} from './audit.js'
import {orphanScan, type PublishableFile, withFrozenTenants} from './backup.js'
import type {Context} from './context.js'
import type {OnProgress} from './progress.js'
import {releaseDomains} from './tenant-domains.js'
import {checkConfirmedName, tenantIdOf, tenantNotFound} from './tenant-ref.js'
import {tenantTablesChildrenFirst} from './tenant-tables.js'

export interface DeleteResult {
  tenantId: string
  name: string
  subdomain: string
  /** rows deleted per table, children first */
  deleted: Record<string, number>
  /** the verified backup of exactly the rows deleted (its file's name) */
  backup?: string
  /** rows left for the tenant id after the commit, per table (see orphanScan): empty when the delete is whole */
  orphans: Record<string, number>
}

/**
 * Delete a tenant and all its rows, children first, in one frozen transaction
 * (withFrozenTenants): with `backup`, a verified backup is written first from
 * the same snapshot, so what is deleted is exactly what was backed up, and a
 * row written meanwhile either is in it or is refused (its tenant is gone).
 * People who belonged to no other tenant are removed with it; the audit trail is kept,
 * and so is the tenant.deleted event queued for the webhooks subscribed to it.
 * After the commit, an orphan scan looks for rows left under the tenant's id.
 * Progress: phases backup, compress, verify (of the backup), delete (per table,
 * of the backup's row count when there is one).
 */
export async function deleteTenant(sql: Sql, tenantRef: string, confirmName: string | undefined, ctx: Context, options: {backup?: () => Promise<PublishableFile>; onProgress?: OnProgress} = {}): Promise<DeleteResult> {
  const result = await withFrozenTenants(sql, [await tenantIdOf(sql, tenantRef)], `delete tenant ${tenantRef}`, async (tx, [tenant], backup) => {
    if (!tenant) throw tenantNotFound(tenantRef)
    checkConfirmedName(tenant, confirmName, 'nothing was deleted', {command: 'tenant.delete', args: {tenant: tenant.subdomain}})
    const made = options.backup === undefined ? undefined : await backup(tenant, options.backup)
    const file = made?.path
    const members = await tx<{userId: string}[]>`select user_id from memberships where tenant_id = ${tenant.id}`
    const deleted: Record<string, number> = {}
    const progress = {rows: 0, totalRows: made?.manifest.tables.reduce((n, t) => n + (t.name === 'users' ? 0 : t.rows), 0)}
    for (const table of await tenantTablesChildrenFirst(tx)) {
      options.onProgress?.({phase: 'delete', table, ...progress})
      deleted[table] = (await tx`delete from ${tx(table)} where tenant_id = ${tenant.id}`).count
      progress.rows += deleted[table]
    }
    // the tenant.deleted event (a trigger on tenants, sql/migrations/0009_tenant_deleted_event.up.sql) names the actor
    await tx`select set_config('anthias.actor', ${ctx.actor}, true)`
    deleted.tenants = (await tx`delete from tenants where id = ${tenant.id}`).count
    await releaseDomains(tx, tenant.id)
    progress.rows += deleted.tenants
    options.onProgress?.({phase: 'delete', ...progress})
    // the members' users that no other tenant has, in two statements: on Citus users is a reference
    // table, and a delete from it may not read a distributed table (a user given a membership
    // meanwhile makes the delete fail its foreign key, and it is tried again)
    const kept = new Set(members.length === 0 ? [] : (await tx<{userId: string}[]>`
      select distinct user_id from memberships where user_id = any(${members.map((m) => m.userId)}::uuid[])`).map((m) => m.userId))
    const unused = members.map((m) => m.userId).filter((id) => !kept.has(id))
    deleted.users = unused.length === 0 ? 0 : (await tx`delete from users where id = any(${unused}::uuid[])`).count
    await writeAudit(tx, {actor: ctx.actor, action: 'tenant.delete', tenantId: tenant.id, subject: tenant.subdomain, arguments: {name: tenant.name, deleted, backup: file}})
    return {tenantId: tenant.id, name: tenant.name, subdomain: tenant.subdomain, deleted, backup: file}
  }, {retryForeignKey: true, onProgress: options.onProgress})
  return {...result, orphans: await orphanScan(sql, result.tenantId)}
}
