/** Tenant deletion (the guide's TenantManager.delete_tenant with confirm_name). */
import type {Sql, TransactionSql} from 'postgres'

import {writeAudit} from './audit.js'
import type {Context} from './context.js'
import {AppError} from './errors.js'
import {lockTenant} from './tenant-ref.js'

export interface DeleteResult {
  tenantId: string
  name: string
  subdomain: string
  /** rows deleted per table, children first */
  deleted: Record<string, number>
}

/**
 * Every table holding tenant rows (a tenant_id column), children before
 * parents, from the catalog: a table added later is never left behind.
 * The audit trail is kept.
 */
export async function tenantTablesChildrenFirst(sql: Sql | TransactionSql): Promise<string[]> {
  const rows = await sql<{table: string; parents: string[]}[]>`
    select c.relname as table,
      coalesce(array_agg(distinct p.relname::text) filter (where p.relname is not null and p.oid <> c.oid), '{}') as parents
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
    join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
    left join pg_constraint fk on fk.conrelid = c.oid and fk.contype = 'f'
    left join pg_class p on p.oid = fk.confrelid
    where c.relkind in ('r', 'p') and c.relname <> 'audit_log'
    group by c.relname`
  const parents = new Map(rows.map((r) => [r.table, new Set(r.parents)]))
  const order: string[] = []
  const visit = (table: string, seen: Set<string>) => {
    if (order.includes(table) || seen.has(table)) return
    seen.add(table)
    // every table that references this one goes first
    for (const [child, ps] of parents) if (ps.has(table)) visit(child, seen)
    order.push(table)
  }
  for (const table of [...parents.keys()].sort()) visit(table, new Set())
  return order
}

export async function deleteTenant(sql: Sql, tenantRef: string, confirmName: string, ctx: Context): Promise<DeleteResult> {
  return sql.begin(async (tx) => {
    const tenant = await lockTenant(tx, tenantRef)
    if (confirmName !== tenant.name) {
      throw new AppError('CONFIRMATION_MISMATCH', `"${confirmName}" is not the tenant's exact name; nothing was deleted.`, {
        field: 'confirm-name',
        suggestions: [`Type the name exactly as shown by anthias tenant show ${tenant.subdomain}.`],
      })
    }
    const members = await tx<{userId: string}[]>`select user_id from memberships where tenant_id = ${tenant.id}`
    const deleted: Record<string, number> = {}
    for (const table of await tenantTablesChildrenFirst(tx)) {
      deleted[table] = (await tx`delete from ${tx(table)} where tenant_id = ${tenant.id}`).count
    }
    deleted.tenants = (await tx`delete from tenants where id = ${tenant.id}`).count
    // people who belonged to no other tenant are removed with it
    deleted.users = members.length === 0 ? 0 : (await tx`
      delete from users u where u.id = any(${members.map((m) => m.userId)}::uuid[])
        and not exists (select 1 from memberships m where m.user_id = u.id)`).count
    await writeAudit(tx, {actor: ctx.actor, action: 'tenant.delete', tenantId: tenant.id, subject: tenant.subdomain, arguments: {name: tenant.name, deleted}})
    return {tenantId: tenant.id, name: tenant.name, subdomain: tenant.subdomain, deleted}
  }) as Promise<DeleteResult>
}
