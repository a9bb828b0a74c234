/**
 * Bulk provisioning from a CSV file or the guide's JSON config.
 *
 * 1. validate: stream every row through the tenant schema, report every
 *    problem with its line and column; in-file duplicates too. Only a compact
 *    index of each row is kept, so memory does not grow with the file's rows.
 * 2. conflicts: one query finds subdomains and custom domains already in the
 *    database; a row whose tenant exists with the same spec is `unchanged`.
 * 3. provision: stream the file again and create the new tenants in batches,
 *    each batch one transaction of set-based inserts; a batch that fails is
 *    retried one tenant a transaction, so one bad row never takes others down
 *    and no tenant is ever half-made.
 * 4. verify: every created tenant is read back whole, in one query.
 *
 * A run is recorded in provisioning_runs (file hash, counts) and each created
 * tenant's row in provisioning_run_rows, inside the batch that creates it.
 */
import {createReadStream} from 'node:fs'
import {stat} from 'node:fs/promises'
import {createHash} from 'node:crypto'
import {basename} from 'node:path'

import type {Sql, TransactionSql} from 'postgres'

import {redact} from '../audit.js'
import {accessUrl, type Context} from '../context.js'
import {isUnreachableError} from '../db/connect.js'
import {transaction} from '../db/transaction.js'
import {AppError, ExitCode} from '../errors.js'
import {inviteSchema} from '../members.js'
import {parsePermission} from '../permissions.js'
import {type Catalog, loadCatalog} from '../plans.js'
import {newToken} from '../secrets.js'
import {type MemberSpec, specHash, type ValidatedSpec, validateTenantSpec} from '../tenants.js'
import {issuesToErrors} from '../validation.js'
import type {Source, SourceRow} from './sources.js'

export const DEFAULT_INVITATION_DAYS = 7

export type Outcome = 'created' | 'unchanged' | 'failed'

export interface RowResult {
  line: number
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
  /** tenants per second in the provision phase */
  rate?: number
  etaSeconds?: number
}

export interface BulkOptions {
  dryRun?: boolean
  /** batches written at once (default 2) */
  concurrency?: number
  /** at most this many tenants created per second */
  rate?: number
  /** stop at the first problem: a file with any invalid row writes nothing */
  stopOnError?: boolean
  /** tenants per transaction (default 250) */
  batchSize?: number
  onProgress?: (progress: BulkProgress) => void
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
  rows: RowResult[]
  durationMs: number
  stopped: boolean
}

interface Indexed {
  line: number
  name: string
  subdomain?: string
  customDomain?: string
  /** filled by the conflict check: an existing tenant with the same spec */
  existing?: string
  failed?: AppError
}

interface Prepared {
  line: number
  valid: ValidatedSpec
  members: MemberSpec[]
  /** the spec hash, computed when first needed */
  hash?: string
}

const hashOf = (p: Prepared) =>
  (p.hash ??= specHash(p.valid, p.members.filter((m) => m.role !== 'owner' || m.email !== p.valid.spec.ownerEmail)))

const memberSchema = inviteSchema.pick({email: true, role: true, permissions: true})

/** Validate one row: the tenant schema, the members, the seats they need. */
function prepare(row: SourceRow, catalog: Catalog, ctx: Context): {prepared?: Prepared; errors: AppError[]} {
  const errors = [...row.errors]
  let valid: ValidatedSpec | undefined
  try {
    if (row.errors.length === 0) valid = validateTenantSpec(row.input, catalog, ctx.baseDomain, row.fieldName)
  } catch (error) {
    const nested = (error as {errors?: AppError[]}).errors ?? [error as AppError]
    errors.push(...nested)
  }
  const members: MemberSpec[] = []
  const ownerEmail = valid?.spec.ownerEmail
  if (ownerEmail) members.push({email: ownerEmail, role: 'owner', permissions: {admin: true}})
  row.members.forEach((member, i) => {
    const parsed = memberSchema.safeParse(member)
    if (!parsed.success) {
      errors.push(...issuesToErrors(parsed.error, (p) => row.fieldName(['users', i, ...p])).map((e) =>
        new AppError(e.field?.endsWith('.role') ? 'ROLE_INVALID' : e.field?.endsWith('.email') ? 'EMAIL_INVALID' : 'PERMISSION_INVALID', e.message, {field: e.field})))
      return
    }
    for (const name of Object.keys(parsed.data.permissions)) {
      try {
        parsePermission(name, row.fieldName(['users', i, 'permissions']), ['admin'])
      } catch (error) {
        errors.push(error as AppError)
      }
    }
    if (members.some((m) => m.email === parsed.data.email)) {
      errors.push(new AppError('MEMBER_DUPLICATE', `${parsed.data.email} is listed twice for this tenant.`, {field: row.fieldName(['users', i, 'email'])}))
      return
    }
    members.push(parsed.data)
  })
  if (valid && members.length > valid.limits.maxUsers) {
    errors.push(new AppError('QUOTA_EXCEEDED', `users: ${members.length} listed > ${valid.limits.maxUsers} allowed (max_users).`, {field: row.fieldName(['maxUsers'])}))
  }
  for (const e of errors) Object.assign(e, {line: row.line})
  if (errors.length > 0 || !valid) return {errors}
  return {prepared: {line: row.line, valid, members}, errors}
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

const at = (e: AppError, line: number) => Object.assign(e, {line})

/**
 * Validated rows of a file up to this size are kept for the provision phase;
 * a larger file is read again instead, so memory stays bounded.
 */
export const KEEP_PREPARED_BYTES = 8 * 1024 * 1024

/** Phase 1: every row validated, in-file duplicates found; nothing is written. */
export async function validateSource(source: Source, catalog: Catalog, ctx: Context, onProgress?: BulkOptions['onProgress']) {
  const index: Indexed[] = []
  const kept: Prepared[] | undefined = (await stat(source.path)).size <= KEEP_PREPARED_BYTES ? [] : undefined
  const errors: AppError[] = []
  const subdomains = new Map<string, number>()
  const domains = new Map<string, number>()
  for await (const batch of source.batches()) for (const row of batch) {
    const {prepared, errors: rowErrors} = prepare(row, catalog, ctx)
    const entry: Indexed = {line: row.line, name: row.label}
    if (prepared) {
      const {spec} = prepared.valid
      entry.subdomain = spec.subdomain
      entry.customDomain = spec.customDomain
      const first = subdomains.get(spec.subdomain)
      if (first !== undefined) {
        rowErrors.push(at(new AppError('DUPLICATE_IN_FILE', `Subdomain "${spec.subdomain}" is also on line ${first} (subdomains are case-insensitive).`, {field: row.fieldName(['subdomain'])}), row.line))
      } else subdomains.set(spec.subdomain, row.line)
      if (spec.customDomain) {
        const firstDomain = domains.get(spec.customDomain)
        if (firstDomain !== undefined) {
          rowErrors.push(at(new AppError('DUPLICATE_IN_FILE', `Custom domain "${spec.customDomain}" is also on line ${firstDomain}.`, {field: row.fieldName(['customDomain'])}), row.line))
        } else domains.set(spec.customDomain, row.line)
      }
    }
    if (rowErrors.length > 0) {
      entry.failed = rowErrors[0]
      errors.push(...rowErrors)
    } else if (prepared && kept) {
      kept.push(prepared)
    }
    index.push(entry)
    if (index.length % 1000 === 0) onProgress?.({phase: 'validate', done: index.length, total: index.length})
  }
  onProgress?.({phase: 'validate', done: index.length, total: index.length})
  return {index, errors, prepared: kept}
}

/** The validated rows again: those kept by validateSource, else the file read and validated anew. */
async function* preparedRows(source: Source, kept: Prepared[] | undefined, catalog: Catalog, ctx: Context): AsyncGenerator<Prepared> {
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

/**
 * Phase 2: subdomains and custom domains already taken, in one query. Only
 * rows whose subdomain exists need their spec hash, to tell unchanged from taken.
 */
export async function checkConflicts(sql: Sql, index: Indexed[], hashes: (lines: Set<number>) => Promise<Map<number, string>> = async () => new Map()): Promise<AppError[]> {
  const candidates = index.filter((e) => !e.failed && e.subdomain)
  if (candidates.length === 0) return []
  const rows = await sql<{id: string; subdomain: string; customDomain: string | null; specSha256: string | null}[]>`
    select id, lower(subdomain) as subdomain, lower(custom_domain) as custom_domain, spec_sha256 from tenants
    where lower(subdomain) = any(${candidates.map((e) => e.subdomain!)}::text[])
       or lower(custom_domain) = any(${candidates.flatMap((e) => (e.customDomain ? [e.customDomain] : []))}::text[])`
  const bySubdomain = new Map(rows.map((r) => [r.subdomain, r]))
  const byDomain = new Map(rows.filter((r) => r.customDomain).map((r) => [r.customDomain!, r]))
  const errors: AppError[] = []
  const hashOfLine = await hashes(new Set(candidates.filter((e) => bySubdomain.has(e.subdomain!)).map((e) => e.line)))
  for (const entry of candidates) {
    const existing = bySubdomain.get(entry.subdomain!)
    if (existing && existing.specSha256 === hashOfLine.get(entry.line)) {
      entry.existing = existing.id
      continue
    }
    const problem = existing
      ? new AppError('SUBDOMAIN_TAKEN', `Subdomain "${entry.subdomain}" already belongs to another tenant (or one with a different spec).`, {exit: ExitCode.conflict, field: 'subdomain', line: entry.line})
      : entry.customDomain && byDomain.has(entry.customDomain)
        ? new AppError('CUSTOM_DOMAIN_TAKEN', `Custom domain "${entry.customDomain}" is already used by another tenant.`, {exit: ExitCode.conflict, field: 'custom_domain', line: entry.line})
        : undefined
    if (problem) {
      entry.failed = problem
      errors.push(problem)
    }
  }
  return errors
}

const CONNECTION_LOST = new Set(['57P01', '57P02', '57P03', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'ECONNRESET', 'EPIPE'])
const connectionLost = (error: unknown) => CONNECTION_LOST.has(String((error as {code?: string})?.code)) || isUnreachableError(error)

/** Create a batch of validated tenants with set-based inserts, inside the caller's transaction. */
async function insertBatch(tx: TransactionSql, batch: Prepared[], runId: string | undefined, ctx: Context): Promise<RowResult[]> {
  const v = batch.map((b) => b.valid)
  const tenants = await tx<{id: string; subdomain: string}[]>`
    insert into tenants (name, subdomain, plan_id, max_assets, max_users, max_devices, storage_quota_gb, contact_email,
      custom_domain, settings, enable_2fa, session_timeout_minutes, password_policy, allowed_ip_ranges, spec_sha256)
    select name, subdomain, plan_id, max_assets, max_users, max_devices, storage_quota_gb, contact_email,
      custom_domain, settings::jsonb, enable_2fa, session_timeout_minutes, password_policy::jsonb, allowed_ip_ranges::cidr[], spec_sha256
    from unnest(
      ${v.map((x) => x.spec.name)}::text[], ${v.map((x) => x.spec.subdomain)}::text[], ${v.map((x) => x.plan.id)}::text[],
      ${v.map((x) => x.limits.maxAssets)}::int[], ${v.map((x) => x.limits.maxUsers)}::int[], ${v.map((x) => x.limits.maxDevices)}::int[],
      ${v.map((x) => x.limits.storageQuotaGb)}::int[], ${v.map((x) => x.spec.contactEmail ?? null)}::text[], ${v.map((x) => x.spec.customDomain ?? null)}::text[],
      ${v.map((x) => JSON.stringify(x.spec.settings))}::text[], ${v.map((x) => String(x.security.enable2fa))}::text[]::bool[],
      ${v.map((x) => x.security.sessionTimeoutMinutes)}::int[], ${v.map((x) => JSON.stringify(x.security.passwordPolicy))}::text[],
      ${v.map((x) => `{${x.security.allowedIpRanges.join(',')}}`)}::text[], ${batch.map(hashOf)}::text[]
    ) as r(name, subdomain, plan_id, max_assets, max_users, max_devices, storage_quota_gb, contact_email, custom_domain,
      settings, enable_2fa, session_timeout_minutes, password_policy, allowed_ip_ranges, spec_sha256)
    returning id, subdomain`
  const idOf = new Map(tenants.map((t) => [t.subdomain, t.id]))
  const tenantIds = batch.map((b) => idOf.get(b.valid.spec.subdomain)!)

  const features = batch.flatMap((b, i) => Object.entries(b.valid.spec.features).map(([f, on]) => [tenantIds[i]!, f, on] as const))
  if (features.length > 0) {
    await tx`insert into tenant_features (tenant_id, feature, enabled)
      select * from unnest(${features.map((f) => f[0])}::uuid[], ${features.map((f) => f[1])}::text[], ${features.map((f) => String(f[2]))}::text[]::bool[])`
  }

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
    await tx`insert into users (email) select unnest(${emails}::text[]) on conflict (lower(email)) do nothing`
    const users = await tx<{id: string; email: string}[]>`select id, lower(email) as email from users where lower(email) = any(${emails}::text[])`
    const userId = new Map(users.map((u) => [u.email, u.id]))
    const expiresAt = new Date(Date.now() + DEFAULT_INVITATION_DAYS * 86_400_000)
    const tokens = members.map((m) => {
      const t = newToken('inv')
      m.result.invitations!.push({email: m.email, role: m.role, token: t.token, expiresAt})
      return t.hash
    })
    await tx`insert into memberships (tenant_id, user_id, role, permissions, status, invitation_token_hash, invitation_expires_at)
      select t, u, r, p::jsonb, 'invited', h, ${expiresAt}
      from unnest(${members.map((m) => m.tenantId)}::uuid[], ${members.map((m) => userId.get(m.email)!)}::uuid[],
        ${members.map((m) => m.role)}::text[], ${members.map((m) => JSON.stringify(m.permissions))}::text[], ${tokens}::text[]) as x(t, u, r, p, h)`
  }

  await tx`insert into audit_log (tenant_id, actor, action, subject, arguments, outcome)
    select t, ${ctx.actor}, 'tenant.create', s, a::jsonb, 'success'
    from unnest(${tenantIds}::uuid[], ${batch.map((b) => b.valid.spec.subdomain)}::text[],
      ${batch.map((b) => JSON.stringify(redact({...b.valid.spec, plan: b.valid.plan.id, limits: b.valid.limits, members: b.members, runId})))}::text[]) as x(t, s, a)`
  if (runId) {
    await tx`insert into provisioning_run_rows (run_id, line, subdomain, name, outcome)
      select ${runId}, l, s, n, 'created'
      from unnest(${batch.map((b) => b.line)}::int[], ${batch.map((b) => b.valid.spec.subdomain)}::text[], ${batch.map((b) => b.valid.spec.name)}::text[]) as x(l, s, n)`
  }
  return results
}

function failure(line: number, name: string, error: AppError, subdomain?: string): RowResult {
  return {line, name, subdomain, outcome: 'failed', error: {code: error.code, message: error.message, field: error.field}}
}

function dbFailure(error: unknown): AppError {
  const e = error as {code?: string; constraint_name?: string; message?: string}
  if (e.constraint_name === 'tenants_subdomain_key') return new AppError('SUBDOMAIN_TAKEN', 'The subdomain was taken while the run was going on.', {exit: ExitCode.conflict, field: 'subdomain'})
  if (e.constraint_name === 'tenants_custom_domain_key') return new AppError('CUSTOM_DOMAIN_TAKEN', 'The custom domain was taken while the run was going on.', {exit: ExitCode.conflict, field: 'custom_domain'})
  return new AppError('DB_ERROR', e.message ?? String(error), {exit: ExitCode.failed})
}

/** Provision everything a source describes; see the module comment for the phases. */
export async function provisionFromSource(sql: Sql, source: Source, ctx: Context, options: BulkOptions = {}): Promise<BulkReport> {
  const started = performance.now()
  const dryRun = Boolean(options.dryRun)
  const catalog = await loadCatalog(sql)
  const [sha, {index, errors, prepared}] = await Promise.all([fileSha256(source.path), validateSource(source, catalog, ctx, options.onProgress)])
  options.onProgress?.({phase: 'conflicts', done: 0, total: index.length})
  errors.push(...(await checkConflicts(sql, index, (lines) => hashesOf(lines, source, prepared, catalog, ctx))))
  options.onProgress?.({phase: 'conflicts', done: index.length, total: index.length})
  errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0))

  const rows: RowResult[] = []
  for (const e of index) {
    if (e.failed) rows.push(failure(e.line, e.name, e.failed, e.subdomain))
    else if (e.existing) rows.push({line: e.line, name: e.name, subdomain: e.subdomain, outcome: 'unchanged', tenantId: e.existing, accessUrl: accessUrl(e.subdomain!, ctx.baseDomain)})
  }
  const todo = new Set(index.filter((e) => !e.failed && !e.existing).map((e) => e.line))
  const report: BulkReport = {
    runId: '', file: source.path, sha256: sha, source: source.kind, dryRun, total: index.length,
    created: 0, unchanged: rows.filter((r) => r.outcome === 'unchanged').length, failed: rows.length - rows.filter((r) => r.outcome === 'unchanged').length,
    errors, rows, durationMs: 0, stopped: false,
  }
  await sql`update provisioning_runs set status = 'failed', finished_at = now()
    where file_sha256 = ${sha} and status = 'running' and dry_run = ${dryRun}`
  const [run] = await sql<{id: string}[]>`
    insert into provisioning_runs (source, file_name, file_sha256, dry_run, status, total)
    values (${source.kind}, ${basename(source.path)}, ${sha}, ${dryRun}, 'running', ${index.length}) returning id`
  report.runId = run!.id
  const finish = async (status: 'completed' | 'failed') => {
    report.durationMs = Math.round(performance.now() - started)
    await sql`update provisioning_runs set status = ${status}, finished_at = now(), created = ${report.created},
      unchanged = ${report.unchanged}, failed = ${report.failed} where id = ${report.runId}`
    const recorded = report.rows.filter((r) => r.outcome !== 'created')
    if (!dryRun && recorded.length > 0) {
      await sql`insert into provisioning_run_rows (run_id, line, subdomain, name, outcome, error_code, message)
        select ${report.runId}, l, s, n, o, c, m from unnest(${recorded.map((r) => r.line)}::int[], ${recorded.map((r) => r.subdomain ?? null)}::text[],
          ${recorded.map((r) => r.name)}::text[], ${recorded.map((r) => r.outcome)}::text[], ${recorded.map((r) => r.error?.code ?? null)}::text[],
          ${recorded.map((r) => r.error?.message ?? null)}::text[]) as x(l, s, n, o, c, m)
        on conflict do nothing`
    }
  }

  if (options.stopOnError && errors.length > 0) {
    report.stopped = true
    await finish('failed')
    return report
  }

  const batchSize = options.batchSize ?? 250
  const concurrency = Math.max(1, options.concurrency ?? 2)
  const provisionStart = performance.now()
  let stop = false
  const inFlight = new Set<Promise<void>>()
  const write = async (batch: Prepared[]) => {
    if (options.rate) {
      const due = provisionStart + ((report.created + batch.length) / options.rate) * 1000
      const wait = due - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    }
    let results: RowResult[]
    try {
      results = await transaction(sql, dryRun, (tx) => insertBatch(tx, batch, dryRun ? undefined : report.runId, ctx))
    } catch (error) {
      if (connectionLost(error)) throw error
      results = []
      for (const item of batch) {
        try {
          results.push(...(await transaction(sql, dryRun, (tx) => insertBatch(tx, [item], dryRun ? undefined : report.runId, ctx))))
        } catch (itemError) {
          if (connectionLost(itemError)) throw itemError
          const e = at(dbFailure(itemError), item.line)
          report.errors.push(e)
          results.push(failure(item.line, item.valid.spec.name, e, item.valid.spec.subdomain))
          if (options.stopOnError) stop = true
        }
      }
    }
    for (const r of results) {
      report.rows.push(r)
      if (r.outcome === 'created') report.created++
      else report.failed++
    }
    const elapsed = (performance.now() - provisionStart) / 1000
    const rate = report.created / Math.max(elapsed, 0.001)
    const remaining = todo.size - report.created - report.rows.filter((r) => r.outcome === 'failed' && todo.has(r.line)).length
    options.onProgress?.({phase: 'provision', done: todo.size - remaining, total: todo.size, rate, etaSeconds: rate > 0 ? remaining / rate : undefined})
  }

  try {
    let batch: Prepared[] = []
    const flush = async () => {
      const current = batch
      batch = []
      const p = write(current).finally(() => inFlight.delete(p))
      inFlight.add(p)
      if (inFlight.size >= concurrency) await Promise.race(inFlight)
    }
    options.onProgress?.({phase: 'provision', done: 0, total: todo.size})
    for await (const item of preparedRows(source, prepared, catalog, ctx)) {
      if (stop) break
      if (!todo.has(item.line)) continue
      batch.push(item)
      if (batch.length >= batchSize) await flush()
    }
    if (batch.length > 0 && !stop) await flush()
    await Promise.all(inFlight)
  } catch (error) {
    await Promise.allSettled(inFlight)
    await finish('failed').catch(() => undefined)
    if (connectionLost(error)) {
      throw new AppError('RUN_INTERRUPTED', `Lost the database connection during the run; every tenant created so far is whole, and re-running the same file completes the rest.`, {
        exit: ExitCode.failed,
        cause: error,
        details: {runId: report.runId, created: report.created},
        suggestions: ['Run the same command again.'],
      })
    }
    throw error
  }
  report.stopped = stop
  report.rows.sort((a, b) => a.line - b.line)

  if (!dryRun && report.created > 0) {
    options.onProgress?.({phase: 'verify', done: 0, total: report.created})
    const ids = report.rows.filter((r) => r.outcome === 'created').map((r) => r.tenantId!)
    const [check] = await sql<{whole: number}[]>`
      select count(*)::int as whole from tenants t
      where t.id = any(${ids}::uuid[]) and exists (select 1 from audit_log a where a.tenant_id = t.id and a.action = 'tenant.create')`
    if (check!.whole !== ids.length) {
      throw new AppError('VERIFY_FAILED', `Only ${check!.whole} of ${ids.length} created tenants read back whole.`, {exit: ExitCode.failed})
    }
    options.onProgress?.({phase: 'verify', done: report.created, total: report.created})
  }
  await finish('completed')
  return report
}
