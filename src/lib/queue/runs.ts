/**
 * Provisioning runs through the queue. The same records serve direct and
 * queued runs: provisioning_runs (one per run) and provisioning_run_rows (one
 * per input row, with its outcome).
 *
 * enqueueSource validates the whole file exactly as a direct run does (every
 * problem, nothing written; a file with any problem is refused), then, in ONE
 * transaction, records the run, every row (the valid ones `pending`, with the
 * validated spec and its idempotency key, the spec hash), and one pg-boss job
 * per batch of rows, {runId, batch}. A job's priority is minus its batch
 * number, and pg-boss takes the highest priority first: the runs in the queue
 * take turns a batch each, so a small run queued after a big one is not starved.
 *
 * runBatch (a worker's job) settles a batch's pending rows: a row whose
 * subdomain exists with the same spec hash is `unchanged` (the same file queued
 * twice, or another run that made it), with another spec `failed`; the rest are
 * created in one transaction that also marks their rows `created`, so a worker
 * killed at any point leaves each row either pending (and its tenant not made)
 * or settled with its tenant whole. A retried job, or two workers on the same
 * batch, lock the rows first and skip those no longer pending.
 */
import {basename} from 'node:path'

import type {Sql} from 'postgres'

import type {Context} from '../context.js'
import {connectionLost, dbFailure, insertBatch, preparedRows, type RowResult, sha256Of, validateSource, type BulkOptions} from '../bulk/provision.js'
import {PACE} from '../bulk/pace.js'
import {hashOf, type Prepared} from '../bulk/prepare.js'
import type {Source} from '../bulk/sources.js'
import {isUuid} from '../db/tenant-context.js'
import {AppError} from '../errors.js'
import {decodeCursor, KEY, type Page, type PageRequest, toPage} from '../paging.js'
import {loadCatalog} from '../plans.js'
import type {MemberSpec, ValidatedSpec} from '../tenants.js'
import {openBoss, PROVISION_QUEUE} from './boss.js'
import {waitForSlot} from './rate.js'

/** Tenants per job: --batch-size, and with --rate at most a quarter second's worth, so the cap is smooth. */
export const jobBatchSize = (options: {batchSize?: number; rate?: number}) =>
  Math.max(1, Math.min(options.batchSize ?? PACE.batchSize.default, options.rate ? Math.ceil(options.rate / 4) : Infinity))

export interface EnqueueReport {
  /** null when the file was refused */
  runId: string | null
  file: string
  sha256: string
  source: 'csv' | 'json'
  total: number
  /** rows queued to be created */
  queued: number
  /** rows whose tenant exists already with the same spec */
  unchanged: number
  jobs: number
  batchSize: number
  rate?: number
  /** every problem, with line and field; any problem refuses the whole file */
  errors: AppError[]
}

/** What a queued row keeps: the validated spec, so a worker writes exactly what was validated. */
interface QueuedSpec {
  valid: ValidatedSpec
  members: MemberSpec[]
}

/** Validate `source` like a direct run, then record it as a queued run and enqueue its batches; see the module comment. */
export async function enqueueSource(sql: Sql, source: Source, ctx: Context, options: {rate?: number; batchSize?: number; onProgress?: BulkOptions['onProgress']} = {}): Promise<EnqueueReport> {
  const catalog = await loadCatalog(sql)
  // pg-boss starts (connects, checks its schema) while the file is validated
  const starting = openBoss(sql, {max: 1})
  starting.catch(() => undefined)
  let validated: [string, Awaited<ReturnType<typeof validateSource>>]
  try {
    validated = await Promise.all([sha256Of(source.input), validateSource(sql, source, catalog, ctx, options.onProgress)])
  } catch (error) {
    await starting.then((boss) => boss.stop({graceful: false, close: true}), () => undefined)
    throw error
  }
  const [sha, validation] = validated
  const batchSize = jobBatchSize(options)
  // keyed by the row's key: a CSV line, or a JSON config's record number (records may share a line)
  const unchanged = [...validation.settled].filter(([, r]) => r.outcome === 'unchanged')
  const report: EnqueueReport = {
    runId: null, file: source.input.name, sha256: sha, source: source.kind, total: validation.total,
    queued: validation.pending, unchanged: unchanged.length, jobs: Math.ceil(validation.pending / batchSize), batchSize,
    ...(options.rate ? {rate: options.rate} : {}), errors: validation.errors,
  }
  const boss = await starting
  try {
    if (validation.errors.length > 0) return report
    const tx = await boss.getDb().beginTransaction!()
    try {
      const {rows: [run]} = await tx.db.executeSql(
        `insert into provisioning_runs (source, file_name, file_sha256, dry_run, status, total, unchanged, queued, rate, actor)
         values ($1, $2, $3, false, $4, $5, $6, true, $7, $8) returning id`,
        // nothing to create (every row unchanged): the run is done as it is recorded
        [source.kind, basename(source.input.name), sha, report.jobs === 0 ? 'completed' : 'queued', validation.total, unchanged.length, options.rate ?? null, ctx.actor],
      )
      const runId = String(run.id)
      let chunk: Record<string, unknown>[] = []
      const flush = async () => {
        if (chunk.length === 0) return
        await tx.db.executeSql(
          `insert into provisioning_run_rows (run_id, line, subdomain, name, outcome, batch, idempotency_key, spec, outcome_tenant_id, settled_at)
           select $1, line, subdomain, name, outcome, batch, key, spec, tenant_id, case when outcome = 'pending' then null else now() end
           from jsonb_to_recordset($2::jsonb) as x(line int, subdomain text, name text, outcome text, batch int, key text, spec jsonb, tenant_id uuid)`,
          [runId, JSON.stringify(chunk)],
        )
        chunk = []
      }
      for (const [key, r] of unchanged) {
        chunk.push({line: key, subdomain: r.subdomain, name: r.name, outcome: 'unchanged', tenant_id: r.tenantId})
        if (chunk.length >= 1000) await flush()
      }
      let n = 0
      for await (const p of preparedRows(source, validation.prepared, catalog, ctx)) {
        if (validation.settled.has(p.line)) continue
        const spec: QueuedSpec = {valid: p.valid, members: p.members}
        chunk.push({line: p.line, subdomain: p.valid.spec.subdomain, name: p.valid.spec.name, outcome: 'pending', batch: Math.floor(n++ / batchSize), key: hashOf(p), spec})
        if (chunk.length >= 1000) await flush()
      }
      await flush()
      await insertJobs(boss, tx.db, runId, 0, report.jobs)
      if (report.jobs === 0) await tx.db.executeSql(`update provisioning_runs set finished_at = now() where id = $1`, [runId])
      await tx.commit()
      report.runId = runId
    } catch (error) {
      await tx.rollback()
      throw error
    }
  } finally {
    await boss.stop({graceful: false, close: true})
  }
  return report
}

/** BULK_REFUSED when the file had problems: nothing was queued. */
export function enqueueOutcome(report: EnqueueReport): AppError | undefined {
  if (report.runId !== null) return undefined
  return new AppError('BULK_REFUSED', `Nothing was queued: ${report.errors.length} problem(s); see result.errors.`, {suggestions: ['Fix the rows named in result.errors and run again.']})
}

type Boss = Awaited<ReturnType<typeof openBoss>>

/** Jobs for batches [from, to) of a run: priority minus the batch number (see the module comment). */
async function insertJobs(boss: Boss, db: ReturnType<Boss['getDb']>, runId: string, from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += 1000) {
    const jobs = []
    for (let batch = start; batch < Math.min(to, start + 1000); batch++) jobs.push({data: {runId, batch}, priority: -batch})
    await boss.insert(PROVISION_QUEUE, jobs, {db})
  }
}

export interface BatchJob {
  runId: string
  batch: number
}

export interface BatchResult {
  runId: string
  batch: number
  rows: number
  created: number
  unchanged: number
  failed: number
  /** rows another worker had settled, or that were cancelled */
  skipped: number
}

interface PendingRow {
  line: number
  subdomain: string
  name: string
  spec: QueuedSpec
  idempotencyKey: string
}

/** A worker's job: settle the pending rows of one batch; see the module comment. */
export async function runBatch(sql: Sql, job: BatchJob, ctx: Context): Promise<BatchResult> {
  const result: BatchResult = {runId: job.runId, batch: job.batch, rows: 0, created: 0, unchanged: 0, failed: 0, skipped: 0}
  const [run] = await sql<{rate: number | null; actor: string | null}[]>`select rate, actor from provisioning_runs where id = ${job.runId}`
  if (!run) return result
  const rows = await sql<PendingRow[]>`
    select line, subdomain, name, spec, idempotency_key from provisioning_run_rows
    where run_id = ${job.runId} and batch = ${job.batch} and outcome = 'pending' order by line`
  result.rows = rows.length
  if (rows.length > 0) {
    await sql`update provisioning_runs set status = 'running' where id = ${job.runId} and status = 'queued'`
    if (run.rate) await waitForSlot(sql, job.runId, rows.length)
    const runCtx: Context = {actor: run.actor ?? ctx.actor, baseDomain: ctx.baseDomain}
    const items: Prepared[] = rows.map((r) => ({line: r.line, valid: r.spec.valid, members: r.spec.members, hash: r.idempotencyKey}))
    const fresh = await settleExisting(sql, job.runId, items, result)
    await createRows(sql, job.runId, fresh, runCtx, result)
  }
  await settleRun(sql, job.runId)
  return result
}

/** Rows whose subdomain exists: the same spec is unchanged, another is SUBDOMAIN_TAKEN. Returns the rest. */
async function settleExisting(sql: Sql, runId: string, items: Prepared[], result: BatchResult): Promise<Prepared[]> {
  const existing = await sql<{id: string; subdomain: string; specSha256: string | null}[]>`
    select id, lower(subdomain) as subdomain, spec_sha256 from tenants where lower(subdomain) = any(${items.map((i) => i.valid.spec.subdomain)}::text[])`
  if (existing.length === 0) return items
  const bySubdomain = new Map(existing.map((t) => [t.subdomain, t]))
  const rest: Prepared[] = []
  for (const item of items) {
    const tenant = bySubdomain.get(item.valid.spec.subdomain)
    if (!tenant) rest.push(item)
    else if (tenant.specSha256 === item.hash) await settle(sql, runId, item.line, {outcome: 'unchanged', tenantId: tenant.id}, result)
    else await settle(sql, runId, item.line, {outcome: 'failed', error: taken(item)}, result)
  }
  return rest
}

const taken = (item: Prepared) =>
  new AppError('SUBDOMAIN_TAKEN', `Subdomain "${item.valid.spec.subdomain}" already belongs to another tenant (or one with a different spec).`, {field: 'subdomain', line: item.line})

async function settle(sql: Sql, runId: string, line: number, row: {outcome: 'unchanged' | 'failed'; tenantId?: string; error?: AppError}, result: BatchResult): Promise<void> {
  const updated = await sql`
    update provisioning_run_rows set outcome = ${row.outcome}, outcome_tenant_id = ${row.tenantId ?? null}, error_code = ${row.error?.code ?? null},
      message = ${row.error?.message ?? null}, attempts = attempts + 1, settled_at = now()
    where run_id = ${runId} and line = ${line} and outcome = 'pending'`
  if (updated.count === 0) result.skipped++
  else result[row.outcome]++
}

/** Create the rows' tenants in one transaction; a batch that fails is retried a tenant a transaction. */
async function createRows(sql: Sql, runId: string, items: Prepared[], ctx: Context, result: BatchResult): Promise<void> {
  if (items.length === 0) return
  const create = (batch: Prepared[]) => sql.begin(async (tx) => {
    const locked = await tx<{line: number}[]>`
      select line from provisioning_run_rows where run_id = ${runId} and line = any(${batch.map((b) => b.line)}::int[]) and outcome = 'pending'
      order by line for update`
    const mine = new Set(locked.map((l) => l.line))
    result.skipped += batch.length - mine.size
    const todo = batch.filter((b) => mine.has(b.line))
    return todo.length === 0 ? [] : insertBatch(tx, todo, runId, ctx)
  }) as Promise<RowResult[]>
  try {
    result.created += (await create(items)).length
    return
  } catch (error) {
    if (connectionLost(error)) throw error
  }
  for (const item of items) {
    try {
      result.created += (await create([item])).length
    } catch (error) {
      if (connectionLost(error)) throw error
      // made meanwhile by another run (the same file queued twice): unchanged if the spec is the same
      const rest = await settleExisting(sql, runId, [item], result)
      if (rest.length > 0) await settle(sql, runId, item.line, {outcome: 'failed', error: dbFailure(error, item)}, result)
    }
  }
}

/** A queued run with no pending row left is completed, with its counts; idempotent (each job's last step). */
export async function settleRun(sql: Sql, runId: string): Promise<void> {
  await sql`
    update provisioning_runs r set status = 'completed', finished_at = now(), created = c.created, unchanged = c.unchanged, failed = c.failed
    from (
      select count(*) filter (where outcome = 'created')::int as created, count(*) filter (where outcome = 'unchanged')::int as unchanged,
        count(*) filter (where outcome = 'failed')::int as failed, count(*) filter (where outcome = 'pending')::int as pending
      from provisioning_run_rows where run_id = ${runId}
    ) c
    where r.id = ${runId} and r.queued and r.status in ('queued', 'running') and c.pending = 0`
}

export interface RunCounts {
  pending: number
  created: number
  unchanged: number
  failed: number
  cancelled: number
}

export interface RunSummary {
  id: string
  queued: boolean
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled'
  source: 'csv' | 'json'
  fileName: string
  total: number
  counts: RunCounts
  /** the --rate cap, tenants per second across all workers */
  rate: number | null
  startedAt: Date
  finishedAt: Date | null
}

export interface RunStatus extends RunSummary {
  sha256: string
  dryRun: boolean
  actor: string | null
  /** rows settled per second over the last minute; over the whole run (queued to finished) when it is done */
  throughput: number
  /** seconds until the pending rows are settled at that throughput; null when unknown or done */
  etaSeconds: number | null
  /** failed rows, first 100 by line */
  failures: {line: number; subdomain: string | null; name: string | null; code: string | null; message: string | null}[]
}

interface RunRow {
  id: string
  queued: boolean
  status: RunSummary['status']
  source: 'csv' | 'json'
  fileName: string
  total: number
  created: number
  unchanged: number
  failed: number
  cancelled: number
  settled: number
  rate: number | null
  startedAt: Date
  finishedAt: Date | null
}

const counts = (r: RunRow): RunCounts => ({
  pending: r.status === 'failed' || r.status === 'cancelled' ? 0 : Math.max(0, r.total - r.settled),
  created: r.created, unchanged: r.unchanged, failed: r.failed, cancelled: r.cancelled,
})

/** Row counts of a run, from its rows (a direct run records its unchanged and failed rows when it ends). */
const RUN_COLUMNS = (sql: Sql) => sql`
  r.id, r.queued, r.status, r.source, r.file_name, r.total, r.rate, r.started_at, r.finished_at,
  case when r.queued or r.status = 'running' then c.created else r.created end as created,
  case when r.queued or r.status = 'running' then c.unchanged else r.unchanged end as unchanged,
  case when r.queued or r.status = 'running' then c.failed else r.failed end as failed,
  c.cancelled, c.settled`
const RUN_COUNTS = (sql: Sql) => sql`
  cross join lateral (
    select count(*) filter (where outcome = 'created')::int as created, count(*) filter (where outcome = 'unchanged')::int as unchanged,
      count(*) filter (where outcome = 'failed')::int as failed, count(*) filter (where outcome = 'cancelled')::int as cancelled,
      count(*) filter (where outcome <> 'pending')::int as settled
    from provisioning_run_rows w where w.run_id = r.id
  ) c`

const summary = (r: RunRow): RunSummary => ({
  id: r.id, queued: r.queued, status: r.status, source: r.source, fileName: r.fileName, total: r.total,
  counts: counts(r), rate: r.rate, startedAt: r.startedAt, finishedAt: r.finishedAt,
})

const RUN_SORT = '-started'

/** Runs, newest first, a keyset page at a time. */
export async function listRuns(sql: Sql, request: PageRequest & {withTotal?: boolean; status?: string}): Promise<Page<RunSummary>> {
  const after = request.after === undefined ? undefined : decodeCursor(request.after, RUN_SORT, [KEY.time, KEY.uuid])
  const status = request.status === undefined ? sql`` : sql`and r.status = ${request.status}`
  const rows = await sql<(RunRow & {cursorTime: string})[]>`
    select ${RUN_COLUMNS(sql)}, r.started_at::text as cursor_time from provisioning_runs r ${RUN_COUNTS(sql)}
    where not r.dry_run ${status} ${after ? sql`and (r.started_at, r.id) < (${after[0]!}::timestamptz, ${after[1]!}::uuid)` : sql``}
    order by r.started_at desc, r.id desc limit ${request.limit + 1}`
  const total = request.withTotal === false ? undefined : (await sql<{n: number}[]>`select count(*)::int as n from provisioning_runs r where not r.dry_run ${status}`)[0]!.n
  const page = toPage(rows, request.limit, RUN_SORT, (r) => [r.cursorTime, r.id], total)
  return {...page, items: page.items.map(summary)}
}

const runNotFound = (id: string) =>
  new AppError('RUN_NOT_FOUND', `No provisioning run ${id}.`, {field: 'id', suggestions: [{command: 'run.list', text: 'List runs with `{command}`.'}]})

function checkRunId(id: string): string {
  const trimmed = id.trim().toLowerCase()
  if (!isUuid(trimmed)) throw new AppError('RUN_ID_INVALID', `"${id}" is not a run id (a UUID, as tenant bulk-create --queue prints).`, {field: 'id', suggestions: [{command: 'run.list', text: 'List runs with `{command}`.'}]})
  return trimmed
}

/** One run: counts by state, failures with their codes, throughput and ETA. */
export async function runStatus(sql: Sql, id: string): Promise<RunStatus> {
  const runId = checkRunId(id)
  const [row] = await sql<(RunRow & {fileSha256: string; dryRun: boolean; actor: string | null; recent: number; windowSeconds: number; settledOverRun: number})[]>`
    select ${RUN_COLUMNS(sql)}, r.file_sha256, r.dry_run, r.actor, s.recent, s.window_seconds, s.settled_over_run
    from provisioning_runs r ${RUN_COUNTS(sql)}
    cross join lateral (
      select count(*) filter (where settled_at > now() - interval '60 seconds')::int as recent,
        greatest(0.001, extract(epoch from least(interval '60 seconds', coalesce(r.finished_at, now()) - min(settled_at))))::float8 as window_seconds,
        count(*)::int / greatest(0.001, extract(epoch from coalesce(r.finished_at, now()) - r.started_at))::float8 as settled_over_run
      from provisioning_run_rows w where w.run_id = r.id and settled_at is not null
    ) s
    where r.id = ${runId}`
  if (!row) throw runNotFound(runId)
  const failures = await sql<RunStatus['failures']>`
    select line, subdomain, name, error_code as code, message from provisioning_run_rows
    where run_id = ${runId} and outcome = 'failed' order by line limit 100`
  const base = summary(row)
  const done = base.counts.pending === 0
  const throughput = done ? (row.finishedAt ? row.settledOverRun : 0) : row.recent / row.windowSeconds
  return {
    ...base,
    sha256: row.fileSha256, dryRun: row.dryRun, actor: row.actor,
    throughput: Math.round(throughput * 10) / 10,
    etaSeconds: done || throughput === 0 ? null : Math.ceil(base.counts.pending / throughput),
    failures,
  }
}

/** Stop a queued run: its pending rows are cancelled (a batch being written finishes); settled rows stay. */
export async function cancelRun(sql: Sql, id: string): Promise<RunStatus> {
  const runId = checkRunId(id)
  const [run] = await sql<{queued: boolean; status: string}[]>`select queued, status from provisioning_runs where id = ${runId}`
  if (!run) throw runNotFound(runId)
  if (!run.queued) throw new AppError('RUN_NOT_QUEUED', `Run ${runId} ran directly (tenant bulk-create without --queue); only queued runs can be cancelled.`)
  await sql.begin(async (tx) => {
    await tx`update provisioning_runs set status = 'cancelled', cancelled_at = now(), finished_at = now() where id = ${runId} and status in ('queued', 'running')`
    await tx`update provisioning_run_rows set outcome = 'cancelled', settled_at = now() where run_id = ${runId} and outcome = 'pending'`
  })
  return runStatus(sql, runId)
}

/** Queue the failed rows of a queued run again (their batches numbered after the run's last). */
export async function retryRun(sql: Sql, id: string): Promise<RunStatus & {retried: number}> {
  const runId = checkRunId(id)
  const [run] = await sql<{queued: boolean; status: string; rate: number | null}[]>`select queued, status, rate from provisioning_runs where id = ${runId}`
  if (!run) throw runNotFound(runId)
  if (!run.queued) {
    throw new AppError('RUN_NOT_QUEUED', `Run ${runId} ran directly (tenant bulk-create without --queue); run the same file again to retry its failed rows.`)
  }
  const boss = await openBoss(sql, {max: 1})
  let retried = 0
  try {
    const tx = await boss.getDb().beginTransaction!()
    try {
      // the run row locked: two retries at once do not number the same batches
      const {rows: [locked]} = await tx.db.executeSql(
        `select coalesce((select max(batch) + 1 from provisioning_run_rows where run_id = $1), 0) as next from provisioning_runs where id = $1 for update`, [runId])
      const next = Number(locked.next)
      const size = jobBatchSize({rate: run.rate ?? undefined})
      const {rows} = await tx.db.executeSql(
        `with failed as (select line, row_number() over (order by line) - 1 as n from provisioning_run_rows where run_id = $1 and outcome = 'failed')
         update provisioning_run_rows w set outcome = 'pending', batch = $2 + f.n / $3, error_code = null, message = null, settled_at = null
         from failed f where w.run_id = $1 and w.line = f.line returning w.line`, [runId, next, size])
      retried = rows.length
      if (retried > 0) {
        await tx.db.executeSql(`update provisioning_runs set status = 'queued', finished_at = null, failed = 0 where id = $1`, [runId])
        await insertJobs(boss, tx.db, runId, next, next + Math.ceil(retried / size))
      }
      await tx.commit()
    } catch (error) {
      await tx.rollback()
      throw error
    }
  } finally {
    await boss.stop({graceful: false, close: true})
  }
  return {...(await runStatus(sql, runId)), retried}
}

/** The run's status every `intervalMs` until no row is pending (or the run failed or was cancelled). */
export async function waitForRun(sql: Sql, id: string, onStatus: (status: RunStatus) => void, options: {intervalMs?: number; signal?: AbortSignal} = {}): Promise<RunStatus> {
  for (;;) {
    const status = await runStatus(sql, id)
    onStatus(status)
    if (status.counts.pending === 0 || status.status === 'failed' || status.status === 'cancelled') return status
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1000))
    options.signal?.throwIfAborted()
  }
}
