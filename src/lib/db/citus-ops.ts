/**
 * What Citus adds for operators: a large tenant on a shard of its own
 * (isolateTenant), a tenant's shard group on another worker (moveTenant), the
 * cluster rebalanced (rebalancePlan, rebalance), and per-tenant query figures
 * for tenant usage (tenantQueryStats). On plain PostgreSQL the operations
 * refuse with CITUS_REQUIRED; tenantQueryStats answers nothing.
 *
 * A tenant's rows of every tenant table live in one shard group (the tables
 * are co-located with tenants, citus.ts), so the shard of `tenants` holding a
 * tenant's id names the group: isolating splits the group around the tenant
 * ('CASCADE'), moving moves the whole group. The shard transfers are
 * non-blocking by default ('auto' and 'force_logical': logical replication,
 * writes go on until a short final lock); 'block_writes' copies with the
 * tenants' writes blocked, for a cluster without wal_level = logical, and
 * what 'auto' is on PostgreSQL 15 (transferModeFor).
 *
 * Citus runs these outside a transaction block (they replicate through
 * subscriptions), so the audit row is written once the operation is done.
 */
import type {Sql} from 'postgres'

import {writeAudit} from '../audit.js'
import type {Context} from '../context.js'
import {AppError, conflict} from '../errors.js'
import type {OnProgress} from '../progress.js'
import {findTenant} from '../tenant-ref.js'
import {isCitus, isDistributed} from './citus.js'

/** How Citus copies a shard: logically (writes go on) when it can, always, or with writes blocked. */
export type TransferMode = 'auto' | 'force_logical' | 'block_writes'

export interface NodeAddress {
  host: string
  port: number
}

/** A shard of a co-located table, for the tenant's shard group. */
export interface TableShard {
  table: string
  shardId: number
}

export interface IsolateResult {
  tenantId: string
  subdomain: string
  /** false: the tenant had a shard of its own already, nothing was done */
  isolated: boolean
  /** the tenant's shard of tenants now (its own) */
  shardId: number
  /** the shard it shared before, when it was isolated now */
  previousShardId?: number
  /** the tenant's shard of every co-located table */
  shards: TableShard[]
  node: NodeAddress
  /** the mode Citus was asked for (auto is block_writes on PostgreSQL 15) */
  transferMode: TransferMode
  durationMs: number
}

export interface MoveResult {
  tenantId: string
  subdomain: string
  shardId: number
  from: NodeAddress
  to: NodeAddress
  shards: TableShard[]
  /** tenants sharing the shard group, which moved with it */
  otherTenants: number
  transferMode: TransferMode
  durationMs: number
}

export interface ShardGroupMove {
  /** the shard of tenants in the group, else the group's first */
  shardId: number
  tables: string[]
  bytes: number
  from: NodeAddress
  to: NodeAddress
}

export interface RebalanceResult {
  dryRun: boolean
  /** the background job; null for a dry run or with nothing to move */
  jobId: number | null
  /** finished, or null when nothing ran */
  state: 'finished' | null
  moves: ShardGroupMove[]
  durationMs: number
}

/** One tenant's query figures from citus_stat_tenants, summed over the nodes. */
export interface TenantQueryStats {
  /** citus.stat_tenants_period, the length of a period in seconds */
  periodSeconds: number
  thisPeriod: QueryFigures
  lastPeriod: QueryFigures
}

export interface QueryFigures {
  queries: number
  reads: number
  cpuSeconds: number
}

const address = (n: NodeAddress) => `${n.host}:${n.port}`

/**
 * The transfer mode to ask Citus for. PostgreSQL 15's logical replication
 * refuses to apply a change to a table with row-level security unless the
 * subscription's owner is a superuser, and Citus's shard-move subscriptions are
 * owned by a role that is not: a logical move of the tenant tables (RLS
 * forced) would retry forever once a write reached a shard being copied. So
 * on 15 'auto' is block_writes and force_logical is refused; from 16 on, where
 * the apply worker acts as the table's owner, the mode is Citus's to choose.
 */
async function transferModeFor(sql: Sql, requested: TransferMode): Promise<TransferMode> {
  const [{version} = {version: 0}] = await sql<{version: number}[]>`select current_setting('server_version_num')::int as version`
  if (version >= 160_000 || requested === 'block_writes') return requested
  if (requested === 'auto') return 'block_writes'
  throw new AppError('CITUS_LOGICAL_UNSUPPORTED', 'force_logical cannot move the tenant tables on PostgreSQL 15: its logical replication does not apply changes to tables with row-level security for the role Citus replicates as, so the move would never finish once a write came.', {
    field: 'transferMode',
    suggestions: ['Use --transfer-mode auto or block_writes (writes to the moved shards wait until the copy is done), or PostgreSQL 16 or later for moves that let writes go on.'],
  })
}

/** CITUS_REQUIRED unless the database is a Citus cluster with the schema distributed. */
async function requireCitus(sql: Sql, what: string): Promise<void> {
  if (await isDistributed(sql)) return
  const extension = await isCitus(sql)
  throw new AppError('CITUS_REQUIRED', `${what} needs a Citus cluster: ${extension ? 'the tenants table of this database is not distributed yet' : 'this database has no citus extension'}.`, {
    suggestions: extension
      ? [{command: 'db.migrate', text: 'Distribute the tables with `{command}`.'}]
      : ['Point --database-url (or DATABASE_URL) at the coordinator of a Citus cluster (README: Running on Citus).', {command: 'db.status', text: 'See which database this is with `{command}`.'}],
  })
}

/** `HOST:PORT` (an IPv6 address in brackets: `[::1]:5432`) as an address; INVALID_INPUT otherwise. */
export function parseNodeAddress(text: string): NodeAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(text.trim())
  const port = Number(match?.[3])
  if (!match || port < 1 || port > 65_535) {
    throw new AppError('INVALID_INPUT', `"${text}" is not a node address: give HOST:PORT, as db status lists the workers.`, {field: 'node'})
  }
  return {host: match[1] ?? match[2]!, port}
}

interface TenantShard {
  shardId: number
  node: NodeAddress
  /** the shard holds one hash value: the tenant's own */
  alone: boolean
}

/** The shard of tenants holding tenant `id`, where it is, and whether it is the tenant's alone. */
async function tenantShard(sql: Sql, id: string): Promise<TenantShard> {
  const [row] = await sql<{shardId: string; host: string; port: number; alone: boolean}[]>`
    select s.shardid::text as shard_id, n.nodename as host, n.nodeport as port, s.shardminvalue = s.shardmaxvalue as alone
    from pg_dist_shard s
      join pg_dist_placement p on p.shardid = s.shardid
      join pg_dist_node n on n.groupid = p.groupid and n.noderole = 'primary'
    where s.shardid = get_shard_id_for_distribution_column('tenants', ${id}::uuid)
    limit 1`
  return {shardId: Number(row!.shardId), node: {host: row!.host, port: row!.port}, alone: row!.alone}
}

/** Tenant `id`'s shard of every table co-located with tenants. */
async function groupShards(sql: Sql, id: string): Promise<TableShard[]> {
  const rows = await sql<{table: string; shardId: string}[]>`
    select d.logicalrelid::regclass::text as table, get_shard_id_for_distribution_column(d.logicalrelid, ${id}::uuid)::text as shard_id
    from pg_dist_partition d
    where d.colocationid = (select colocationid from pg_dist_partition where logicalrelid = 'tenants'::regclass)
    order by 1`
  return rows.map((r) => ({table: r.table, shardId: Number(r.shardId)}))
}

/** Citus's refusal of a shard operation as CITUS_SHARD_MOVE_FAILED, its hint kept as the suggestion. */
function shardOperationFailed(what: string, error: unknown): AppError {
  if (error instanceof AppError) return error
  const e = error as {message?: string; hint?: string}
  const hints = [
    ...(e.hint ? [e.hint] : []),
    ...(/wal_level|replica identity|logical replication|output plugin/i.test(e.message ?? '') ? ['Logical replication needs wal_level = logical on every node, a primary key on every table and, where the server approves decoding plugins (output_plugin_libraries), citus among them; --transfer-mode block_writes copies with writes blocked instead.'] : []),
  ]
  return new AppError('CITUS_SHARD_MOVE_FAILED', `${what} failed: ${e.message ?? String(error)}`, {cause: error, suggestions: hints})
}

const elapsed = (since: number) => Math.round(performance.now() - since)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Citus takes a shard group's lock without waiting: it fails at once while another operation (a move, the cleanup after one) holds it. */
const SHARD_LOCK_BUSY = /could not acquire the lock required to/i

/**
 * `operation` (one shard operation), tried again each second for up to
 * `waitMs` while another shard operation holds the shard group's lock;
 * CITUS_SHARD_BUSY when it still does, CITUS_SHARD_MOVE_FAILED for any other
 * refusal.
 */
async function shardOperation(what: string, operation: () => Promise<unknown>, waitMs = 15_000): Promise<void> {
  const until = performance.now() + waitMs
  for (;;) {
    try {
      await operation()
      return
    } catch (error) {
      if (!SHARD_LOCK_BUSY.test((error as Error).message ?? '')) throw shardOperationFailed(what, error)
      if (performance.now() >= until) {
        throw conflict('CITUS_SHARD_BUSY', `${what} failed: another shard operation holds the shard group (${(error as Error).message}).`, {
          cause: error,
          suggestions: ['Wait for it to finish (select * from citus_rebalance_status(), or pg_stat_activity), then run the command again.'],
        })
      }
      await sleep(1000)
    }
  }
}

/**
 * Move tenant `ref` to a shard of its own (its rows of every co-located
 * table: isolate_tenant_to_new_shard with CASCADE), on the node it is on;
 * nothing to do when its shard holds it alone already.
 */
export async function isolateTenant(sql: Sql, ref: string, options: {transferMode?: TransferMode}, ctx: Context): Promise<IsolateResult> {
  await requireCitus(sql, 'tenant isolate')
  const transferMode = await transferModeFor(sql, options.transferMode ?? 'auto')
  const tenant = await findTenant(sql, ref)
  const before = await tenantShard(sql, tenant.id)
  const started = performance.now()
  if (!before.alone) {
    await shardOperation(`Isolating tenant ${tenant.subdomain}`, () => sql`select isolate_tenant_to_new_shard('tenants', ${tenant.id}::uuid, 'CASCADE', shard_transfer_mode => ${transferMode}::citus.shard_transfer_mode)`)
  }
  const durationMs = before.alone ? 0 : elapsed(started)
  const after = before.alone ? before : await tenantShard(sql, tenant.id)
  if (!before.alone) {
    await writeAudit(sql, {actor: ctx.actor, action: 'tenant.isolate', tenantId: tenant.id, subject: tenant.subdomain, arguments: {shardId: after.shardId, previousShardId: before.shardId, node: address(after.node), transferMode, durationMs}})
  }
  return {
    tenantId: tenant.id,
    subdomain: tenant.subdomain,
    isolated: !before.alone,
    shardId: after.shardId,
    ...(before.alone ? {} : {previousShardId: before.shardId}),
    shards: await groupShards(sql, tenant.id),
    node: after.node,
    transferMode,
    durationMs,
  }
}

/** The active primary nodes that may hold shards: the workers (and a coordinator made to hold shards). */
async function shardNodes(sql: Sql): Promise<NodeAddress[]> {
  return sql<NodeAddress[]>`
    select nodename as host, nodeport as port from pg_dist_node
    where noderole = 'primary' and isactive and shouldhaveshards
    order by groupid, nodename, nodeport`
}

/**
 * Move tenant `ref`'s shard group to worker `node` (citus_move_shard_placement
 * of its shard of tenants; the co-located shards move with it, and so do the
 * other tenants in the group: isolate it first to move it alone).
 * CITUS_NODE_NOT_FOUND when no such worker is registered, CITUS_ALREADY_ON_NODE
 * when the tenant is there.
 */
export async function moveTenant(sql: Sql, ref: string, options: {node: string; transferMode?: TransferMode}, ctx: Context): Promise<MoveResult> {
  await requireCitus(sql, 'tenant move')
  const transferMode = await transferModeFor(sql, options.transferMode ?? 'auto')
  const to = parseNodeAddress(options.node)
  const tenant = await findTenant(sql, ref)
  const nodes = await shardNodes(sql)
  if (!nodes.some((n) => n.host === to.host && n.port === to.port)) {
    throw new AppError('CITUS_NODE_NOT_FOUND', `${address(to)} is not a worker of this cluster${nodes.length > 0 ? `; the workers are ${nodes.map(address).join(', ')}` : ''}.`, {
      field: 'node',
      suggestions: [{command: 'db.status', text: 'The nodes are listed by `{command}`.'}],
    })
  }
  const shard = await tenantShard(sql, tenant.id)
  if (shard.node.host === to.host && shard.node.port === to.port) {
    throw conflict('CITUS_ALREADY_ON_NODE', `Tenant ${tenant.subdomain} is on ${address(to)} already (shard ${shard.shardId}); nothing was moved.`, {field: 'node'})
  }
  const [{others} = {others: 0}] = await sql<{others: number}[]>`
    select count(*)::int as others from tenants where get_shard_id_for_distribution_column('tenants', id) = ${shard.shardId} and id <> ${tenant.id}`
  const started = performance.now()
  await shardOperation(`Moving tenant ${tenant.subdomain} to ${address(to)}`, () => sql`select citus_move_shard_placement(${shard.shardId}::bigint, ${shard.node.host}, ${shard.node.port}::int, ${to.host}, ${to.port}::int, ${transferMode}::citus.shard_transfer_mode)`)
  const durationMs = elapsed(started)
  await writeAudit(sql, {actor: ctx.actor, action: 'tenant.move', tenantId: tenant.id, subject: tenant.subdomain, arguments: {shardId: shard.shardId, from: address(shard.node), to: address(to), otherTenants: others, transferMode, durationMs}})
  return {tenantId: tenant.id, subdomain: tenant.subdomain, shardId: shard.shardId, from: shard.node, to, shards: await groupShards(sql, tenant.id), otherTenants: others, transferMode, durationMs}
}

/** What a rebalance would move now (get_rebalance_table_shards_plan), by shard group. */
export async function rebalancePlan(sql: Sql): Promise<ShardGroupMove[]> {
  await requireCitus(sql, 'db rebalance')
  return planMoves(sql)
}

async function planMoves(sql: Sql): Promise<ShardGroupMove[]> {
  const rows = await sql<{table: string; shardId: string; bytes: string; shardGroup: string; sourceName: string; sourcePort: number; targetName: string; targetPort: number}[]>`
    select p.table_name::text as table, p.shardid::text as shard_id, p.shard_size::text as bytes,
      d.colocationid || ':' || s.shardminvalue as shard_group, p.sourcename as source_name, p.sourceport as source_port, p.targetname as target_name, p.targetport as target_port
    from get_rebalance_table_shards_plan() p
      join pg_dist_shard s on s.shardid = p.shardid
      join pg_dist_partition d on d.logicalrelid = s.logicalrelid`
  const groups = new Map<string, ShardGroupMove>()
  for (const r of rows) {
    const key = `${r.shardGroup}>${r.targetName}:${r.targetPort}`
    const move = groups.get(key) ?? {shardId: Number(r.shardId), tables: [], bytes: 0, from: {host: r.sourceName, port: r.sourcePort}, to: {host: r.targetName, port: r.targetPort}}
    if (r.table === 'tenants') move.shardId = Number(r.shardId)
    move.tables.push(r.table)
    move.bytes += Number(r.bytes)
    groups.set(key, move)
  }
  return [...groups.values()]
}

/**
 * Rebalance the cluster's shards over its workers: the plan alone with
 * dryRun; else citus_rebalance_start() and, until its background job ends,
 * its moves done of all as progress (phase 'rebalance', every `pollMs`).
 * CITUS_REBALANCE_RUNNING when a rebalance is under way already;
 * CITUS_SHARD_MOVE_FAILED when the job fails or is cancelled (the moves done
 * stay done). Interrupting the caller leaves the job running in the background.
 */
export async function rebalance(sql: Sql, options: {dryRun?: boolean; transferMode?: TransferMode; onProgress?: OnProgress; pollMs?: number}, ctx: Context): Promise<RebalanceResult> {
  await requireCitus(sql, 'db rebalance')
  const transferMode = await transferModeFor(sql, options.transferMode ?? 'auto')
  const moves = await planMoves(sql)
  if (options.dryRun || moves.length === 0) return {dryRun: Boolean(options.dryRun), jobId: null, state: null, moves, durationMs: 0}
  const started = performance.now()
  let jobId: number | null
  try {
    const [row] = await sql<{jobId: string | null}[]>`select citus_rebalance_start(shard_transfer_mode => ${transferMode}::citus.shard_transfer_mode)::text as job_id`
    jobId = row!.jobId === null ? null : Number(row!.jobId)
  } catch (error) {
    const message = (error as Error).message ?? ''
    if (/already running|already a rebalance/i.test(message)) {
      throw conflict('CITUS_REBALANCE_RUNNING', `A rebalance is under way already: ${message}`, {cause: error, suggestions: ['Wait for it (select * from citus_rebalance_status()), or stop it with select citus_rebalance_stop().']})
    }
    throw shardOperationFailed('Starting the rebalance', error)
  }
  // the shards moved meanwhile (another rebalance that just ended): nothing left to do
  if (jobId === null) return {dryRun: false, jobId: null, state: null, moves: [], durationMs: elapsed(started)}
  await writeAudit(sql, {actor: ctx.actor, action: 'db.rebalance', arguments: {jobId, moves: moves.length, transferMode}})
  for (;;) {
    const [job] = await sql<{state: string; counts: Record<string, number> | null}[]>`
      select state::text, details -> 'task_state_counts' as counts from citus_job_status(${jobId}::bigint)`
    const counts = job!.counts ?? {}
    const total = Object.values(counts).reduce((a, b) => a + b, 0)
    options.onProgress?.({phase: 'rebalance', rows: counts.done ?? 0, totalRows: total, counts})
    if (job!.state === 'finished') break
    if (job!.state === 'failed' || job!.state === 'cancelled') {
      const errors = await sql<{message: string}[]>`
        select message from pg_dist_background_task where job_id = ${jobId}::bigint and status in ('error', 'cancelled') and message <> '' order by task_id`
      throw new AppError('CITUS_SHARD_MOVE_FAILED', `The rebalance (job ${jobId}) ${job!.state === 'failed' ? 'failed' : 'was cancelled'} after ${counts.done ?? 0} of ${total} moves${errors.length > 0 ? `: ${errors.map((e) => e.message.trim()).join('; ')}` : '.'}`, {
        suggestions: ['The moves done stay done; run db rebalance again to finish.'],
      })
    }
    await sleep(options.pollMs ?? 1000)
  }
  return {dryRun: false, jobId, state: 'finished', moves, durationMs: elapsed(started)}
}

/**
 * citus_stat_tenants' figures of each of `tenantIds`, summed over the nodes,
 * where citus.stat_tenants_track is on; undefined where it is off or the
 * database is not Citus. A tenant Citus does not list (no queries in either
 * period, or beyond citus.stat_tenants_limit) has zeros.
 */
export async function tenantQueryStats(sql: Sql, tenantIds: string[]): Promise<Map<string, TenantQueryStats> | undefined> {
  const [setting] = await sql<{track: string | null; period: string | null}[]>`
    select current_setting('citus.stat_tenants_track', true) as track, current_setting('citus.stat_tenants_period', true) as period`
  if (setting?.track !== 'all' || !(await isDistributed(sql))) return undefined
  const rows = await sql<{tenant: string; queries: number; reads: number; cpu: number; lastQueries: number; lastReads: number; lastCpu: number}[]>`
    select tenant_attribute as tenant,
      sum(query_count_in_this_period)::int as queries, sum(read_count_in_this_period)::int as reads, sum(cpu_usage_in_this_period)::float8 as cpu,
      sum(query_count_in_last_period)::int as last_queries, sum(read_count_in_last_period)::int as last_reads, sum(cpu_usage_in_last_period)::float8 as last_cpu
    from citus_stat_tenants
    where colocation_id = (select colocationid from pg_dist_partition where logicalrelid = 'tenants'::regclass)
      and tenant_attribute = any(${tenantIds}::text[])
    group by tenant_attribute`
  const byTenant = new Map(rows.map((r) => [r.tenant, r]))
  const periodSeconds = Number(setting.period ?? 60)
  return new Map(tenantIds.map((id) => {
    const r = byTenant.get(id)
    return [id, {
      periodSeconds,
      thisPeriod: {queries: r?.queries ?? 0, reads: r?.reads ?? 0, cpuSeconds: r?.cpu ?? 0},
      lastPeriod: {queries: r?.lastQueries ?? 0, reads: r?.lastReads ?? 0, cpuSeconds: r?.lastCpu ?? 0},
    }]
  }))
}
