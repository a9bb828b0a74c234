/**
 * Which tables hold tenant rows, and what each one is: the one answer for
 * row-level security (rls.ts), delete (tenant-delete.ts), backup and restore
 * (backup.ts) and verify (verify.ts).
 *
 * The tables themselves come from the database catalog (every table of the
 * schema with a tenant_id column), so a table added later is policed, deleted
 * and backed up with the others; TENANT_TABLES says what each of them is, and
 * test/integration/tenant-tables.test.ts keeps it equal to the migrated schema.
 */
import type {Sql, TransactionSql} from 'postgres'

export type TenantTableKind =
  /** the tenant's own data: the application role reads and writes it, in the tenant's context */
  | 'data'
  /** control plane: policed, but written only by the connecting role (no DML for the application role) */
  | 'control'
  /** the audit trail: policed, kept when its tenant is deleted, and not part of a backup */
  | 'audit'

export const TENANT_TABLES = {
  assets: 'data',
  devices: 'data',
  qr_contents: 'data',
  tenant_features: 'control',
  memberships: 'control',
  api_keys: 'control',
  tenant_migrations: 'control',
  monitoring_configs: 'control',
  // a tenant.deleted event's rows have no tenant_id, so they outlive the tenant (and are in no backup)
  notification_outbox: 'control',
  audit_log: 'audit',
} as const satisfies Record<string, TenantTableKind>

/** What a table is; one that TENANT_TABLES does not name yet is tenant data (it gets RLS, grants, delete and backup). */
export const tenantTableKind = (table: string): TenantTableKind =>
  Object.hasOwn(TENANT_TABLES, table) ? TENANT_TABLES[table as keyof typeof TENANT_TABLES] : 'data'

/** The application role reads and writes it, in the tenant's context. */
export const isTenantData = (table: string) => tenantTableKind(table) === 'data'

/** The catalog's tables with a tenant_id column in the current schema, as rows (oid, name): the one query, for use inside others. */
export const tenantTableRelations = (sql: Sql | TransactionSql) => sql`
  select c.oid, c.relname as name
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
  join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
  where c.relkind in ('r', 'p')`

/**
 * Every table holding tenant rows but the audit trail, children before
 * parents: the order a delete goes in (a restore loads them the other way).
 */
export async function tenantTablesChildrenFirst(sql: Sql | TransactionSql): Promise<string[]> {
  const rows = await sql<{table: string; parents: string[]}[]>`
    select t.name as table,
      coalesce(array_agg(distinct p.relname::text) filter (where p.relname is not null and p.oid <> t.oid), '{}') as parents
    from (${tenantTableRelations(sql)}) t
    left join pg_constraint fk on fk.conrelid = t.oid and fk.contype = 'f'
    left join pg_class p on p.oid = fk.confrelid
    group by t.oid, t.name`
  const parents = new Map(rows.filter((r) => tenantTableKind(r.table) !== 'audit').map((r) => [r.table, new Set(r.parents)]))
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
