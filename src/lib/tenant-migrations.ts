/**
 * Per-tenant data migrations (sql/tenant: NNNN_name.up.sql / .down.sql), kept
 * apart from the schema migrations. Each is applied to one tenant in one
 * transaction on a login made for the run (tenant-login.ts: no superuser, no
 * BYPASSRLS) with the tenant set, so row-level security confines it to that
 * tenant's rows. A ledger row records version, checksum, time, duration and
 * whether it was faked.
 *
 * An up script may declare `-- present-if: <query>`: with --fake-initial the
 * query runs in the tenant's context and, when it returns true, the migration
 * is recorded as applied (faked) without running.
 *
 * A script must not be able to leave its tenant, so before any tenant is
 * touched every script (up, down, present-if) is read statement by statement
 * and refused (TENANT_MIGRATION_FORBIDDEN) unless it holds data statements
 * only, calling nothing that changes the role or the tenant setting or runs SQL
 * text, and naming nothing of the run's own (its ledger). After each
 * script, in its transaction, the role, the login and the tenant are checked to
 * be the ones it was given (TENANT_MIGRATION_ESCAPED).
 *
 * On Citus a transaction keeps one role and one tenant on the shards it
 * touched, so there each tenant is migrated in a transaction of its own, and a
 * script's INSERT statements go with RETURNING (throughShards).
 */
import {fileURLToPath} from 'node:url'

import type {Sql, TransactionSql} from 'postgres'

import {type AuditEntry, writeAudit, writeAudits} from './audit.js'
import type {Context} from './context.js'
import {timeoutError} from './driver-errors.js'
import {type AppliedMigration, type LedgerOwner, loadMigrations, type Migration, pendingMigrations, toRevert} from './db/migrations.js'
import {splitStatements, type Statement} from './db/sql-scan.js'
import {isDistributed} from './db/citus.js'
import {APP_ROLE, ENTER_ROLE, LEAVE_ROLE, leaveTenant, setTenant, setTenantStatement, TENANT_CONTEXT, TENANT_SETTING, tenantContext, type TenantContextRow} from './db/tenant-context.js'
import {openTenantLogin, type TenantLogin} from './db/tenant-login.js'
import {AppError} from './errors.js'
import type {OnProgress} from './progress.js'
import {findTenant, tenantNotFound} from './tenant-ref.js'

export const TENANT_MIGRATIONS_DIR = fileURLToPath(new URL('../../sql/tenant/', import.meta.url))

export const loadTenantMigrations = (dir = TENANT_MIGRATIONS_DIR) => loadMigrations(dir)

const PRESENT_IF = /^--\s*present-if:\s*(.+)$/m
const presentIf = (m: Migration) => PRESENT_IF.exec(m.up)?.[1]?.trim()
const presentIfQuery = (check: string) => `select (${check}) as present`

const fileName = (m: Migration, kind: 'up' | 'down') => `${String(m.version).padStart(4, '0')}_${m.name}.${kind}.sql`

/** What a tenant migration may hold: statements on data, run as the application role. */
const DATA_STATEMENTS = new Set(['select', 'insert', 'update', 'delete', 'merge', 'with', 'values', 'table', 'lock'])
const TRANSACTION_CONTROL = new Set(['begin', 'start', 'commit', 'end', 'rollback', 'abort', 'savepoint', 'release'])
/** what the run keeps for itself: a script's login may write the ledger, the script may not */
const RUN_OWN = new Set(['tenant_migrations'])
/** functions that change the role or a setting (the tenant is one), or run SQL text the check cannot see */
const ESCAPING_FUNCTIONS = new Set([
  'set_config', 'query_to_xml', 'query_to_xmlschema', 'query_to_xml_and_xmlschema', 'ts_stat', 'ts_rewrite',
  'dblink', 'dblink_exec', 'dblink_open', 'dblink_send_query',
])

/** Why this statement may not run in a tenant migration, or undefined when it may. */
function forbidden(statement: Statement): string | undefined {
  const [first, second] = statement.tokens
  const word = first?.kind === 'word' ? first.text : undefined
  const next = second?.kind === 'word' ? second.text : undefined
  if (word && (TRANSACTION_CONTROL.has(word) || (word === 'prepare' && next === 'transaction'))) {
    return "ends or splits the tenant's transaction: what follows would run outside it, as the connecting role, for every tenant"
  }
  if (word === 'set' && next === 'constraints') return undefined
  if (word === 'set' || word === 'reset' || word === 'discard') return "changes the session's role or settings, and the tenant is one of them"
  if (word === 'do') return 'runs procedural code, whose dynamic SQL cannot be checked'
  if (!(word && DATA_STATEMENTS.has(word)) && first?.text !== '(') {
    return 'is not a data statement: a tenant migration holds SELECT, INSERT, UPDATE, DELETE, MERGE, WITH, VALUES, TABLE, LOCK and SET CONSTRAINTS only'
  }
  let depth = 0
  for (const [i, token] of statement.tokens.entries()) {
    const following = statement.tokens[i + 1]
    if (token.text === '(' && token.kind === 'punct') depth++
    else if (token.text === ')' && token.kind === 'punct') depth--
    else if ((token.kind === 'word' || token.kind === 'quoted') && ESCAPING_FUNCTIONS.has(token.text) && following?.kind === 'punct' && following.text === '(') {
      return `calls ${token.text}(), which can change the role or the tenant setting, or run SQL text that cannot be checked`
    } else if ((token.kind === 'word' || token.kind === 'quoted') && RUN_OWN.has(token.text)) {
      return `names ${token.text}, which the run writes itself (the ledger)`
    } else if (token.kind === 'word' && token.text === 'into' && depth === 0 && !['insert', 'merge'].includes(statement.tokens[i - 1]?.text ?? '')) {
      return 'creates a table (SELECT ... INTO)'
    }
  }
  return undefined
}

interface ScriptProblem {
  file: string
  line: number
  statement: string
  reason: string
}

const problemsIn = (file: string, sql: string, lineOffset = 0): ScriptProblem[] =>
  splitStatements(sql).flatMap((s) => {
    const reason = forbidden(s)
    return reason ? [{file, line: s.line + lineOffset, statement: s.text.replaceAll(/\s+/g, ' ').slice(0, 120), reason}] : []
  })

/**
 * Refuse the whole set when any script could leave its tenant: checked before
 * any tenant is touched, so a refused file changes nothing anywhere.
 */
export function checkTenantScripts(files: Migration[]): void {
  const problems: ScriptProblem[] = []
  for (const m of files) {
    const up = problemsIn(fileName(m, 'up'), m.up)
    const check = presentIf(m)
    if (check !== undefined) {
      const line = m.up.slice(0, PRESENT_IF.exec(m.up)!.index).split('\n').length
      const query = presentIfQuery(check)
      up.push(...problemsIn(fileName(m, 'up'), query, line - 1))
      if (splitStatements(query).length !== 1) up.push({file: fileName(m, 'up'), line, statement: `-- present-if: ${check}`, reason: 'holds more than one expression'})
    }
    problems.push(...up.sort((a, b) => a.line - b.line))
    if (m.down !== undefined) problems.push(...problemsIn(fileName(m, 'down'), m.down))
  }
  const [first] = problems
  if (!first) return
  throw new AppError('TENANT_MIGRATION_FORBIDDEN', `${first.file}, line ${first.line}: "${first.statement}" ${first.reason}.${problems.length > 1 ? ` (${problems.length - 1} more problem(s) in details.)` : ''} No tenant was migrated.`, {
    line: first.line,
    details: {file: first.file, line: first.line, statement: first.statement, problems},
    suggestions: [
      "Keep a tenant migration to data statements on the tenant's rows; the role and the tenant are set for it.",
      'Put schema changes, grants and procedural code in a schema migration (sql/migrations).',
    ],
  })
}

/** Who runs a run's scripts: its login, and whether a script switches to the application role (TenantLogin); whether it is on Citus. */
interface Confinement {
  login: string
  switchRole: boolean
  citus: boolean
}

/** The role a script of this run runs as. */
const scriptRole = (conf: Confinement) => (conf.switchRole ? APP_ROLE : conf.login)

/** After a script, still in its transaction: the role, login and tenant must be those it was given. */
function assertStillConfined(now: TenantContextRow | undefined, tenant: {id: string; subdomain: string}, conf: Confinement, file: string): void {
  if (now?.role === scriptRole(conf) && now.login === conf.login && now.tenant === tenant.id) return
  throw new AppError('TENANT_MIGRATION_ESCAPED', `${file} left the context of tenant ${tenant.subdomain} (role ${now?.role}, login ${now?.login}, tenant ${now?.tenant || 'none'}); its transaction was rolled back, nothing of it was kept.`, {
    details: {file, tenant: tenant.subdomain, ...now},
    suggestions: ['Remove what changes the role or the tenant setting from the script.'],
  })
}

/**
 * A script as sent: on Citus with RETURNING on every INSERT statement without
 * it. Citus writes the rows of an INSERT ... SELECT it cannot push down to the
 * shards with COPY, which row-level security refuses (the script's role is
 * subject to it); with RETURNING it writes them with an INSERT ... SELECT on
 * each shard, which the policy checks. A data-modifying CTE in a SELECT is
 * left as written.
 */
function throughShards(script: string, conf: Confinement): string {
  if (!conf.citus) return script
  const inserts = (s: Statement) => {
    let depth = 0
    const top: string[] = []
    for (const token of s.tokens) {
      if (token.kind === 'punct' && token.text === '(') depth++
      else if (token.kind === 'punct' && token.text === ')') depth--
      else if (depth === 0 && token.kind === 'word') top.push(token.text)
    }
    const main = top.find((w) => ['insert', 'select', 'update', 'delete', 'merge', 'values', 'table'].includes(w))
    return main === 'insert' && !top.includes('returning')
  }
  return splitStatements(script).map((s) => (inserts(s) ? `${s.text}\nreturning 1` : s.text)).join(';\n')
}

/** Run a script of this tenant's (whose tenant is set), check it stayed in its context, and go back to the login's role. */
async function runConfined<T extends object>(tx: TransactionSql, tenant: {id: string; subdomain: string}, conf: Confinement, file: string, script: string): Promise<T[]> {
  // postgres.js sends a query when it is awaited: in this order, pipelined
  const [, rows, [now]] = await Promise.all([
    conf.switchRole ? tx.unsafe(ENTER_ROLE) : undefined, tx.unsafe<T[]>(throughShards(script, conf)), tenantContext(tx), conf.switchRole ? leaveTenant(tx) : undefined,
  ])
  assertStillConfined(now, tenant, conf, file)
  return rows
}

/** A string constant for SQL text (E'' with quotes and backslashes doubled, whatever standard_conforming_strings says). */
const literal = (text: string) => `E'${text.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`

/**
 * The statement taking a tenant's row lock (as other changes to a tenant do) on
 * the login itself, by id so that Citus routes it to one shard: `locked` true,
 * or no row for a tenant deleted meanwhile. Row-level security lets the login
 * see (and lock) that one row, and only while the tenant is set
 * (0013_tenant_lock_by_login).
 */
const lockStatement = (tenantId: string) => `select true as locked from tenants where id = ${literal(tenantId)}::uuid for update`

/**
 * Set the tenant and take its row lock (as other changes to a tenant do), on
 * the confined login, pipelined; a tenant deleted meanwhile is not found.
 */
async function lockAs(tx: TransactionSql, tenant: {id: string; subdomain: string}): Promise<void> {
  const [, [row]] = await Promise.all([setTenant(tx, tenant.id), tx.unsafe<{locked: boolean}[]>(lockStatement(tenant.id))])
  if (!row?.locked) throw tenantNotFound(tenant.subdomain)
}

export interface LedgerRow extends AppliedMigration {
  faked: boolean
}

export interface TenantMigrationResult {
  tenantId: string
  subdomain: string
  applied: {version: number; name: string; durationMs: number; faked: boolean}[]
  reverted: {version: number; name: string}[]
  pending: {version: number; name: string}[]
  durationMs: number
  warnings: string[]
}

export interface MigrateOptions {
  /** list pending, change nothing */
  plan?: boolean
  /** record the initial migration as applied when its effects are present */
  fakeInitial?: boolean
  /** revert the last applied migration, or down to `to` */
  backwards?: boolean
  to?: number
  files?: Migration[]
}

/** One tenant's ledger (`to acme`), or every tenant's at once (`to some tenants`). */
const tenantLedger = (subdomain?: string): LedgerOwner => ({
  what: 'Tenant migration', where: subdomain ? `to ${subdomain}` : 'to some tenants', instead: 'a new tenant migration',
  missing: 'TENANT_MIGRATION_MISSING', edited: 'TENANT_MIGRATION_CHECKSUM_MISMATCH',
})

const ledgerOf = (tx: Sql | TransactionSql, tenantId: string) =>
  tx<LedgerRow[]>`select version, name, checksum, applied_at, duration_ms, faked from tenant_migrations where tenant_id = ${tenantId} order by version`

/** A tenant's ledger and the files not applied to it yet, after the ledger check (schema migrations have the same one). */
async function checkedLedger(tx: Sql | TransactionSql, tenant: {id: string; subdomain: string}, files: Migration[]): Promise<{ledger: LedgerRow[]; pending: Migration[]}> {
  const ledger = await ledgerOf(tx, tenant.id)
  return {ledger, pending: pendingMigrations(ledger, files, tenantLedger(tenant.subdomain))}
}

/** The tenant migrations not applied to this tenant yet; TENANT_MIGRATION_MISSING or _CHECKSUM_MISMATCH when its ledger disagrees with the files. */
export async function pendingTenantMigrations(sql: Sql, tenant: {id: string; subdomain: string}, files?: Migration[]): Promise<Migration[]> {
  return (await checkedLedger(sql, tenant, files ?? (await loadTenantMigrations()))).pending
}

/**
 * How this run's scripts are confined. On Citus the login must be one made for
 * the run: the connecting role's switch to the application role (a second role
 * in the transaction) is refused there.
 */
async function confinement(sql: Sql, runner: TenantLogin): Promise<Confinement> {
  const citus = await isDistributed(sql)
  if (citus && runner.switchRole) {
    throw new AppError('TENANT_MIGRATION_LOGIN_REQUIRED', `On Citus, tenant migrations run on a login made for the run (one role a transaction), and this run has none: it would run as ${runner.login}, switching to the application role. No tenant was migrated.`, {
      details: {login: runner.login, why: runner.warning},
      suggestions: ['Connect as a role that may create roles (CREATEROLE), on a server whose pg_hba.conf accepts password (scram-sha-256) logins from this host.'],
    })
  }
  return {login: runner.login, switchRole: runner.switchRole, citus}
}

/** Apply, fake, plan or revert this tenant's migrations; each step is one transaction. */
export async function migrateTenant(sql: Sql, tenantRef: string, options: MigrateOptions, ctx: Context): Promise<TenantMigrationResult> {
  const files = options.files ?? (await loadTenantMigrations())
  checkTenantScripts(files)
  const started = performance.now()
  const tenant = await findTenant(sql, tenantRef)
  const result: TenantMigrationResult = {tenantId: tenant.id, subdomain: tenant.subdomain, applied: [], reverted: [], pending: [], durationMs: 0, warnings: []}
  if (options.plan) {
    result.pending = (await checkedLedger(sql, tenant, files)).pending.map(({version, name}) => ({version, name}))
    result.durationMs = Math.round(performance.now() - started)
    return result
  }
  const runner = await openTenantLogin(sql, 1)
  if (runner.warning) result.warnings.push(runner.warning)
  try {
    const conf = await confinement(sql, runner)
    for (;;) {
      const more = await runner.sql.begin(async (tx) => {
        await lockAs(tx, tenant)
        const {ledger, pending} = await checkedLedger(tx, tenant, files)
        result.pending = pending.map(({version, name}) => ({version, name}))
        if (options.backwards) {
          // one a transaction: the newest of those toRevert names (the last one only, without --to)
          const last = options.to === undefined && result.reverted.length > 0 ? undefined : toRevert(ledger, options.to)[0]
          if (!last) return false
          const file = files.find((m) => m.version === last.version)!
          if (file.down === undefined) throw new AppError('TENANT_MIGRATION_IRREVERSIBLE', `Tenant migration ${file.version} (${file.name}) has no down script.`)
          await runConfined(tx, tenant, conf, fileName(file, 'down'), file.down)
          await tx`delete from tenant_migrations where tenant_id = ${tenant.id} and version = ${file.version}`
          await writeAudit(tx, {actor: ctx.actor, action: 'tenant.migrate', tenantId: tenant.id, subject: tenant.subdomain, arguments: {reverted: file.version}})
          result.reverted.push({version: file.version, name: file.name})
          return true
        }
        const next = pending[0]
        if (!next) return false
        const began = performance.now()
        let faked = false
        const check = presentIf(next)
        if (options.fakeInitial && next === files[0]) {
          if (!check) throw new AppError('FAKE_INITIAL_UNSUPPORTED', `Tenant migration ${next.version} (${next.name}) declares no present-if check, so it cannot be faked.`)
          const [row] = await runConfined<{present: boolean}>(tx, tenant, conf, fileName(next, 'up'), presentIfQuery(check))
          if (!row?.present) {
            throw new AppError('FAKE_INITIAL_NOT_PRESENT', `The effects of tenant migration ${next.version} (${next.name}) are not present in ${tenant.subdomain}; run it without --fake-initial.`)
          }
          faked = true
        } else {
          await runConfined(tx, tenant, conf, fileName(next, 'up'), next.up)
        }
        const durationMs = Math.round(performance.now() - began)
        await tx`insert into tenant_migrations (tenant_id, version, name, checksum, duration_ms, faked)
          values (${tenant.id}, ${next.version}, ${next.name}, ${next.checksum}, ${durationMs}, ${faked})`
        await writeAudit(tx, {actor: ctx.actor, action: 'tenant.migrate', tenantId: tenant.id, subject: tenant.subdomain, arguments: {version: next.version, faked}})
        result.applied.push({version: next.version, name: next.name, durationMs, faked})
        return true
      })
      if (!more) break
    }
  } finally {
    await runner.close()
  }
  result.durationMs = Math.round(performance.now() - started)
  return result
}

export interface MigrateAllOptions {
  concurrency?: number
  /** tenants per transaction, each under savepoints of its own (1: a transaction per tenant, as always on Citus); DEFAULT_BATCH_SIZE */
  batchSize?: number
  continueOnError?: boolean
  /** only tenants whose last migrate attempt failed */
  onlyFailed?: boolean
  plan?: boolean
  files?: Migration[]
  /** phase migrate, per tenant: tenants done (rows) of those pending, counts migrated and failed */
  onProgress?: OnProgress
}

/**
 * Tenants migrated in one transaction by default: enough that a commit is
 * rare, few enough that the tenants' row locks are held briefly and the
 * transaction's subtransactions (one per tenant migration that writes) stay
 * within the 64 PostgreSQL keeps in shared memory before other sessions'
 * snapshots slow down.
 */
export const DEFAULT_BATCH_SIZE = 50

export interface TenantOutcome {
  subdomain: string
  tenantId: string
  status: 'migrated' | 'pending' | 'failed' | 'skipped'
  applied: number[]
  durationMs: number
  error?: {code: string; message: string}
}

export interface MigrateAllResult {
  tenants: number
  pending: number
  migrated: number
  failed: number
  skipped: number
  outcomes: TenantOutcome[]
  durationMs: number
  warnings: string[]
}

interface PendingTenant {
  id: string
  subdomain: string
  applied: number[]
}

/** What a batch did to one of its tenants: the migrations it applied and their times, or why it failed, or nothing (skipped). */
interface TenantRun {
  tenant: PendingTenant
  todo: Migration[]
  applied: {migration: Migration; durationMs: number}[]
  error?: unknown
  skipped?: boolean
}

/** Settings a batch's transaction keeps for its statements: when the tenant migration running began (for its ledger row's duration_ms), and the actor. */
const BEGAN_SETTING = 'anthias.migration_began'
const ACTOR_SETTING = 'anthias.actor'

/** Whether a run goes on after a failure, and whether one has stopped it. */
interface RunState {
  continueOnError: boolean
  stopped: boolean
}

/** One tenant migration of a batch, and the run of its tenant. */
interface Unit {
  run: TenantRun
  migration: Migration
}

/**
 * A tenant migration as the three messages a batch pipelines (simple protocol,
 * several statements each). The first opens its savepoint and sets the tenant.
 * The second notes when it began, takes the tenant's row lock (as other changes
 * to a tenant do; no `locked` row when the tenant was deleted meanwhile),
 * enters the application role when the login is the connecting role, then runs the
 * script, last, so that no statement of ours follows it in its message. The
 * third reads where the script left the transaction, goes back to the login's
 * role, and writes the ledger row and the audit row (`took`: the ledger row's
 * duration_ms).
 */
function unitMessages({run: {tenant}, migration}: Unit, savepoint: string, conf: Confinement): [string, string, string] {
  // the tenant set in a message of its own, last in it: on Citus a SET LOCAL followed by a distributed
  // query in one message fails ("cannot execute a distributed query from a query on a shard")
  const enter = `savepoint ${savepoint};\n${setTenantStatement(tenant.id)}`
  const run = [
    `select set_config('${BEGAN_SETTING}', clock_timestamp()::text, true) as began`,
    lockStatement(tenant.id),
    ...(conf.switchRole ? [ENTER_ROLE] : []),
  ]
  // none when the script left its tenant: the check before them says so (TENANT_MIGRATION_ESCAPED), not
  // row-level security. Two statements, not one with a data-modifying CTE: on Citus the ledger is
  // distributed and the audit trail on the coordinator, and the CTE ran the audit's part on a shard
  const stayed = `where current_setting('${TENANT_SETTING}', true) = ${literal(tenant.id.toLowerCase())}`
  const record = [
    `insert into tenant_migrations (tenant_id, version, name, checksum, duration_ms)
      select ${literal(tenant.id)}::uuid, ${migration.version}, ${literal(migration.name)}, ${literal(migration.checksum)},
        extract(epoch from clock_timestamp() - current_setting('${BEGAN_SETTING}')::timestamptz) * 1000
      ${stayed}
      returning duration_ms as took`,
    `insert into audit_log (tenant_id, actor, action, subject, arguments, outcome)
      select ${literal(tenant.id)}::uuid, current_setting('${ACTOR_SETTING}'), 'tenant.migrate', ${literal(tenant.subdomain)},
        ${literal(JSON.stringify({version: migration.version, faked: false}))}::jsonb, 'success'
      ${stayed}`,
  ]
  return [enter, `${run.join(';\n')};\n${throughShards(migration.up, conf)}`, [TENANT_CONTEXT, ...(conf.switchRole ? [LEAVE_ROLE] : []), ...record].join(';\n')]
}

/** The rows of a simple-protocol reply, every statement's together (postgres.js gives one statement's rows unnested). */
const replyRows = (reply: unknown): Record<string, unknown>[] => {
  const results = reply as unknown[]
  return results.every((r) => Array.isArray(r)) ? (results as Record<string, unknown>[][]).flat() : (results as Record<string, unknown>[])
}

/**
 * What the three messages of a tenant migration answered: its ledger row's
 * duration, or why it failed (an error, the tenant gone, or the script left its tenant).
 */
function recorded([entered, ran, wrote]: PromiseSettledResult<unknown>[], tenant: PendingTenant, conf: Confinement, migration: Migration): number {
  if (entered!.status === 'rejected') throw entered!.reason
  if (ran!.status === 'rejected') throw ran!.reason
  // the lock's row comes first: rows of the script come after it
  if (replyRows(ran!.value).find((r) => 'locked' in r)?.locked !== true) throw tenantNotFound(tenant.subdomain)
  if (wrote!.status === 'rejected') throw wrote!.reason
  const rows = replyRows(wrote!.value)
  assertStillConfined(rows.find((r) => 'role' in r) as TenantContextRow | undefined, tenant, conf, fileName(migration, 'up'))
  const took = rows.find((r) => 'took' in r)?.took
  if (took === undefined) throw new Error(`No ledger row was written for ${tenant.subdomain}.`)
  return Math.round(Number(took))
}

/**
 * A batch of tenants in one transaction on a reserved connection of the
 * confined login, every tenant migration under a savepoint of its own nested
 * in the one before, all sent at once (unitMessages: two messages each, no
 * reply awaited in between), read back in order. The first that failed (an
 * error, the tenant deleted meanwhile, a script that left its tenant) is rolled
 * back to its savepoint, which undoes it and everything sent after it, not what
 * came before; its tenant is not migrated further, and the units after it are
 * sent again (or, when the failure stops the run, skipped). One commit keeps
 * the batch: a tenant's migrations and its ledger rows commit together or not
 * at all, and a run killed before it leaves the batch untouched. When the
 * transaction itself fails (its commit, its connection) each of its tenants is
 * run again in a transaction of its own.
 */
async function migrateBatch(runner: TenantLogin, conf: Confinement, batch: PendingTenant[], files: Migration[], state: RunState, ctx: Context): Promise<TenantRun[]> {
  const runs: TenantRun[] = batch.map((tenant) => ({tenant, todo: files.filter((m) => !tenant.applied.includes(m.version)), applied: []}))
  let todo: Unit[] = runs.flatMap((run) => run.todo.map((migration) => ({run, migration})))
  const conn = await runner.sql.reserve()
  try {
    await conn.unsafe('begin')
    await conn`select set_config(${ACTOR_SETTING}, ${ctx.actor}, true)`
    let savepoints = 0
    while (todo.length > 0 && !state.stopped) {
      const names = todo.map(() => `u${savepoints++}`)
      // queued in this order, answered in this order: after a failure, each later one answers 25P02 (the transaction is aborted)
      const replies = await Promise.allSettled(todo.flatMap((unit, i) => unitMessages(unit, names[i]!, conf).map((text) => conn.unsafe(text))))
      let failed = -1
      for (const [i, unit] of todo.entries()) {
        try {
          unit.run.applied.push({migration: unit.migration, durationMs: recorded(replies.slice(3 * i, 3 * i + 3), unit.run.tenant, conf, unit.migration)})
        } catch (error) {
          unit.run.error = error
          if (!state.continueOnError) state.stopped = true
          failed = i
          break
        }
      }
      if (failed < 0) break
      await conn.unsafe(`rollback to savepoint ${names[failed]}`)
      todo = todo.slice(failed + 1).filter((u) => u.run.error === undefined)
    }
    for (const run of runs) if (state.stopped && run.error === undefined && run.applied.length === 0) run.skipped = true
    // an aborted transaction's COMMIT answers ROLLBACK
    if ((await conn.unsafe('commit')).command === 'ROLLBACK') throw new Error('the batch transaction was rolled back')
  } catch (error) {
    await conn.unsafe('rollback').catch(() => undefined)
    if (batch.length === 1) {
      if (!state.continueOnError) state.stopped = true
      return [{...runs[0]!, applied: [], error: runs[0]!.error ?? error, skipped: false}]
    }
    const alone: TenantRun[] = []
    for (const run of runs) alone.push(...(state.stopped ? [{...run, applied: [], skipped: true}] : await migrateBatch(runner, conf, [run.tenant], files, state, ctx)))
    return alone
  } finally {
    conn.release()
  }
  return runs
}

/**
 * Every tenant with pending migrations, found in one query with every distinct
 * applied migration, which the ledger check reads as one ledger; the tenants
 * migrated in batches (migrateBatch), each on its own, so a failure never
 * touches another.
 */
export async function migrateAllTenants(sql: Sql, options: MigrateAllOptions, ctx: Context): Promise<MigrateAllResult> {
  const started = performance.now()
  const files = options.files ?? (await loadTenantMigrations())
  checkTenantScripts(files)
  const [row] = await sql<{tenants: number; applied: {version: number; name: string; checksum: string}[] | null; pending: {id: string; subdomain: string; applied: number[]}[] | null}[]>`
    with expected as (
      select * from unnest(${files.map((m) => m.version)}::int[]) as e(version)
    ), ledger as (
      select tenant_id, count(*) filter (where exists (select 1 from expected e where e.version = m.version)) as done
      from tenant_migrations m group by tenant_id
    ), failed as (
      select distinct on (tenant_id) tenant_id, outcome from audit_log
      where action = 'tenant.migrate' and ${options.onlyFailed ?? false} order by tenant_id, id desc
    )
    select
      (select count(*)::int from tenants) as tenants,
      (select json_agg(json_build_object('version', m.version, 'name', m.name, 'checksum', m.checksum) order by m.version)
        from (select distinct version, name, checksum from tenant_migrations) m) as applied,
      (select json_agg(json_build_object('id', t.id, 'subdomain', t.subdomain,
          'applied', coalesce((select array_agg(m.version) from tenant_migrations m where m.tenant_id = t.id), '{}')) order by t.subdomain)
        from tenants t left join ledger l on l.tenant_id = t.id
        where coalesce(l.done, 0) < ${files.length}
          and (not ${options.onlyFailed ?? false} or exists (select 1 from failed f where f.tenant_id = t.id and f.outcome = 'failure'))) as pending`
  pendingMigrations(row?.applied ?? [], files, tenantLedger())
  const pending = row?.pending ?? []
  const result: MigrateAllResult = {tenants: row?.tenants ?? 0, pending: pending.length, migrated: 0, failed: 0, skipped: 0, outcomes: [], durationMs: 0, warnings: []}
  if (options.plan || pending.length === 0) {
    result.outcomes = pending.map((t) => ({subdomain: t.subdomain, tenantId: t.id, status: 'pending', applied: [], durationMs: 0}))
    result.durationMs = Math.round(performance.now() - started)
    return result
  }
  const concurrency = Math.max(1, options.concurrency ?? 4)
  const runner = await openTenantLogin(sql, concurrency)
  if (runner.warning) result.warnings.push(runner.warning)
  let conf: Confinement
  try {
    conf = await confinement(sql, runner)
  } catch (error) {
    await runner.close()
    throw error
  }
  // on Citus a transaction sets one tenant (the shards keep the first)
  const batchSize = conf.citus ? 1 : Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE)
  let next = 0
  const state: RunState = {continueOnError: options.continueOnError ?? false, stopped: false}
  options.onProgress?.({phase: 'migrate', rows: 0, totalRows: pending.length, counts: {migrated: 0, failed: 0}})
  const worker = async () => {
    while (next < pending.length) {
      const batch = pending.slice(next, (next += batchSize))
      const began = performance.now()
      const runs = state.stopped ? batch.map((tenant): TenantRun => ({tenant, todo: [], applied: [], skipped: true})) : await migrateBatch(runner, conf, batch, files, state, ctx)
      // each tenant's outcome once its transaction has ended; its failure recorded as a failed attempt
      const failures: AuditEntry[] = []
      for (const {tenant, applied, error, skipped} of runs) {
        if (skipped) {
          result.outcomes.push({subdomain: tenant.subdomain, tenantId: tenant.id, status: 'skipped', applied: [], durationMs: 0})
          result.skipped++
        } else if (error === undefined) {
          result.outcomes.push({subdomain: tenant.subdomain, tenantId: tenant.id, status: 'migrated', applied: applied.map((a) => a.migration.version), durationMs: applied.reduce((n, a) => n + a.durationMs, 0)})
          result.migrated++
        } else {
          const e = (timeoutError(error, `Tenant ${tenant.subdomain}`, {command: 'tenant.migrate', args: {all: true, onlyFailed: true}}) ?? error) as AppError & {code?: string}
          result.outcomes.push({subdomain: tenant.subdomain, tenantId: tenant.id, status: 'failed', applied: [], durationMs: Math.round(performance.now() - began), error: {code: e.code ?? 'MIGRATION_FAILED', message: e.message}})
          result.failed++
          failures.push({actor: ctx.actor, action: 'tenant.migrate', tenantId: tenant.id, subject: tenant.subdomain, outcome: 'failure', errorCode: String(e.code ?? 'MIGRATION_FAILED'), arguments: {message: e.message}})
        }
        options.onProgress?.({phase: 'migrate', rows: result.outcomes.length, totalRows: pending.length, counts: {migrated: result.migrated, failed: result.failed}})
      }
      if (failures.length > 0) await writeAudits(sql, failures).catch(() => undefined)
    }
  }
  try {
    await Promise.all(Array.from({length: concurrency}, worker))
  } finally {
    await runner.close()
  }
  result.outcomes.sort((a, b) => (a.subdomain < b.subdomain ? -1 : 1))
  result.durationMs = Math.round(performance.now() - started)
  return result
}

/**
 * The error a migrate-all run amounts to, if any tenant failed: MIGRATE_PARTIAL
 * when it kept going past failures (`continueOnError`), else MIGRATE_FAILED.
 */
export function migrateAllOutcome(result: MigrateAllResult, continueOnError: boolean): AppError | undefined {
  if (result.failed === 0) return undefined
  return new AppError(continueOnError ? 'MIGRATE_PARTIAL' : 'MIGRATE_FAILED', `${result.failed} tenant(s) failed to migrate; see result.outcomes.`, {
    suggestions: [{command: 'tenant.migrate', args: {all: true, onlyFailed: true}, text: 'Fix the cause and run `{command}`.'}],
  })
}
