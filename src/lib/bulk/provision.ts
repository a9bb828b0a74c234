/**
 * Bulk provisioning from a CSV file or the guide's JSON config.
 *
 * 1. validate: stream every row through the tenant schema, report every
 *    problem with its line and column. Each valid row's keys are streamed into
 *    a temporary table, so memory does not grow with the file's rows.
 * 2. conflicts: one query finds in-file duplicates and the subdomains and
 *    custom domains already in the database; a row whose tenant exists with
 *    the same spec is `unchanged`.
 * 3. provision: stream the file again and create the new tenants in batches,
 *    each batch one transaction of set-based inserts; a batch that fails is
 *    retried one tenant a transaction, so one bad row never takes others down
 *    and no tenant is ever half-made.
 * 4. verify: every created tenant is read back whole, in one query.
 *
 * A run is recorded in provisioning_runs (file hash, counts) and each created
 * tenant's row in provisioning_run_rows, inside the batch that creates it.
 */
import {once} from 'node:events'
import {createHash, randomUUID} from 'node:crypto'
import {basename} from 'node:path'
import {finished} from 'node:stream/promises'

import type {Sql, TransactionSql} from 'postgres'

import {accessUrl, type Context} from '../context.js'
import {isUnreachableError} from '../db/connect.js'
import {transaction} from '../db/transaction.js'
import {AppError} from '../errors.js'
import {expiresIn} from '../expiry.js'
import {type Input, unreadable} from '../input.js'
import {type Catalog, loadCatalog} from '../plans.js'
import {newToken} from '../secrets.js'
import {DEFAULT_INVITATION_DAYS} from '../members.js'
import {domainConflict, insertTenantRows} from '../tenants.js'
import {PACE} from './pace.js'
import {checkRows, hashOf, type Prepared, prepare} from './prepare.js'
import type {Source} from './sources.js'

export type Outcome = 'created' | 'unchanged' | 'failed'

export interface RowResult {
  /** the file line the row starts on */
  line: number
  /** a JSON config's record, 1-based (records may share a line) */
  record?: number
  name: string
  subdomain?: string
  outcome: Outcome
  tenantId?: string
  accessUrl?: string
  /** one-time invitation tokens, for the report file only */
  invitations?: {email: string; role: string; token: string; expiresAt: Date}[]
  error?: {code: string; message: string; field?: string}
}

export interface BulkProgress {
  phase: 'validate' | 'conflicts' | 'provision' | 'verify'
  done: number
  total: number
  /** tenants created (committed) so far, in the provision phase */
  created?: number
}

export interface BulkOptions {
  dryRun?: boolean
  /** batches written at once (default 2) */
  concurrency?: number
  /** at most this many tenants created per second */
  rate?: number
  /** stop at the first problem: a file with any invalid row writes nothing */
  stopOnError?: boolean
  /** tenants per transaction (default PACE.batchSize.default) */
  batchSize?: number
  onProgress?: (progress: BulkProgress) => void
  /**
   * Each row's result as soon as it is settled: the refused and unchanged rows
   * after validation, the created ones just before their batch commits (with
   * their one-time invitation tokens, which exist nowhere else).
   */
  onRows?: (rows: RowResult[]) => Promise<void> | void
  /**
   * Every row's final result, in the order of the file: the refused and
   * unchanged ones merged with the created ones, each batch's after it
   * commits. Given this, the report does not keep them (its `rows` holds the
   * failed ones alone, for a summary), so memory does not grow with the file.
   */
  onResults?: (rows: RowResult[]) => Promise<void> | void
}

export interface BulkReport {
  runId: string
  file: string
  sha256: string
  source: 'csv' | 'json'
  dryRun: boolean
  total: number
  created: number
  unchanged: number
  failed: number
  /** every problem, with line and field */
  errors: AppError[]
  /** every row's result in the order of the file; only the failed ones when BulkOptions.onResults took them */
  rows: RowResult[]
  /** one-time invitation tokens created (a dry run's are rolled back with it) */
  invitations: number
  durationMs: number
  stopped: boolean
}

export async function sha256Of(input: Input): Promise<string> {
  const hash = createHash('sha256')
  try {
    for await (const chunk of input.open()) hash.update(chunk as Buffer)
  } catch (error) {
    throw unreadable(input.name, 'file', error)
  }
  return hash.digest('hex')
}

/** A row's problem with its place in the file: the line (CSV); the record, line and column (JSON). */
const placed = (source: Source, e: AppError, key: number) => Object.assign(e, source.place(key, e.field))
/** A row's result with its place: the line (CSV), the record and the line it starts on (JSON). */
const rowAt = (source: Source, key: number) => {
  const {line, record} = source.place(key)
  return record === undefined ? {line} : {line, record}
}
/** The row's key: its line (CSV) or record (JSON). */
const keyOf = (r: RowResult) => r.record ?? r.line

/**
 * Validated rows of an input up to this size are kept for the provision phase;
 * a larger one (or one of unknown size) is read again instead, so memory stays bounded.
 */
export const KEEP_PREPARED_BYTES = 8 * 1024 * 1024

export interface Validation {
  total: number
  /** every problem, with line and field */
  errors: AppError[]
  /** rows that will not be created: refused (with the reason) or unchanged */
  settled: Map<number, RowResult>
  /** valid rows left to create */
  pending: number
  /** the validated rows, for a file small enough to keep them */
  prepared?: Prepared[]
}

/**
 * Phases 1 and 2: every row validated; each valid row's line, subdomain and
 * custom domain streamed (COPY) into a temporary table, so memory does not grow
 * with the file; then one query finds in-file duplicates and conflicts with
 * the database. Only rows whose subdomain exists need their spec hash, to tell
 * unchanged from taken. Nothing is written.
 */
export async function validateSource(sql: Sql, source: Source, catalog: Catalog, ctx: Context, onProgress?: BulkOptions['onProgress']): Promise<Validation> {
  const keep = source.input.size !== undefined && source.input.size <= KEEP_PREPARED_BYTES
  const kept: Prepared[] | undefined = keep ? [] : undefined
  const errors: AppError[] = []
  const settled = new Map<number, RowResult>()
  let total = 0
  let valid = 0
  const conn = await sql.reserve()
  try {
    await conn.unsafe('create temp table if not exists anthias_bulk_rows (line int, subdomain text, custom_domain text, name text)')
    await conn.unsafe('truncate anthias_bulk_rows')
    const writable = await conn.unsafe('copy anthias_bulk_rows (line, subdomain, custom_domain, name) from stdin').writable()
    writable.on('error', () => undefined)
    // keys go out 8 KB at a time: a write per small batch is a system call per batch (and more
    // kept waiting would be kept through garbage collections, which makes V8 grow its heap)
    let keys = ''
    const send = async () => {
      if (keys && !writable.write(keys)) await once(writable, 'drain')
      keys = ''
    }
    try {
      for await (const rows of source.batches()) {
        const batch = checkRows(rows, catalog, ctx, keep)
        total += batch.total
        valid += batch.valid
        kept?.push(...batch.prepared!)
        for (const {line, label, errors: rowErrors} of batch.refused) {
          errors.push(...rowErrors.map((e) => placed(source, e, line)))
          settled.set(line, failure(source, line, label, rowErrors[0]!))
        }
        keys += batch.keys
        if (keys.length >= 8192) await send()
        onProgress?.({phase: 'validate', done: total, total})
      }
      await send()
      writable.end()
      await finished(writable)
    } catch (error) {
      writable.destroy(error as Error)
      throw error
    }
    onProgress?.({phase: 'conflicts', done: 0, total})
    // one query: each row that repeats an earlier one in the file, or meets a tenant in the database
    // (grouped and joined, not windowed: only the rows it finds come back). The temporary table has no
    // statistics, so the planner's estimates are huge: without this, JIT compilation alone takes longer
    // than the query, and the grouping spills to disk.
    await conn`select set_config('jit', 'off', false), set_config('work_mem', '64MB', false)`
    const found = await conn<{line: number; name: string; subdomain: string; customDomain: string | null; firstSub: number; firstDomain: number | null; existingId: string | null; existingHash: string | null; domainTaken: boolean}[]>`
      with dup_sub as (select subdomain, min(line) as first from anthias_bulk_rows group by subdomain having count(*) > 1),
      dup_domain as (
        select custom_domain, min(line) as first from anthias_bulk_rows
        where custom_domain is not null group by custom_domain having count(*) > 1
      ),
      hits as (
        select r.line, d.first as first_sub, null::int as first_domain from anthias_bulk_rows r join dup_sub d using (subdomain) where r.line <> d.first
        union all
        select r.line, null, d.first from anthias_bulk_rows r join dup_domain d using (custom_domain) where r.line <> d.first
        union all
        select r.line, null, null from anthias_bulk_rows r join tenant_domains c on c.subdomain = r.subdomain
        union all
        select r.line, null, null from anthias_bulk_rows r join tenant_domains c on c.custom_domain = r.custom_domain
      ),
      lines as (select line, min(first_sub) as first_sub, min(first_domain) as first_domain from hits group by line)
      select l.line, r.name, r.subdomain, r.custom_domain,
        coalesce(l.first_sub, l.line) as first_sub, coalesce(l.first_domain, l.line) as first_domain,
        s.tenant as existing_id,
        exists (select 1 from tenant_domains d where r.custom_domain is not null and d.custom_domain = r.custom_domain
          and d.tenant is distinct from s.tenant) as domain_taken
      from lines l join anthias_bulk_rows r using (line)
      left join tenant_domains s on s.subdomain = r.subdomain
      order by l.line`
    await conn.unsafe('drop table anthias_bulk_rows')
    // the existing tenants' spec hashes by id, apart: the names above come from tenant_domains (on Citus a
    // reference table, joined on the coordinator), as Citus answers a temporary table joined to the
    // distributed tenants table with a correlated EXISTS wrongly (no rows at all)
    const existing = found.filter((f) => f.existingId).map((f) => f.existingId!)
    const hashOf = new Map((existing.length === 0 ? [] : await conn<{id: string; hash: string | null}[]>`
      select id, spec_sha256 as hash from tenants where id = any(${existing}::uuid[])`).map((t) => [t.id, t.hash]))
    for (const f of found) if (f.existingId) f.existingHash = hashOf.get(f.existingId) ?? null
    const hashes = await hashesOf(new Set(found.filter((f) => f.existingId && f.firstSub === f.line).map((f) => f.line)), source, kept, catalog, ctx)
    // every row found here was valid and will not be created
    valid -= found.length
    for (const f of found) {
      let problem: AppError | undefined
      const subdomain = source.columnOf(f.line, 'subdomain')
      const customDomain = source.columnOf(f.line, 'custom_domain')
      if (f.firstSub !== f.line) {
        problem = new AppError('DUPLICATE_IN_FILE', `Subdomain "${f.subdomain}" is also ${source.rowName(f.firstSub)} (subdomains are case-insensitive).`, {field: subdomain})
      } else if (f.customDomain && f.firstDomain !== f.line) {
        problem = new AppError('DUPLICATE_IN_FILE', `Custom domain "${f.customDomain}" is also ${source.rowName(f.firstDomain!)}.`, {field: customDomain})
      } else if (f.existingId && f.existingHash === hashes.get(f.line)) {
        settled.set(f.line, {...rowAt(source, f.line), name: f.name, subdomain: f.subdomain, outcome: 'unchanged', tenantId: f.existingId, accessUrl: accessUrl(f.subdomain, ctx.baseDomain)})
        continue
      } else if (f.existingId) {
        problem = new AppError('SUBDOMAIN_TAKEN', `Subdomain "${f.subdomain}" already belongs to another tenant (or one with a different spec).`, {field: subdomain})
      } else if (f.domainTaken) {
        problem = new AppError('CUSTOM_DOMAIN_TAKEN', `Custom domain "${f.customDomain}" is already used by another tenant.`, {field: customDomain})
      }
      if (problem) {
        errors.push(placed(source, problem, f.line))
        settled.set(f.line, failure(source, f.line, f.name, problem, f.subdomain))
      }
    }
  } finally {
    await Promise.all([conn.unsafe('reset jit'), conn.unsafe('reset work_mem')]).catch(() => undefined)
    conn.release()
  }
  onProgress?.({phase: 'conflicts', done: total, total})
  errors.sort((a, b) => (a.record ?? a.line ?? 0) - (b.record ?? b.line ?? 0))
  return {total, errors, settled, pending: valid, prepared: kept}
}

/** The validated rows again: those kept by validateSource, else the file read and validated anew. */
export async function* preparedRows(source: Source, kept: Prepared[] | undefined, catalog: Catalog, ctx: Context): AsyncGenerator<Prepared> {
  if (kept) {
    yield* kept
    return
  }
  for await (const batch of source.batches()) {
    for (const row of batch) {
      const {prepared} = prepare(row, catalog, ctx)
      if (prepared) yield prepared
    }
  }
}

/** Spec hashes of the given lines: from the kept rows, else read from the file again. */
async function hashesOf(lines: Set<number>, source: Source, kept: Prepared[] | undefined, catalog: Catalog, ctx: Context): Promise<Map<number, string>> {
  const hashes = new Map<number, string>()
  if (lines.size === 0) return hashes
  for await (const p of preparedRows(source, kept, catalog, ctx)) if (lines.has(p.line)) hashes.set(p.line, hashOf(p))
  return hashes
}

const CONNECTION_LOST = new Set(['57P01', '57P02', '57P03', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'ECONNRESET', 'EPIPE'])
export const connectionLost = (error: unknown) => CONNECTION_LOST.has(String((error as {code?: string})?.code)) || isUnreachableError(error)

/** Create a batch of validated tenants with set-based inserts, inside the caller's transaction, in one round trip (pipelined). */
export async function insertBatch(tx: TransactionSql, batch: Prepared[], runId: string | undefined, ctx: Context): Promise<RowResult[]> {
  const tenantIds = batch.map(() => randomUUID())
  const written: Promise<unknown>[] = [insertTenantRows(tx, batch.map((b) => ({valid: b.valid, hash: hashOf(b), audit: {members: b.members, runId}})), ctx.actor, tenantIds)]

  const results: RowResult[] = batch.map((b, i) => ({
    line: b.line,
    name: b.valid.spec.name,
    subdomain: b.valid.spec.subdomain,
    outcome: 'created',
    tenantId: tenantIds[i],
    accessUrl: accessUrl(b.valid.spec.subdomain, ctx.baseDomain),
    invitations: [],
  }))
  const members = batch.flatMap((b, i) => b.members.map((m) => ({...m, tenantId: tenantIds[i]!, result: results[i]!})))
  if (members.length > 0) {
    const emails = [...new Set(members.map((m) => m.email))]
    const expiresAt = expiresIn(DEFAULT_INVITATION_DAYS)
    const tokens = members.map((m) => {
      const t = newToken('inv')
      m.result.invitations!.push({email: m.email, role: m.role, token: t.token, expiresAt})
      return t.hash
    })
    written.push(tx`insert into users (email) select unnest(${emails}::text[]) on conflict (lower(email)) do nothing`.execute())
    // a statement of its own after the insert above: its snapshot sees a user another batch committed meanwhile
    written.push(tx`insert into memberships (tenant_id, user_id, role, permissions, status, invitation_token_hash, invitation_expires_at)
      select x.t, u.id, x.r, x.p::jsonb, 'invited', x.h, ${expiresAt}
      from unnest(${members.map((m) => m.tenantId)}::uuid[], ${members.map((m) => m.email)}::text[],
        ${members.map((m) => m.role)}::text[], ${members.map((m) => JSON.stringify(m.permissions))}::text[], ${tokens}::text[]) as x(t, e, r, p, h)
      join users u on lower(u.email) = lower(x.e)`.execute().then((inserted) => {
      if (inserted.count !== members.length) throw new Error(`${members.length - inserted.count} of ${members.length} members found no user`)
    }))
  }

  if (runId) {
    // a queued run's rows are there already, pending (src/lib/queue/runs.ts)
    written.push(tx`insert into provisioning_run_rows (run_id, line, subdomain, name, outcome, outcome_tenant_id, settled_at)
      select ${runId}, l, s, n, 'created', t, now()
      from unnest(${batch.map((b) => b.line)}::int[], ${batch.map((b) => b.valid.spec.subdomain)}::text[], ${batch.map((b) => b.valid.spec.name)}::text[], ${tenantIds}::uuid[]) as x(l, s, n, t)
      on conflict (run_id, line) do update set outcome = 'created', outcome_tenant_id = excluded.outcome_tenant_id, error_code = null, message = null, settled_at = now()`.execute())
  }
  await Promise.all(written)
  return results
}

function failure(source: Source, key: number, name: string, error: AppError, subdomain?: string): RowResult {
  return {...rowAt(source, key), name, subdomain, outcome: 'failed', error: {code: error.code, message: error.message, field: error.field}}
}

/** Why one tenant of a batch failed in the database (a subdomain or domain taken meanwhile, most likely). */
export function dbFailure(error: unknown, item: Prepared, source?: Source): AppError {
  const columns: Record<string, string> = {subdomain: 'subdomain', customDomain: 'custom_domain'}
  // a queued row's worker has no file: the field is the column's name
  return domainConflict(error, item.valid.spec, (p) => source?.columnOf(item.line, columns[String(p[0])]!) ?? columns[String(p[0])]!) ??
    new AppError('DB_ERROR', (error as Error).message ?? String(error))
}

/** Provision everything a source describes; see the module comment for the phases. */
export async function provisionFromSource(sql: Sql, source: Source, ctx: Context, options: BulkOptions = {}): Promise<BulkReport> {
  const started = performance.now()
  const dryRun = Boolean(options.dryRun)
  const catalog = await loadCatalog(sql)
  const [sha, {total, errors, settled, pending, prepared}] = await Promise.all([sha256Of(source.input), validateSource(sql, source, catalog, ctx, options.onProgress)])
  const settledRows = [...settled.values()].sort((a, b) => keyOf(a) - keyOf(b))
  const unchanged = settledRows.filter((r) => r.outcome === 'unchanged').length
  // streamed (onResults): the report keeps the failed rows alone
  const keep = options.onResults ? (r: RowResult) => r.outcome === 'failed' : () => true
  const report: BulkReport = {
    runId: '', file: source.input.name, sha256: sha, source: source.kind, dryRun, total,
    created: 0, unchanged, failed: settledRows.length - unchanged,
    errors, rows: settledRows.filter(keep), invitations: 0, durationMs: 0, stopped: false,
  }
  /** rows that failed in the database, for the run records */
  const dbFailed: RowResult[] = []
  await sql`update provisioning_runs set status = 'failed', finished_at = now()
    where file_sha256 = ${sha} and status = 'running' and dry_run = ${dryRun}`
  const [run] = await sql<{id: string}[]>`
    insert into provisioning_runs (source, file_name, file_sha256, dry_run, status, total)
    values (${source.kind}, ${basename(source.input.name)}, ${sha}, ${dryRun}, 'running', ${total}) returning id`
  report.runId = run!.id
  const finish = async (status: 'completed' | 'failed') => {
    report.durationMs = Math.round(performance.now() - started)
    await sql`update provisioning_runs set status = ${status}, finished_at = now(), created = ${report.created},
      unchanged = ${report.unchanged}, failed = ${report.failed} where id = ${report.runId}`
    if (dryRun) return
    // the created rows were recorded with their batches (insertBatch); the rest here, a chunk at a time
    const recorded = [...settledRows, ...dbFailed]
    for (let i = 0; i < recorded.length; i += 10_000) {
      const chunk = recorded.slice(i, i + 10_000)
      await sql`insert into provisioning_run_rows (run_id, line, subdomain, name, outcome, error_code, message)
        select ${report.runId}, l, s, n, o, c, m from unnest(${chunk.map(keyOf)}::int[], ${chunk.map((r) => r.subdomain ?? null)}::text[],
          ${chunk.map((r) => r.name)}::text[], ${chunk.map((r) => r.outcome)}::text[], ${chunk.map((r) => r.error?.code ?? null)}::text[],
          ${chunk.map((r) => r.error?.message ?? null)}::text[]) as x(l, s, n, o, c, m)
        on conflict do nothing`
    }
  }

  // onResults in the order of the file: the settled rows merged with each batch's, the batches in the order they were read
  let nextSettled = 0
  let results: Promise<unknown> = Promise.resolve()
  const inOrder = (batch: Promise<RowResult[]>, last = false) => {
    results = Promise.all([batch, results]).then(([rows]) => {
      const merged: RowResult[] = []
      for (const r of rows) {
        while (nextSettled < settledRows.length && keyOf(settledRows[nextSettled]!) < keyOf(r)) merged.push(settledRows[nextSettled++]!)
        merged.push(r)
      }
      if (last) merged.push(...settledRows.slice(nextSettled))
      return options.onResults?.(merged)
    })
    return results
  }
  const settleRest = () => inOrder(Promise.resolve([]), true)

  try {
    await options.onRows?.(settledRows)
  } catch (error) {
    await finish('failed').catch(() => undefined)
    throw error
  }

  if (options.stopOnError && errors.length > 0) {
    report.stopped = true
    await settleRest()
    await finish('failed')
    return report
  }

  const batchSize = options.batchSize ?? PACE.batchSize.default
  const concurrency = Math.max(1, options.concurrency ?? 2)
  const provisionStart = performance.now()
  let stop = false
  let attempted = 0
  const inFlight = new Set<Promise<unknown>>()
  const write = async (batch: Prepared[]): Promise<RowResult[]> => {
    if (options.rate) {
      const due = provisionStart + ((report.created + batch.length) / options.rate) * 1000
      const wait = due - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    }
    // the created rows (and their one-time tokens) go to onRows before the commit: a run killed after
    // it leaves every token of what it created (and, at worst, the rows of one batch that never committed)
    const create = (items: Prepared[]) => transaction(sql, dryRun, async (tx) => {
      const created = (await insertBatch(tx, items, dryRun ? undefined : report.runId, ctx)).map((r) => ({...r, ...rowAt(source, r.line)}))
      await options.onRows?.(created)
      return created
    })
    let results: RowResult[]
    try {
      results = await create(batch)
    } catch (error) {
      if (connectionLost(error)) throw error
      results = []
      for (const item of batch) {
        try {
          results.push(...(await create([item])))
        } catch (itemError) {
          if (connectionLost(itemError)) throw itemError
          const e = placed(source, dbFailure(itemError, item, source), item.line)
          report.errors.push(e)
          const failed = failure(source, item.line, item.valid.spec.name, e, item.valid.spec.subdomain)
          await options.onRows?.([failed])
          results.push(failed)
          dbFailed.push(failed)
          if (options.stopOnError) stop = true
        }
      }
    }
    for (const r of results) {
      if (keep(r)) report.rows.push(r)
      if (r.outcome === 'created') {
        report.created++
        report.invitations += r.invitations?.length ?? 0
      } else report.failed++
    }
    attempted += batch.length
    options.onProgress?.({phase: 'provision', done: attempted, total: pending, created: report.created})
    return results
  }

  try {
    let batch: Prepared[] = []
    const flush = async () => {
      const current = batch
      batch = []
      const p = inOrder(write(current)).finally(() => inFlight.delete(p))
      p.catch(() => undefined) // awaited below (race, all); a failure before that must not go unhandled
      inFlight.add(p)
      if (inFlight.size >= concurrency) await Promise.race(inFlight)
    }
    options.onProgress?.({phase: 'provision', done: 0, total: pending})
    for await (const item of preparedRows(source, prepared, catalog, ctx)) {
      if (stop) break
      if (settled.has(item.line)) continue
      batch.push(item)
      if (batch.length >= batchSize) await flush()
    }
    if (batch.length > 0 && !stop) await flush()
    await Promise.all(inFlight)
    await settleRest()
  } catch (error) {
    await Promise.allSettled(inFlight)
    await finish('failed').catch(() => undefined)
    if (connectionLost(error)) {
      throw new AppError('RUN_INTERRUPTED', `Lost the database connection during the run; every tenant created so far is whole, and re-running the same file completes the rest.`, {
        cause: error,
        details: {runId: report.runId, created: report.created},
        suggestions: ['Run the same command again.'],
      })
    }
    throw error
  }
  report.stopped = stop
  report.rows.sort((a, b) => keyOf(a) - keyOf(b))

  if (!dryRun && report.created > 0) {
    options.onProgress?.({phase: 'verify', done: 0, total: report.created})
    // the created tenants are the run's created rows (recorded with their batches): read back whole; two
    // queries, not one join: on Citus, tenants is distributed and the run records and audit trail stay on
    // the coordinator. Both go row by row through the id and tenant indexes: the run's rows and audit
    // entries are too new for the statistics, and a plan through the action index (a bitmap ANDing it in,
    // or a plain scan of it) would read every tenant.create entry once per created row (13 s at 10,000
    // rows, minutes at 100,000): bitmaps are off, and the action is compared as an expression no index has
    const [stored, audited] = await sql.begin(async (tx) => {
      await tx`set local enable_bitmapscan = off`
      const [t] = await tx<{n: number}[]>`select count(*)::int as n from tenants
        where id in (select outcome_tenant_id from provisioning_run_rows where run_id = ${report.runId} and outcome = 'created')`
      const [a] = await tx<{n: number}[]>`select count(*)::int as n from provisioning_run_rows r
        where r.run_id = ${report.runId} and r.outcome = 'created'
          and exists (select 1 from audit_log a where a.tenant_id = r.outcome_tenant_id and a.action || '' = 'tenant.create')`
      return [t, a]
    })
    const whole = Math.min(stored!.n, audited!.n)
    if (whole !== report.created) {
      throw new AppError('VERIFY_FAILED', `Only ${whole} of ${report.created} created tenants read back whole.`)
    }
    options.onProgress?.({phase: 'verify', done: report.created, total: report.created})
  }
  await finish('completed')
  return report
}
