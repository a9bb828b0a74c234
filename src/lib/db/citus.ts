/**
 * Citus: where each table of the schema lives on a distributed cluster, the
 * step of db migrate that puts it there, and what db status shows of the
 * cluster. On plain PostgreSQL (no citus extension in the database) every
 * function here is a no-op or answers undefined.
 *
 * Placement, from the catalogue (tenant-tables.ts for the tables with a
 * tenant_id column, GLOBAL_TABLES here for the others):
 * - tenants is distributed by id, and every tenant table by tenant_id,
 *   co-located with it, so one tenant's rows of every table are on one node;
 * - the audit trail (kind 'audit') and the global tables placed 'coordinator'
 *   stay plain tables on the coordinator (rows without a tenant, an identity
 *   primary key, triggers, now() in ON CONFLICT DO UPDATE);
 * - the global tables placed 'reference' are copied to every node, so that
 *   distributed tables may refer to them and join them on their own node.
 */
import type {Sql, TransactionSql} from 'postgres'

import {AppError} from '../errors.js'
import {tenantTableKind} from '../tenant-tables.js'

export type GlobalTablePlacement = 'reference' | 'coordinator'

/**
 * The tables without a tenant_id column. One not named here stays on the
 * coordinator: name it 'reference' when a tenant table refers to it or
 * shard-side code (a trigger on a tenant table) reads it.
 */
export const GLOBAL_TABLES = {
  plans: 'reference',
  features: 'reference',
  users: 'reference',
  tenant_domains: 'reference',
  webhook_endpoints: 'reference',
  provisioning_runs: 'coordinator',
  provisioning_run_rows: 'coordinator',
  anthias_schema_migrations: 'coordinator',
  // the HTTP API's (now() in an ON CONFLICT DO UPDATE, which a reference table refuses)
  operator_tokens: 'coordinator',
  idempotency_keys: 'coordinator',
} as const satisfies Record<string, GlobalTablePlacement>

export type Placement =
  | {kind: 'distributed'; column: string}
  | {kind: 'reference'}
  | {kind: 'coordinator'}

/** Where a table goes on Citus, given whether it has a tenant_id column. */
export function placementOf(table: string, hasTenantId: boolean): Placement {
  if (table === 'tenants') return {kind: 'distributed', column: 'id'}
  if (hasTenantId) return tenantTableKind(table) === 'audit' ? {kind: 'coordinator'} : {kind: 'distributed', column: 'tenant_id'}
  return {kind: Object.hasOwn(GLOBAL_TABLES, table) ? GLOBAL_TABLES[table as keyof typeof GLOBAL_TABLES] : 'coordinator'}
}

/**
 * Unique indexes that Citus cannot keep on a table distributed by another
 * column, each with what keeps the uniqueness instead; distributing drops
 * them. Any other such index stops the distribution (CITUS_DISTRIBUTION_FAILED).
 */
export const REPLACED_UNIQUE_INDEXES = {
  tenants_subdomain_key: 'tenant_domains_subdomain_key',
  tenants_custom_domain_key: 'tenant_domains_custom_domain_key',
} as const

/** Whether the database has the citus extension. */
export async function isCitus(sql: Sql | TransactionSql): Promise<boolean> {
  const [row] = await sql<{citus: boolean}[]>`select exists (select 1 from pg_extension where extname = 'citus') as citus`
  return row!.citus
}

/** Whether the database is a Citus cluster whose tenants table is distributed already. */
export async function isDistributed(sql: Sql | TransactionSql): Promise<boolean> {
  if (!(await isCitus(sql))) return false
  const [row] = await sql<{distributed: boolean}[]>`select exists (select 1 from pg_dist_partition where logicalrelid = to_regclass('tenants')) as distributed`
  return row!.distributed
}

/**
 * Citus propagates a role to the workers when it is created in a database with the extension,
 * never one that existed before (made by a plain database on the same server, or by hand): a
 * migration's grant to it then fails on the workers ("role does not exist"). So db migrate
 * first creates on every worker each of `roles` that the coordinator has and a worker lacks,
 * with the coordinator's login and inherit attributes (never superuser, createdb, createrole
 * or bypassrls). A no-op on plain PostgreSQL.
 */
export async function createRolesOnWorkers(sql: Sql, roles: readonly string[]): Promise<void> {
  if (!(await isCitus(sql))) return
  for (const role of await sql<{name: string; login: boolean; inherit: boolean}[]>`
    select rolname as name, rolcanlogin as login, rolinherit as inherit from pg_roles where rolname in ${sql(roles)} order by rolname`) {
    const statement = `create role ${quote(role.name)} ${role.login ? 'login' : 'nologin'} nosuperuser nocreatedb nocreaterole nobypassrls ${role.inherit ? 'inherit' : 'noinherit'}`
    // made on that worker alone: propagated from there it would wait on the coordinator, which waits on it
    const command = `do $anthias$ begin if not exists (select 1 from pg_roles where rolname = ${literal(role.name)}) then
      perform set_config('citus.enable_create_role_propagation', 'off', true); ${statement}; end if; end $anthias$`
    const results = await sql<{node: string; success: boolean; result: string}[]>`
      select nodename || ':' || nodeport as node, success, result from run_command_on_workers(${command})`
    const failed = results.find((r) => !r.success)
    if (failed) throw new AppError('OPERATION_FAILED', `Could not create the role ${role.name} on the worker ${failed.node}: ${failed.result}`)
  }
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`

export interface DistributedTable {
  table: string
  placement: 'distributed' | 'reference'
  /** the distribution column */
  column?: string
}

/** The schema's own tables (not Citus shards), with whether each has a tenant_id column. */
const schemaTables = (tx: TransactionSql) => tx<{name: string; hasTenantId: boolean; placed: boolean}[]>`
  select c.relname as name,
    exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped) as has_tenant_id,
    exists (select 1 from pg_dist_partition p where p.logicalrelid = c.oid) as placed
  from pg_class c
  where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p')
    and not relation_is_a_known_shard(c.oid)
  order by c.relname`

/**
 * Put every table of the schema where placementOf says, if it is not there
 * yet: the catalogue-driven step db migrate runs after the migrations, so a
 * table a later migration adds is placed too. Idempotent; on plain PostgreSQL
 * it does nothing. In one transaction: the foreign keys between the tables it
 * moves are dropped, the reference tables made, tenants distributed and the
 * tenant tables co-located with it, then the foreign keys put back.
 * Returns the tables it placed.
 */
export async function distributeTables(sql: Sql): Promise<DistributedTable[]> {
  if (!(await isCitus(sql))) return []
  return (await sql.begin(async (tx) => {
    await tx`set local statement_timeout = 0`
    // the shard-side triggers (quotas, tenant events) only touch their own tenant's co-located rows
    await tx`set local citus.enable_unsafe_triggers = on`
    await tx`set local citus.multi_shard_modify_mode = sequential`
    const tables = await schemaTables(tx)
    const todo = tables
      .filter((t) => !t.placed)
      .map((t) => ({table: t.name, ...placementOf(t.name, t.hasTenantId)}))
      .filter((t) => t.kind !== 'coordinator')
    if (todo.length === 0) return []
    const names = todo.map((t) => t.table)
    const foreignKeys = await tx<{table: string; name: string; definition: string}[]>`
      select c.conrelid::regclass::text as table, c.conname as name, pg_get_constraintdef(c.oid) as definition
      from pg_constraint c
      where c.contype = 'f' and (c.conrelid::regclass::text = any(${names}) or c.confrelid::regclass::text = any(${names}))
        and not relation_is_a_known_shard(c.conrelid)
      order by c.conname`
    for (const fk of foreignKeys) await tx.unsafe(`alter table ${fk.table} drop constraint ${quote(fk.name)}`)
    if (names.includes('notification_outbox')) await keyOutboxByTenant(tx)
    const distributed = todo.filter((t) => t.kind === 'distributed')
    const blocking = await tx<{table: string; index: string}[]>`
      select i.indrelid::regclass::text as table, c.relname as index
      from pg_index i join pg_class c on c.oid = i.indexrelid
      where i.indisunique and i.indrelid::regclass::text = any(${distributed.map((t) => t.table)})
        and not exists (
          select 1 from unnest(i.indkey) k join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k
          where a.attname = case when i.indrelid = 'tenants'::regclass then 'id' else 'tenant_id' end)`
    for (const {table, index} of blocking) {
      if (!Object.hasOwn(REPLACED_UNIQUE_INDEXES, index)) {
        throw new AppError('CITUS_DISTRIBUTION_FAILED', `Cannot distribute ${table}: its unique index ${index} does not include the distribution column, and Citus cannot enforce it across shards.`, {
          suggestions: ['Include the tenant column in the index, or keep the uniqueness in a reference table (see tenant_domains and CONTRIBUTING.md).'],
        })
      }
      await tx.unsafe(`drop index ${quote(index)}`)
    }
    const order = [...todo.filter((t) => t.kind === 'reference'), ...distributed.filter((t) => t.table === 'tenants'), ...distributed.filter((t) => t.table !== 'tenants')]
    for (const t of order) {
      try {
        if (t.kind === 'reference') await tx`select create_reference_table(${t.table})`
        else if (t.table === 'tenants') await tx`select create_distributed_table('tenants', 'id')`
        else await tx`select create_distributed_table(${t.table}, ${t.column!}, colocate_with => 'tenants')`
      } catch (error) {
        throw new AppError('CITUS_DISTRIBUTION_FAILED', `Cannot ${t.kind === 'reference' ? 'make a reference table of' : 'distribute'} ${t.table}: ${(error as Error).message}`, {cause: error})
      }
    }
    for (const fk of foreignKeys) await tx.unsafe(`alter table ${fk.table} add constraint ${quote(fk.name)} ${fk.definition}`)
    // views made before their tables were distributed exist on the coordinator only; made again now, Citus creates them on every node
    const views = await tx<{name: string; definition: string}[]>`
      select c.relname as name, pg_get_viewdef(c.oid) as definition
      from pg_class c
      where c.relnamespace = current_schema()::regnamespace and c.relkind = 'v'
        and not exists (select 1 from pg_dist_object o where o.classid = 'pg_class'::regclass and o.objid = c.oid)`
    for (const view of views) await tx.unsafe(`create or replace view ${quote(view.name)} as ${view.definition}`)
    return order.map((t) => (t.kind === 'distributed' ? {table: t.table, placement: t.kind, column: t.column} : {table: t.table, placement: 'reference' as const}))
  })) as DistributedTable[]
}

/**
 * The outbox keyed by tenant again, as a table distributed by tenant must be: on one server the
 * tenant.deleted rows (migration 0009) belong to no tenant, which Citus cannot hold, so on Citus
 * that event is not queued (its trigger dropped; webhook add refuses it). Undelivered deletion
 * rows stop the distribution: deliver them first (anthias worker).
 */
async function keyOutboxByTenant(tx: TransactionSql): Promise<void> {
  const [{n} = {n: 0}] = await tx<{n: number}[]>`select count(*)::int as n from notification_outbox where tenant_id is null`
  if (n > 0) {
    throw new AppError('CITUS_DISTRIBUTION_FAILED', `Cannot distribute notification_outbox: ${n} tenant.deleted ${n === 1 ? 'row belongs' : 'rows belong'} to no tenant.`, {
      suggestions: ['Let anthias worker deliver them, then run db migrate again.'],
    })
  }
  await tx`drop trigger if exists tenants_deleted_event on tenants`
  await tx`alter table notification_outbox alter column tenant_id set not null`
  await tx`alter table notification_outbox drop constraint notification_outbox_pkey`
  await tx`alter table notification_outbox add primary key (tenant_id, id)`
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`

export interface CitusStatus {
  version: string
  nodes: {host: string; port: number; role: 'coordinator' | 'worker'; shards: number}[]
  tables: {table: string; placement: 'distributed' | 'reference' | 'coordinator'; column?: string; shards: number; colocationId?: number}[]
}

/** The cluster as db status shows it: nodes with their shard counts, and where each table of the schema is; undefined on plain PostgreSQL. */
export async function citusStatus(sql: Sql): Promise<CitusStatus | undefined> {
  if (!(await isCitus(sql))) return undefined
  const [{version}] = (await sql<{version: string}[]>`select extversion as version from pg_extension where extname = 'citus'`) as unknown as [{version: string}]
  const nodes = await sql<{host: string; port: number; groupId: number; shards: number}[]>`
    select n.nodename as host, n.nodeport as port, n.groupid as group_id,
      (select count(*)::int from pg_dist_placement p where p.groupid = n.groupid) as shards
    from pg_dist_node n where n.noderole = 'primary' and n.isactive
    order by n.groupid, n.nodename, n.nodeport`
  const tables = await sql<{table: string; method: string | null; reference: boolean; column: string | null; shards: number; colocationId: number | null}[]>`
    select c.relname as table, p.partmethod as method, coalesce(p.repmodel = 't', false) as reference,
      case when p.partmethod = 'h' then column_to_column_name(p.logicalrelid, p.partkey) end as column,
      (select count(*)::int from pg_dist_shard s where s.logicalrelid = c.oid) as shards,
      p.colocationid as colocation_id
    from pg_class c left join pg_dist_partition p on p.logicalrelid = c.oid
    where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p') and not relation_is_a_known_shard(c.oid)
    order by c.relname`
  return {
    version,
    nodes: nodes.map((n) => ({host: n.host, port: n.port, role: n.groupId === 0 ? 'coordinator' : 'worker', shards: n.shards})),
    tables: tables.map((t) => ({
      table: t.table,
      placement: t.method === 'h' ? 'distributed' : t.reference ? 'reference' : 'coordinator',
      ...(t.column ? {column: t.column} : {}),
      shards: t.shards,
      ...(t.method === 'h' ? {colocationId: t.colocationId!} : {}),
    })),
  }
}
