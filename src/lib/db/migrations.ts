/**
 * Plain SQL schema migrations from sql/migrations: NNNN_name.up.sql with an
 * optional NNNN_name.down.sql. Each is applied in its own transaction under an
 * advisory lock and recorded with the SHA-256 of its up script; an applied
 * migration whose file changed afterwards is an error.
 */
import {readdir, readFile, stat} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'

import type {Sql, TransactionSql} from 'postgres'

import {AppError} from '../errors.js'
import {sha256} from '../secrets.js'
import {createRolesOnWorkers, type DistributedTable, distributeTables, isDistributed} from './citus.js'
import {splitStatements} from './sql-scan.js'
import {SCHEMA_ROLES} from './tenant-context.js'

export const SCHEMA_MIGRATIONS_DIR = fileURLToPath(new URL('../../../sql/migrations/', import.meta.url))
/** Written by `npm run build` (scripts/migration-manifest.js): SCHEMA_MIGRATIONS_DIR's files and checksums then. */
export const SCHEMA_MIGRATIONS_MANIFEST = fileURLToPath(new URL('./schema-migrations.json', import.meta.url))
const LEDGER = 'anthias_schema_migrations'
/** pg_advisory_xact_lock key: 'anth' 'sche' */
const LOCK_KEY = 0x616e_7468_7363_6865n
const UNDEFINED_TABLE = '42P01'

export interface Migration {
  version: number
  name: string
  checksum: string
  up: string
  down?: string
}

export interface AppliedMigration {
  version: number
  name: string
  checksum: string
  appliedAt: Date
  durationMs: number
}

export interface MigrationStatus {
  applied: AppliedMigration[]
  pending: Migration[]
  /** the highest applied version, 0 for an empty database */
  schemaVersion: number
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.(up|down)\.sql$/

export async function loadMigrations(dir = SCHEMA_MIGRATIONS_DIR): Promise<Migration[]> {
  const byVersion = new Map<number, Partial<Migration> & {version: number}>()
  for (const file of (await readdir(dir)).sort()) {
    const match = FILE.exec(file)
    if (!match) continue
    const version = Number(match[1])
    const text = await readFile(`${dir}/${file}`, 'utf8')
    const entry = byVersion.get(version) ?? {version, name: match[2]}
    if (match[3] === 'up') Object.assign(entry, {up: text, checksum: sha256(text)})
    else entry.down = text
    byVersion.set(version, entry)
  }
  return [...byVersion.values()]
    .map((m) => {
      if (m.up === undefined) throw new AppError('MIGRATION_INVALID', `Migration ${m.version} has a down script but no up script.`)
      return m as Migration
    })
    .sort((a, b) => a.version - b.version)
}

/** Every file of a migrations directory as it was when the checksums were taken, and the checksums. */
export interface MigrationManifest {
  files: {file: string; size: number; mtimeMs: number}[]
  migrations: Pick<Migration, 'version' | 'name' | 'checksum'>[]
}

const listing = async (dir: string) =>
  Promise.all((await readdir(dir)).sort().map(async (file) => {
    const {size, mtimeMs} = await stat(`${dir}/${file}`)
    return {file, size, mtimeMs}
  }))

/** The manifest of `dir` now (the build writes SCHEMA_MIGRATIONS_MANIFEST with it). */
export async function migrationManifest(dir = SCHEMA_MIGRATIONS_DIR): Promise<MigrationManifest> {
  const [files, migrations] = await Promise.all([listing(dir), loadMigrations(dir)])
  return {files, migrations: migrations.map(({version, name, checksum}) => ({version, name, checksum}))}
}

/**
 * The checksums in the manifest at `path`, when `dir` still holds exactly the files it lists,
 * each with the same size and modification time; else (no manifest, a file added, removed or
 * touched) undefined, and the files are to be read and hashed.
 */
export async function manifestChecksums(dir = SCHEMA_MIGRATIONS_DIR, path = SCHEMA_MIGRATIONS_MANIFEST): Promise<MigrationManifest['migrations'] | undefined> {
  const [manifest, files] = await Promise.all([
    readFile(path, 'utf8').then((text) => JSON.parse(text) as MigrationManifest, () => undefined),
    listing(dir),
  ])
  const same = manifest?.files.length === files.length &&
    manifest.files.every((f, i) => f.file === files[i]!.file && f.size === files[i]!.size && f.mtimeMs === files[i]!.mtimeMs)
  return same ? manifest.migrations : undefined
}

/**
 * A migration script, one statement a message: on Citus, DDL on a distributed
 * table sent with other statements in one message is refused ("cannot insert
 * multiple commands into a prepared statement").
 */
async function runScript(tx: TransactionSql, script: string): Promise<void> {
  for (const {text} of splitStatements(script)) await tx.unsafe(text)
}

/** Whose ledger is checked, in the words and codes of its errors: the schema's, or one tenant's. */
export interface LedgerOwner {
  /** 'Schema migration', 'Tenant migration' */
  what: string
  /** where its migrations are applied: 'in the database', 'to acme' */
  where: string
  /** where a change goes instead: 'a new migration' */
  instead: string
  missing: 'MIGRATION_MISSING' | 'TENANT_MIGRATION_MISSING'
  edited: 'MIGRATION_CHECKSUM_MISMATCH' | 'TENANT_MIGRATION_CHECKSUM_MISMATCH'
}

const SCHEMA_LEDGER: LedgerOwner = {what: 'Schema migration', where: 'in the database', instead: 'a new migration', missing: 'MIGRATION_MISSING', edited: 'MIGRATION_CHECKSUM_MISMATCH'}

/**
 * The one ledger check, for schema and tenant migrations alike: every applied
 * migration still has its file, unchanged (the same SHA-256). Returns the files
 * not applied yet, in version order.
 */
export function pendingMigrations(applied: Pick<AppliedMigration, 'version' | 'name' | 'checksum'>[], files: Migration[], owner: LedgerOwner): Migration[] {
  const byVersion = new Map(files.map((m) => [m.version, m]))
  for (const row of applied) {
    const file = byVersion.get(row.version)
    if (!file) {
      throw new AppError(owner.missing, `${owner.what} ${row.version} (${row.name}) is applied ${owner.where} but its file is missing.`, {
        suggestions: ['Use the anthias version that applied it, or restore the file.'],
      })
    }
    if (file.checksum !== row.checksum) {
      throw new AppError(
        owner.edited,
        `${owner.what} ${row.version} (${row.name}) was edited after it was applied (checksum ${row.checksum.slice(0, 12)} in the database, ${file.checksum.slice(0, 12)} on disk).`,
        {suggestions: [`Restore the original file and put the change in ${owner.instead}.`]},
      )
    }
  }
  const done = new Set(applied.map((r) => r.version))
  return files.filter((m) => !done.has(m.version))
}

const verify = (applied: AppliedMigration[], files: Migration[]) => pendingMigrations(applied, files, SCHEMA_LEDGER)

/**
 * The applied migrations, or undefined before the first migration made the ledger: one
 * statement, the first of every command (it is also the check that the database answers).
 * Inside a transaction the ledger always exists (locked() makes it), so the undefined
 * table never aborts one.
 */
async function readLedger(sql: Sql | TransactionSql): Promise<AppliedMigration[] | undefined> {
  try {
    return await sql<AppliedMigration[]>`
      select version, name, checksum, applied_at, duration_ms from ${sql(LEDGER)} order by version`
  } catch (error) {
    if ((error as {code?: string}).code === UNDEFINED_TABLE) return undefined
    throw error
  }
}

export async function migrationStatus(sql: Sql, files?: Migration[]): Promise<MigrationStatus> {
  const all = files ?? (await loadMigrations())
  const applied = (await readLedger(sql)) ?? []
  const pending = verify(applied, all)
  return {applied, pending, schemaVersion: applied.at(-1)?.version ?? 0}
}

async function locked<T>(sql: Sql, fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
  return sql.begin(async (tx) => {
    // a schema change may take long on a big database; waiting for locks is still bounded
    await tx`set local statement_timeout = 0`
    // on Citus, triggers on distributed tables are created on their shards (a placeholder setting elsewhere)
    await tx`set local citus.enable_unsafe_triggers = on`
    await tx`select pg_advisory_xact_lock(${LOCK_KEY.toString()}::bigint)`
    await tx.unsafe(`create table if not exists ${LEDGER} (
      version integer primary key,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now(),
      duration_ms integer not null
    )`)
    return fn(tx)
  }) as Promise<T>
}

/**
 * Apply every pending migration (up to version `to`), each in its own transaction, and on
 * Citus place the tables (distributeTables): after the last one, or, on a database already
 * distributed, after each one (so the next may refer to a table the last one made). The tables
 * placed are added to `placed`. Returns the migrations applied here. Up to date, it costs one
 * statement: the ledger, compared with the files (which may still be loading: openDatabase
 * reads them while it connects), or with `options.checksums` (manifestChecksums, so the files
 * need not be read): a ledger equal to those, in order, is up to date; anything else is checked
 * against the files themselves.
 */
export async function migrate(
  sql: Sql,
  files?: Migration[] | Promise<Migration[]>,
  options: {to?: number; placed?: DistributedTable[]; checksums?: Promise<MigrationManifest['migrations'] | undefined>} = {},
): Promise<Migration[]> {
  const fast = await readLedger(sql)
  const known = options.to === undefined ? await options.checksums : undefined
  const upToDate = fast && known && fast.length === known.length &&
    known.every((m, i) => fast[i]!.version === m.version && fast[i]!.name === m.name && fast[i]!.checksum === m.checksum)
  if (upToDate) return []
  const all = (await (files ?? loadMigrations())).filter((m) => options.to === undefined || m.version <= options.to)
  if (fast && verify(fast, all).length === 0) return []
  const done: Migration[] = []
  const place = async () => {
    const tables = await distributeTables(sql)
    options.placed?.push(...tables)
  }
  const eachTime = await isDistributed(sql)
  await createRolesOnWorkers(sql, SCHEMA_ROLES)
  for (;;) {
    const applied = await locked(sql, async (tx) => {
      const next = verify((await readLedger(tx)) ?? [], all)[0]
      if (!next) return undefined
      const started = performance.now()
      await runScript(tx, next.up)
      await tx`insert into ${tx(LEDGER)} (version, name, checksum, duration_ms)
        values (${next.version}, ${next.name}, ${next.checksum}, ${Math.round(performance.now() - started)})`
      return next
    })
    if (!applied) {
      if (done.length > 0 && !eachTime) await place()
      return done
    }
    done.push(applied)
    if (eachTime) await place()
  }
}

/** What migrateBackwards would revert, newest first: the last applied one, or all above `to`. */
export function toRevert(applied: AppliedMigration[], to?: number): AppliedMigration[] {
  return applied.filter((m) => (to === undefined ? m === applied.at(-1) : m.version > to)).reverse()
}

/**
 * Revert applied migrations newest first, down to (not including) `to`; the
 * last one only by default. All in one transaction: each down script with its
 * ledger row, and a failure reverts nothing. Down scripts see the version the
 * run goes down to as `anthias.revert_to`.
 */
export async function migrateBackwards(sql: Sql, options: {to?: number} = {}, files?: Migration[]): Promise<Migration[]> {
  const all = files ?? (await loadMigrations())
  const byVersion = new Map(all.map((m) => [m.version, m]))
  return locked(sql, async (tx) => {
    const applied = (await readLedger(tx)) ?? []
    verify(applied, all)
    const reverting = toRevert(applied, options.to)
    await tx`select set_config('anthias.revert_to', ${String(options.to ?? applied.at(-2)?.version ?? 0)}, true)`
    const reverted: Migration[] = []
    for (const last of reverting) {
      const migration = byVersion.get(last.version)
      if (migration?.down === undefined) {
        throw new AppError('MIGRATION_IRREVERSIBLE', `Schema migration ${last.version} (${last.name}) has no down script; nothing was reverted.`)
      }
      try {
        await runScript(tx, migration.down)
      } catch (error) {
        throw new AppError('MIGRATION_DOWN_FAILED', `Reverting schema migration ${last.version} (${last.name}) failed: ${(error as Error).message}. Nothing was reverted.`, {
          cause: error,
          details: {version: last.version, name: last.name},
        })
      }
      await tx`delete from ${tx(LEDGER)} where version = ${last.version}`
      reverted.push(migration)
    }
    return reverted
  })
}
