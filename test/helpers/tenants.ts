import type {Sql} from 'postgres'

import {resolveContext} from '../../src/lib/context.js'
import {withTenant} from '../../src/lib/db/tenant-context.js'
import {tenantTableRelations} from '../../src/lib/tenant-tables.js'
import {createTenant} from '../../src/lib/tenants.js'

/**
 * Tenants tenant-a and tenant-b, each with an owner and, written in its own
 * context, an asset, a device and a QR content: what the row-level security
 * probes look for. Returns their ids.
 */
export async function twoTenantsWithData(sql: Sql): Promise<[string, string]> {
  const ctx = resolveContext({actor: 'test'})
  const ids: string[] = []
  for (const x of ['a', 'b']) {
    const id = (await createTenant(sql, {name: `Tenant ${x.toUpperCase()}`, subdomain: `tenant-${x}`, ownerEmail: `owner@${x}.example.com`}, ctx)).tenant.id
    await withTenant(sql, id, async (tx) => {
      const [asset] = await tx`insert into assets (tenant_id, name, uri, mimetype) values (${id}, 'Welcome', 'welcome.html', 'text/html') returning id`
      await tx`insert into devices (tenant_id, name) values (${id}, 'Lobby screen')`
      await tx`insert into qr_contents (tenant_id, name, content, asset_id) values (${id}, 'Menu', 'https://example.com', ${asset!.id})`
    })
    ids.push(id)
  }
  return ids as [string, string]
}

/**
 * How many tenants are not whole (of those whose subdomain starts with `prefix`-, or all):
 * a tenant row without its subdomain in tenant_domains, its owner, exactly `features`
 * feature overrides and exactly one tenant.create audit row. A create is one transaction:
 * all of these or no tenant at all.
 */
export async function partialTenants(sql: Sql, {features, prefix}: {features: number; prefix?: string}): Promise<number> {
  // the audit trail apart: on Citus it stays on the coordinator, and a query cannot join it to the distributed tenants
  const tenants = await sql<{id: string; whole: boolean}[]>`
    select t.id, exists (select 1 from tenant_domains d where d.tenant = t.id and d.subdomain = t.subdomain)
        and exists (select 1 from memberships m where m.tenant_id = t.id and m.role = 'owner')
        and (select count(*) from tenant_features f where f.tenant_id = t.id) = ${features} as whole
    from tenants t
    where (${prefix ?? null}::text is null or t.subdomain like ${`${prefix}-%`})`
  const created = new Map((await sql<{tenantId: string; n: number}[]>`
    select tenant_id, count(*)::int as n from audit_log
    where action = 'tenant.create' and tenant_id = any(${tenants.map((t) => t.id)}::uuid[]) group by tenant_id`).map((a) => [a.tenantId, a.n]))
  return tenants.filter((t) => !t.whole || created.get(t.id) !== 1).length
}

/**
 * Rows no tenant owns, by table: a tenant table's rows (every table with a tenant_id, from the
 * catalog: tenantTableRelations) whose tenant is gone, tenant_domains without their tenant, users
 * without a membership. Empty when a failed or refused create left nothing behind.
 */
export async function orphanRows(sql: Sql): Promise<Record<string, number>> {
  const found: Record<string, number> = {}
  // the owners apart: on Citus neither a coordinator table (audit_log) nor a reference table
  // (tenant_domains, users) can be joined here to the distributed tenants and memberships
  const tenants = new Set((await sql<{id: string}[]>`select id from tenants`).map((t) => t.id))
  for (const {name} of await sql<{name: string}[]>`select name from (${tenantTableRelations(sql)}) t where name <> 'tenants'`) {
    const rows = await sql<{tenantId: string; n: number}[]>`select tenant_id, count(*)::int as n from ${sql(name)} where tenant_id is not null group by tenant_id`
    const n = rows.filter((r) => !tenants.has(r.tenantId)).reduce((sum, r) => sum + r.n, 0)
    if (n > 0) found[name] = n
  }
  const domains = (await sql<{tenant: string}[]>`select tenant from tenant_domains`).filter((d) => !tenants.has(d.tenant)).length
  if (domains > 0) found.tenant_domains = domains
  const members = new Set((await sql<{userId: string}[]>`select distinct user_id from memberships`).map((m) => m.userId))
  const users = (await sql<{id: string}[]>`select id from users`).filter((u) => !members.has(u.id)).length
  if (users > 0) found.users = users
  return found
}
