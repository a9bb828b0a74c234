/**
 * `tenant list`: pages of tenants. Apart from tenants.ts (the tenant spec's zod schemas,
 * creation, members) so that listing starts up without loading them.
 */
import type {Sql} from 'postgres'

import {accessUrl} from './context.js'
import {AppError} from './errors.js'
import {findPlan, loadCatalog} from './plans.js'
import {decodeCursor, KEY, type Page, type PageRequest, parseSort, TENANT_SORTS, toPage} from './paging.js'

export type TenantStatus = 'active' | 'suspended'

export interface TenantSummary {
  id: string
  name: string
  subdomain: string
  accessUrl: string
  plan: string
  status: TenantStatus
  customDomain: string | null
  createdAt: Date
}

export const TENANT_STATUSES = ['active', 'suspended'] as const satisfies readonly TenantStatus[]
export interface ListTenantsOptions extends PageRequest {
  /** a plan of the catalog; PLAN_UNKNOWN otherwise */
  plan?: string
  /** active or suspended; STATUS_UNKNOWN otherwise */
  status?: string
  /** matches name or subdomain, case-insensitive */
  search?: string
  /** a field of TENANT_SORTS, - before it for descending; subdomain by default */
  sort?: string
  /** count the filtered tenants into `total` (default true) */
  withTotal?: boolean
}

/** A text matched literally inside a LIKE pattern: %, _ and the backslash (PostgreSQL's default LIKE escape) escaped. */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`)

/** One page of tenants in a stable order (keyset on the sort key and the id), with the count of the filtered tenants. */
export async function listTenants(sql: Sql, options: ListTenantsOptions, baseDomain: string): Promise<Page<TenantSummary>> {
  const plan = options.plan === undefined ? undefined : findPlan(await loadCatalog(sql), options.plan).id
  const status = options.status === undefined ? undefined : options.status.trim().toLowerCase()
  if (status !== undefined && !(TENANT_STATUSES as readonly string[]).includes(status)) {
    throw new AppError('STATUS_UNKNOWN', `Unknown status "${options.status}". Statuses: ${TENANT_STATUSES.join(', ')}.`, {field: 'status', suggestions: [...TENANT_STATUSES]})
  }
  const sort = parseSort(options.sort ?? 'subdomain', TENANT_SORTS)
  // subdomains are unique (lowercased): the key alone orders; names and times need the id after them
  const key = {subdomain: sql`lower(subdomain)`, name: sql`name`, created: sql`created_at`}[sort.field]
  const unique = sort.field === 'subdomain'
  const after = options.after === undefined ? undefined : decodeCursor(options.after, sort.spec, unique ? [KEY.text] : [sort.field === 'created' ? KEY.time : KEY.text, KEY.uuid])
  const search = options.search ? `%${likeLiteral(options.search)}%` : undefined
  const filters = sql`
      ${plan ? sql`and plan_id = ${plan}` : sql``}
      ${status ? sql`and status = ${status}` : sql``}
      ${search ? sql`and (name ilike ${search} or subdomain ilike ${search})` : sql``}`
  // as text: a parameter typed timestamptz would go through a JS Date and lose its microseconds
  const cast = sort.field === 'created' ? sql`::text::timestamptz` : sql``
  const [op, dir] = sort.descending ? [sql`<`, sql`desc`] : [sql`>`, sql`asc`]
  const keyset = after === undefined ? sql``
    : unique ? sql`and ${key} ${op} ${after[0]!}`
    : sql`and (${key}, id) ${op} (${after[0]!}${cast}, ${after[1]!}::uuid)`
  const rows = await sql<(Omit<TenantSummary, 'accessUrl'> & {sortKey: string})[]>`
    select id, name, subdomain, plan_id as plan, status, custom_domain, created_at, ${key}::text as sort_key
    from tenants
    where true ${filters} ${keyset}
    order by ${key} ${dir}${unique ? sql`` : sql`, id ${dir}`}
    limit ${options.limit + 1}`
  const total = options.withTotal === false ? undefined : (await sql<{n: number}[]>`select count(*)::int as n from tenants where true ${filters}`)[0]!.n
  const page = toPage(rows, options.limit, sort.spec, (r) => (unique ? [r.sortKey] : [r.sortKey, r.id]), total)
  return {
    ...page,
    items: page.items.map((r) => ({id: r.id, name: r.name, subdomain: r.subdomain, accessUrl: accessUrl(r.subdomain, baseDomain), plan: r.plan, status: r.status, customDomain: r.customDomain, createdAt: r.createdAt})),
  }
}
