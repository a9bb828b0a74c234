/**
 * Tenant-scoped backup and restore.
 *
 * A backup is one consistent snapshot (a read-only REPEATABLE READ
 * transaction) of the tenant's rows in every table with a tenant_id column,
 * plus its tenant row and the users of its members, in foreign-key order. The
 * file is plain SQL that psql restores into a database with the schema:
 *
 *   -- anthias tenant backup
 *   -- manifest: {"format":1,"schemaVersion":3,"tenant":{...},"tables":[{"name","columns","rows","sha256"}...]}
 *   BEGIN;
 *   COPY public.tenants (...) FROM stdin;
 *   ...rows in COPY text format...
 *   \.
 *   ...
 *   COMMIT;
 *
 * The SHA-256 of each table is over its data lines. A restore checks the
 * manifest, every checksum and every row's tenant before it writes anything,
 * then loads each table into a staging table and inserts from there in one
 * transaction, the tenant data tables as the application role in the tenant's
 * context (COPY cannot load tables whose RLS applies to the role).
 */
import {createHash, randomUUID} from 'node:crypto'
import {once} from 'node:events'
import {createReadStream, createWriteStream} from 'node:fs'
import {open, rename, rm} from 'node:fs/promises'
import {createInterface} from 'node:readline'
import {Readable} from 'node:stream'
import {finished, pipeline} from 'node:stream/promises'
import {createGunzip, createGzip} from 'node:zlib'

import type {Sql, TransactionSql} from 'postgres'

import {writeAudit} from './audit.js'
import type {Context} from './context.js'
import {migrationStatus} from './db/migrations.js'
import {APP_ROLE, enterTenant, isUuid, leaveTenant} from './db/tenant-context.js'
import {AppError, conflict, ExitCode} from './errors.js'
import {CONTROL_PLANE_TABLES} from './rls.js'
import {tenantTablesChildrenFirst} from './tenant-delete.js'
import {tenantKey, tenantNotFound} from './tenant-ref.js'
import {judgeSubdomain} from './validation.js'

export const BACKUP_FORMAT = 1
const MAGIC = '-- anthias tenant backup'
const MANIFEST = '-- manifest: '
const PREAMBLE = "SET client_encoding = 'UTF8';\nBEGIN;\n"

export interface TableManifest {
  name: string
  columns: string[]
  rows: number
  sha256: string
}

export interface Manifest {
  format: number
  schemaVersion: number
  createdAt: string
  tenant: {id: string; subdomain: string; name: string}
  tables: TableManifest[]
}

/** Tables in the order a restore loads them: tenants, users, then parents before children. */
async function backupTables(sql: Sql | TransactionSql): Promise<string[]> {
  return ['tenants', 'users', ...(await tenantTablesChildrenFirst(sql)).reverse()]
}

async function columnsOf(sql: Sql | TransactionSql, table: string): Promise<string[]> {
  const rows = await sql<{name: string}[]>`
    select column_name as name from information_schema.columns
    where table_schema = current_schema() and table_name = ${table} order by ordinal_position`
  return rows.map((r) => r.name)
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`

/** The rows of `table` that belong to the tenant, as a query (the id is a checked uuid). */
function tenantRowsQuery(table: string, columns: string[], tenantId: string): string {
  if (!isUuid(tenantId)) throw new AppError('TENANT_ID_INVALID', `Not a tenant id: ${tenantId}`)
  const cols = columns.map(quote).join(', ')
  if (table === 'tenants') return `select ${cols} from tenants where id = '${tenantId}'`
  if (table === 'users') {
    return `select ${columns.map((c) => `u.${quote(c)}`).join(', ')} from users u where u.id in (select user_id from memberships where tenant_id = '${tenantId}') order by u.id`
  }
  return `select ${cols} from ${quote(table)} where tenant_id = '${tenantId}' order by 1, 2`
}

/** tenant_backup_SUBDOMAIN_YYYYMMDDHHMMSS.sql, like the guide's tenant_backup_20240101.sql */
export const defaultBackupPath = (subdomain: string, gzip = false) =>
  `tenant_backup_${subdomain}_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}.sql${gzip ? '.gz' : ''}`

export interface BackupResult {
  path: string
  manifest: Manifest
  bytes: number
  durationMs: number
}

/** Write a verified, checksummed backup of one tenant to `path` (gzip when asked). */
export async function backupTenant(sql: Sql, tenantRef: string, path: string, options: {gzip?: boolean} = {}): Promise<BackupResult> {
  const started = performance.now()
  const body = `${path}.body-${process.pid}`
  const partial = `${path}.partial-${process.pid}`
  const header = (manifest: Manifest, bytes = 0) => {
    const json = JSON.stringify(manifest)
    const pad = Math.max(0, bytes - Buffer.byteLength(`${MAGIC}\n${MANIFEST}${json}\n${PREAMBLE}`))
    return Buffer.from(`${MAGIC}\n${MANIFEST}${json}${' '.repeat(pad)}\n${PREAMBLE}`)
  }
  try {
    const manifest = await sql.begin('isolation level repeatable read read only', async (tx) => {
      const [tenant] = await tx<{id: string; subdomain: string; name: string}[]>`
        select t.id, t.subdomain, t.name from tenants t where ${tenantKey(tx, tenantRef)}`
      if (!tenant) throw tenantNotFound(tenantRef)
      const {schemaVersion} = await migrationStatus(tx as unknown as Sql)
      const tables: TableManifest[] = []
      for (const table of await backupTables(tx)) tables.push({name: table, columns: await columnsOf(tx, table), rows: 0, sha256: ''})
      const result: Manifest = {format: BACKUP_FORMAT, schemaVersion, createdAt: new Date().toISOString(), tenant, tables}
      // a plain file gets its header written last, in room kept for the largest manifest it could have
      const room = header({...result, tables: tables.map((t) => ({...t, rows: Number.MAX_SAFE_INTEGER, sha256: '0'.repeat(64)}))})
      const out = createWriteStream(options.gzip ? body : partial, {mode: 0o600})
      if (!options.gzip) out.write(room)
      for (const table of tables) {
        const hash = createHash('sha256')
        out.write(`COPY public.${quote(table.name)} (${table.columns.map(quote).join(', ')}) FROM stdin;\n`)
        const stream = await tx.unsafe(`copy (${tenantRowsQuery(table.name, table.columns, tenant.id)}) to stdout`).readable()
        // flowing mode, never paused: postgres.js's COPY stream can stall for good once paused
        // (porsager/postgres#499, #917); the file stream buffers whatever the disk has not taken yet
        await new Promise<void>((resolve, reject) => {
          // the data lines are the chunks end to end: hash and count them as bytes
          stream.on('data', (chunk: Buffer) => {
            hash.update(chunk)
            for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) table.rows++
            out.write(chunk)
          })
          stream.once('end', resolve).once('close', resolve).once('error', reject)
        })
        out.write('\\.\n')
        table.sha256 = hash.digest('hex')
      }
      if (!options.gzip) out.write('COMMIT;\n')
      await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())))
      if (!options.gzip) {
        const file = await open(partial, 'r+')
        await file.write(header(result, room.length), 0, room.length, 0)
        await file.close()
      }
      return result
    }) as Manifest
    if (options.gzip) {
      const parts = async function* () {
        yield header(manifest)
        for await (const chunk of createReadStream(body)) yield chunk as Buffer
        yield Buffer.from('COMMIT;\n')
      }
      await pipeline(Readable.from(parts()), createGzip(), createWriteStream(partial, {mode: 0o600}))
    }
    await rename(partial, path)
    const handle = await open(path, 'r')
    const bytes = (await handle.stat()).size
    await handle.close()
    return {path, manifest, bytes, durationMs: Math.round(performance.now() - started)}
  } finally {
    await rm(body, {force: true})
    await rm(partial, {force: true})
  }
}

const tampered = (message: string) =>
  new AppError('BACKUP_INVALID', `${message}; nothing was restored.`, {
    exit: ExitCode.usage,
    suggestions: ['Use an untouched backup file written by anthias tenant backup.'],
  })

/** Where a table's data lines go while a backup is scanned (a staging table, for a restore). */
interface BlockSink {
  write(text: string): Promise<void>
  end(): Promise<void>
  /** stop taking lines: the scan failed */
  abort(error: Error): void
}

async function openLines(path: string) {
  const head = await open(path, 'r')
  const magic = Buffer.alloc(2)
  await head.read(magic, 0, 2, 0)
  await head.close()
  const raw = createReadStream(path)
  const input = magic[0] === 0x1f && magic[1] === 0x8b ? raw.pipe(createGunzip()) : raw
  return createInterface({input, crlfDelay: Infinity})
}

function parseManifest(path: string, first: string | undefined, second: string | undefined): Manifest {
  if (first !== MAGIC) throw tampered(`${path} is not an anthias tenant backup`)
  if (!second?.startsWith(MANIFEST)) throw tampered('The manifest is missing')
  let manifest: Manifest
  try {
    manifest = JSON.parse(second.slice(MANIFEST.length)) as Manifest
  } catch {
    throw tampered('The manifest is not valid JSON')
  }
  if (manifest.format !== BACKUP_FORMAT) throw tampered(`Backup format ${manifest.format} is not supported (this anthias reads ${BACKUP_FORMAT})`)
  return manifest
}

/** The manifest alone, from the first two lines. */
export async function readManifest(path: string): Promise<Manifest> {
  const lines = await openLines(path)
  const head: string[] = []
  try {
    for await (const line of lines) if (head.push(line) >= 2) break
  } catch (error) {
    throw tampered(`${path} cannot be read: ${(error as Error).message}`)
  } finally {
    lines.close()
  }
  return parseManifest(path, head[0], head[1])
}

/**
 * Read a backup once, checking everything: the manifest, each table's SHA-256
 * and row count, that every row is the tenant's, and that the file is whole.
 * Each table's data lines also go to the sink `sinkFor` gives, if any; a
 * caller inside a transaction rolls back what the sinks took when this throws.
 */
export async function scanBackup(path: string, sinkFor?: (table: TableManifest) => Promise<BlockSink | undefined>): Promise<Manifest> {
  const lines = await openLines(path)
  let manifest: Manifest | undefined
  let head: string | undefined
  let current: {table: TableManifest; hash: ReturnType<typeof createHash>; rows: number; idColumn: number; sink?: BlockSink; chunk: string} | undefined
  let n = 0
  let committed = false
  const seen = new Set<string>()
  try {
    for await (const line of lines) {
      n++
      if (n === 1) {
        head = line
        continue
      }
      if (n === 2) {
        manifest = parseManifest(path, head, line)
        continue
      }
      if (current) {
        if (line === '\\.') {
          const {table, sink} = current
          if (sink) {
            if (current.chunk) await sink.write(current.chunk)
            await sink.end()
          }
          if (table.sha256 !== current.hash.digest('hex') || table.rows !== current.rows) throw tampered(`The rows of ${table.name} do not match the manifest's checksum`)
          seen.add(table.name)
          current = undefined
          continue
        }
        current.hash.update(line + '\n')
        current.rows++
        // every row must be this tenant's: its tenant_id (or id, for the tenant row) is the manifest's
        if (current.idColumn !== -1) {
          const value = current.idColumn === 0 ? line.slice(0, line.indexOf('\t')) : line.split('\t')[current.idColumn]
          if (value !== manifest!.tenant.id) throw tampered(`Table ${current.table.name} holds rows of another tenant`)
        }
        if (current.sink) {
          current.chunk += line + '\n'
          if (current.chunk.length >= 1 << 18) {
            await current.sink.write(current.chunk)
            current.chunk = ''
          }
        }
        continue
      }
      const copy = /^COPY public\."([^"]+)" \((.*)\) FROM stdin;$/.exec(line)
      if (copy) {
        const name = copy[1]!
        const columns = copy[2]!.split(', ').map((c) => c.replace(/^"|"$/g, '').replace(/""/g, '"'))
        const table = manifest?.tables.find((t) => t.name === name)
        if (!table || table.columns.join() !== columns.join() || seen.has(name)) throw tampered(`Table ${name} is not in the manifest`)
        const idColumn = name === 'tenants' ? columns.indexOf('id') : columns.indexOf('tenant_id')
        current = {table, hash: createHash('sha256'), rows: 0, idColumn, sink: await sinkFor?.(table), chunk: ''}
        continue
      }
      if (line === 'COMMIT;') committed = true
    }
  } catch (error) {
    const failure = error instanceof AppError ? error : tampered(`${path} cannot be read: ${(error as Error).message}`)
    current?.sink?.abort(failure)
    throw failure
  }
  if (!manifest) throw tampered(`${path} is empty`)
  if (current) {
    const failure = tampered(`${path} is truncated`)
    current.sink?.abort(failure)
    throw failure
  }
  if (!committed || seen.size !== manifest.tables.length) throw tampered(`${path} is truncated`)
  return manifest
}

/** Verify a backup without restoring it; returns its manifest. */
export const readBackup = (path: string) => scanBackup(path)

export interface RestoreOptions {
  mode?: 'replace' | 'merge'
  /** restore under this subdomain, as a new tenant */
  as?: string
  /** only this table (recover) */
  table?: string
}

export interface RestoreResult {
  tenantId: string
  subdomain: string
  mode: 'replace' | 'merge'
  /** rows in the tenant after the restore, per table, checked against the manifest */
  rows: Record<string, number>
  durationMs: number
}

/** A staging table shaped like `table`, and a sink that COPYs data lines into it. */
async function stage(tx: TransactionSql, table: TableManifest): Promise<{name: string; sink: BlockSink}> {
  const name = `stage_${table.name}`
  await tx.unsafe(`create temp table ${quote(name)} (like ${quote(table.name)} including defaults) on commit drop`)
  // the application role inserts the tenant data tables from here
  if (!CONTROL_PLANE_TABLES.has(table.name)) await tx.unsafe(`grant select on ${quote(name)} to ${APP_ROLE}`)
  const writable = await tx.unsafe(`copy ${quote(name)} (${table.columns.map(quote).join(', ')}) from stdin`).writable()
  // its errors reach the caller through write, end and the scan; none may go unhandled
  writable.on('error', () => undefined)
  return {
    name,
    sink: {
      async write(text) {
        if (!writable.write(text)) await once(writable, 'drain')
      },
      async end() {
        writable.end()
        await finished(writable)
      },
      abort(error) {
        // postgres.js answers a destroyed COPY stream with CopyFail, so the transaction can roll back
        writable.destroy(error)
      },
    },
  }
}

/** Restore a backup (or one table of it) in one transaction; row counts are checked before commit. */
export async function restoreTenant(sql: Sql, path: string, options: RestoreOptions, ctx: Context): Promise<RestoreResult> {
  const started = performance.now()
  const mode = options.mode ?? 'replace'
  const manifest = await readManifest(path)
  const inBackup = manifest.tables.map((t) => t.name)
  const {schemaVersion} = await migrationStatus(sql)
  if (manifest.schemaVersion > schemaVersion) {
    throw new AppError('BACKUP_SCHEMA_NEWER', `The backup is of schema version ${manifest.schemaVersion}; this database is at ${schemaVersion}.`, {
      exit: ExitCode.usage,
      suggestions: ['Upgrade anthias (and run anthias db migrate) before restoring.'],
    })
  }
  if (options.table && !inBackup.includes(options.table)) {
    throw new AppError('TABLE_NOT_IN_BACKUP', `The backup has no table ${options.table}. Tables: ${inBackup.join(', ')}.`, {field: 'table'})
  }
  if (options.table && ['tenants', 'users'].includes(options.table)) {
    throw new AppError('TABLE_NOT_RECOVERABLE', `${options.table} cannot be recovered on its own; restore the whole tenant instead.`, {field: 'table'})
  }
  const newSubdomain = options.as === undefined ? undefined : judgeSubdomain(options.as)
  if (newSubdomain && !newSubdomain.ok) throw new AppError(newSubdomain.code, `--as: ${newSubdomain.reason}`, {field: 'as'})
  const tenantId = newSubdomain ? randomUUID() : manifest.tenant.id
  const subdomain = newSubdomain?.subdomain ?? manifest.tenant.subdomain
  const tables = options.table ? [options.table] : inBackup
  const manifestOf = new Map(manifest.tables.map((t) => [t.name, t]))
  const rows: Record<string, number> = {}
  await sql.begin(async (tx) => {
    const [existing] = await tx<{id: string}[]>`select id from tenants where id = ${tenantId} or lower(subdomain) = ${subdomain} for update`
    if (existing && existing.id !== tenantId) {
      throw conflict('SUBDOMAIN_TAKEN', `Subdomain "${subdomain}" belongs to another tenant.`, {field: newSubdomain ? 'as' : 'subdomain', suggestions: ['Restore with --as NEW_SUBDOMAIN.']})
    }
    if (options.table && !existing) throw new AppError('TENANT_NOT_FOUND', `Tenant ${subdomain} does not exist; restore the whole backup first.`, {exit: ExitCode.notFound})
    // one pass over the file: verified as it is read, and each table COPYed into its staging table
    const staged = new Map<string, string>()
    await scanBackup(path, async (table) => {
      if (!tables.includes(table.name)) return undefined
      const {name, sink} = await stage(tx, table)
      staged.set(table.name, name)
      return sink
    })
    if (newSubdomain) {
      for (const [table, name] of staged) {
        if (table === 'tenants') await tx.unsafe(`update ${quote(name)} set id = $1, subdomain = $2, custom_domain = null`, [tenantId, subdomain])
        else if (table !== 'users') await tx.unsafe(`update ${quote(name)} set tenant_id = $1`, [tenantId])
      }
    }
    if (staged.has('users')) {
      // users are global: an email that exists already keeps its account; the tenant's rows follow it
      await tx.unsafe(`insert into users select * from stage_users s where not exists (select 1 from users u where lower(u.email) = lower(s.email))`)
      const remap = `select s.id as old_id, u.id as new_id from stage_users s join users u on lower(u.email) = lower(s.email) where u.id <> s.id`
      for (const [table, column] of [['memberships', 'user_id'], ['assets', 'created_by']] as const) {
        if (staged.has(table)) await tx.unsafe(`update ${quote(staged.get(table)!)} t set ${column} = m.new_id from (${remap}) m where t.${column} = m.old_id`)
      }
    }
    if (mode === 'replace') {
      const childrenFirst = (await tenantTablesChildrenFirst(tx)).filter((t) => staged.has(t))
      for (const table of childrenFirst) await tx.unsafe(`delete from ${quote(table)} where tenant_id = $1`, [tenantId])
    }
    for (const table of tables) {
      if (table === 'users') continue
      const name = staged.get(table)!
      const columns = manifestOf.get(table)!.columns.map(quote).join(', ')
      if (table === 'tenants') {
        const update = manifestOf.get(table)!.columns.filter((c) => c !== 'id').map((c) => `${quote(c)} = excluded.${quote(c)}`).join(', ')
        await tx.unsafe(`insert into tenants (${columns}) select ${columns} from ${quote(name)} on conflict (id) do ${mode === 'replace' ? `update set ${update}` : 'nothing'}`)
        continue
      }
      const tenantData = !CONTROL_PLANE_TABLES.has(table)
      if (tenantData) await enterTenant(tx, tenantId)
      // replace mode emptied the tenant's rows first: a plain insert, without conflict handling, is the fast path
      await tx.unsafe(`insert into ${quote(table)} (${columns}) overriding system value select ${columns} from ${quote(name)}${mode === 'merge' ? ' on conflict do nothing' : ''}`)
      if (tenantData) await leaveTenant(tx)
    }
    for (const table of tables) {
      const [count] = table === 'users'
        ? await tx.unsafe<{n: number}[]>(`select count(*)::int as n from memberships where tenant_id = $1`, [tenantId])
        : await tx.unsafe<{n: number}[]>(`select count(*)::int as n from ${quote(table)} where ${table === 'tenants' ? 'id' : 'tenant_id'} = $1`, [tenantId])
      rows[table] = count!.n
      const expected = manifestOf.get(table)!.rows
      const ok = table === 'users' ? true : mode === 'replace' ? count!.n === expected : count!.n >= expected
      if (!ok) {
        throw new AppError('RESTORE_COUNT_MISMATCH', `${table}: ${count!.n} rows after the restore, the backup has ${expected}; rolled back.`, {exit: ExitCode.failed})
      }
    }
    await writeAudit(tx, {
      actor: ctx.actor,
      action: options.table ? 'tenant.recover' : 'tenant.restore',
      tenantId,
      subject: subdomain,
      arguments: {file: path, mode, as: options.as, table: options.table, from: manifest.tenant, rows},
    })
  })
  return {tenantId, subdomain, mode, rows, durationMs: Math.round(performance.now() - started)}
}

/** Rows left in any table (but the audit trail) for a tenant id: after a delete, all zero. */
export async function orphanScan(sql: Sql, tenantId: string): Promise<Record<string, number>> {
  const found: Record<string, number> = {}
  for (const table of await tenantTablesChildrenFirst(sql)) {
    const [row] = await sql.unsafe<{n: number}[]>(`select count(*)::int as n from ${quote(table)} where tenant_id = $1`, [tenantId])
    if (row!.n > 0) found[table] = row!.n
  }
  const [tenant] = await sql<{n: number}[]>`select count(*)::int as n from tenants where id = ${tenantId}`
  if (tenant!.n > 0) found.tenants = tenant!.n
  return found
}

