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
  const [row] = await sql<{n: number}[]>`
    select count(*)::int as n from tenants t
    where (${prefix ?? null}::text is null or t.subdomain like ${`${prefix}-%`})
      and (not exists (select 1 from tenant_domains d where d.tenant = t.id and d.subdomain = t.subdomain)
        or not exists (select 1 from memberships m where m.tenant_id = t.id and m.role = 'owner')
        or (select count(*) from tenant_features f where f.tenant_id = t.id) <> ${features}
        or (select count(*) from audit_log a where a.tenant_id = t.id and a.action = 'tenant.create') <> 1)`
  return row!.n
}

/**
 * Rows no tenant owns, by table: a tenant table's rows (every table with a tenant_id, from the
 * catalog: tenantTableRelations) whose tenant is gone, tenant_domains without their tenant, users
 * without a membership. Empty when a failed or refused create left nothing behind.
 */
export async function orphanRows(sql: Sql): Promise<Record<string, number>> {
  const found: Record<string, number> = {}
  const count = async (table: string, query: Promise<{n: number}[]>) => {
    const [row] = await query
    if (row!.n > 0) found[table] = row!.n
  }
  for (const {name} of await sql<{name: string}[]>`select name from (${tenantTableRelations(sql)}) t where name <> 'tenants'`) {
    await count(name, sql<{n: number}[]>`select count(*)::int as n from ${sql(name)} x where x.tenant_id is not null and not exists (select 1 from tenants t where t.id = x.tenant_id)`)
  }
  await count('tenant_domains', sql`select count(*)::int as n from tenant_domains d where not exists (select 1 from tenants t where t.id = d.tenant)`)
  await count('users', sql`select count(*)::int as n from users u where not exists (select 1 from memberships m where m.user_id = u.id)`)
  return found
}
