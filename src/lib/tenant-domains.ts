/**
 * The subdomain and custom domain each tenant holds, in tenant_domains: the
 * one place their uniqueness is enforced on every storage of the tenants
 * table (on Citus, tenants is distributed by id and cannot carry a unique
 * index on lower(subdomain); tenant_domains is a reference table). Every write
 * of a tenant's subdomain or custom domain goes through claimDomains, in the
 * transaction that writes the tenant, and a delete through releaseDomains.
 */
import type {Sql, TransactionSql} from 'postgres'

export interface DomainClaim {
  tenantId: string
  subdomain: string
  customDomain?: string | null
}

/**
 * Record (or move) the names of these tenants. A name another tenant holds is
 * a unique violation on tenant_domains_subdomain_key or
 * tenant_domains_custom_domain_key (see domainConflict in tenants.ts).
 */
export async function claimDomains(tx: TransactionSql, claims: DomainClaim[]): Promise<void> {
  if (claims.length === 0) return
  await tx`
    insert into tenant_domains (tenant, subdomain, custom_domain)
    select t, lower(s), lower(d)
    from unnest(${claims.map((c) => c.tenantId)}::uuid[], ${claims.map((c) => c.subdomain)}::text[], ${claims.map((c) => c.customDomain ?? null)}::text[]) as x(t, s, d)
    on conflict (tenant) do update set subdomain = excluded.subdomain, custom_domain = excluded.custom_domain`
}

/** Free a deleted tenant's names. */
export async function releaseDomains(tx: TransactionSql, tenantId: string): Promise<void> {
  await tx`delete from tenant_domains where tenant = ${tenantId}`
}

/**
 * The id of the tenant holding this subdomain (case-insensitive), if any:
 * from tenant_domains, else from tenants itself (a tenant written without
 * anthias, such as a backup file restored with psql, has no row here).
 */
export async function tenantIdBySubdomain(sql: Sql | TransactionSql, subdomain: string): Promise<string | undefined> {
  const key = subdomain.trim().toLowerCase()
  const [row] = await sql<{tenant: string}[]>`select tenant from tenant_domains where subdomain = ${key}`
  if (row) return row.tenant
  const [tenant] = await sql<{id: string}[]>`select id from tenants where lower(subdomain) = ${key}`
  return tenant?.id
}
