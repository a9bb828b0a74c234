/** The tables that hold tenant rows, from the catalog. */
import type {Sql, TransactionSql} from 'postgres'

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
