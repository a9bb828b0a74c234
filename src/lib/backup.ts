/**
 * Tenant-scoped backup and restore.
 *
 * A backup is one consistent snapshot (a read-only REPEATABLE READ
 * transaction) of the tenant's rows in every table with a tenant_id column,
 * plus its tenant row and the users of its members, in foreign-key order. The
 * file is plain SQL that psql restores into a database with the schema:
 *
 *   -- anthias tenant backup
 *   -- manifest: {"format":2,"schemaVersion":3,"tenant":{...},"tables":[{"name","columns","rows","sha256"[,"sequences"]}...],"sha256":"..."}
 *   SET client_encoding = 'UTF8';
 *   BEGIN;
 *   COPY public."tenants" ("id", ...) FROM stdin;
 *   ...rows in COPY text format...
 *   \.
 *   ...
 *   SELECT pg_catalog.setval(...);   one per column in a table's "sequences"
 *   COMMIT;
 *
 * The SHA-256 of each table is over its data lines, the manifest's own over
 * every byte after the manifest line. Anyone can recompute checksums, so a
 * reader accepts only what the writer writes, byte for byte: the two header
 * lines, the preamble, each manifest table's COPY line in the manifest's order,
 * data lines with the table's number of fields and the tenant's id (users:
 * those of its memberships rows, and no others), `\.`,
 * the statement that moves each sequence the manifest names past the restored
 * ids (so the next insert after a psql restore does not collide with them),
 * and COMMIT; at the very end; no CR anywhere. Nothing else can reach psql.
 * Format 1 (before the whole-file checksum) is read with the same checks.
 * A restore checks all of it, and every row's tenant, as it loads each table
 * into a staging table, then inserts from there in one transaction, the
 * tenant data tables as the application role in the tenant's context (COPY
 * cannot load tables whose RLS applies to the role).
 */
import {createHash, randomUUID} from 'node:crypto'
import {once} from 'node:events'
import type {FileHandle} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pipeline as pipe, Readable, type Writable} from 'node:stream'
import {finished, pipeline} from 'node:stream/promises'
import {createGunzip, createGzip} from 'node:zlib'

import type {Sql, TransactionSql} from 'postgres'
import {z} from 'zod'

import {writeAudit} from './audit.js'
import type {Context} from './context.js'
import {migrationStatus} from './db/migrations.js'
import {quoteIdent as quote} from './db/sql-scan.js'
import {isUuid} from './db/tenant-context.js'
import {claimDomains, tenantIdBySubdomain} from './tenant-domains.js'
import {type Action, AppError, conflict, notFound} from './errors.js'
import {expiresIn} from './expiry.js'
import {type FileErrors, readStreamOf, TempFile, writeStreamOf} from './files.js'
import {type Input} from './input.js'
import {DEFAULT_INVITATION_DAYS} from './members.js'
import type {OnProgress} from './progress.js'
import {newToken} from './secrets.js'
import {checkConfirmedName, tenantKey, tenantNotFound} from './tenant-ref.js'
import {tenantTablesChildrenFirst} from './tenant-tables.js'
import {domainConflict} from './tenants.js'
import {judgeSubdomain} from './subdomain-rules.js'

export const BACKUP_FORMAT = 2
/** 1: without the checksum of the whole file */
const READABLE_FORMATS = [1, 2]
const MAGIC = '-- anthias tenant backup'
const MANIFEST = '-- manifest: '
const PREAMBLE = "SET client_encoding = 'UTF8';\nBEGIN;\n"
const TRAILER = 'COMMIT;\n'

export interface TableManifest {
  name: string
  columns: string[]
  rows: number
  sha256: string
  /** its identity and serial columns, in column order (absent: none; format 2 files written before had none) */
  sequences?: string[]
}

export interface Manifest {
  format: number
  schemaVersion: number
  createdAt: string
  tenant: {id: string; subdomain: string; name: string}
  tables: TableManifest[]
  /** SHA-256 of everything after the manifest line (format 2 on) */
  sha256?: string
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

/** The line that opens a table's block, exactly as the writer writes it and the reader expects it. */
const copyLine = (table: Pick<TableManifest, 'name' | 'columns'>) => `COPY public.${quote(table.name)} (${table.columns.map(quote).join(', ')}) FROM stdin;\n`

/**
 * The statement that moves the sequence of `table`.`column` past the largest
 * id in `from` (the table itself, after a psql restore), never back: nextval
 * is the next value whether or not the sequence was ever called, and setval
 * marks the greater one used. A column without a sequence in the database it
 * runs in is left alone (both functions return null for a null sequence).
 */
const advanceSequence = (table: string, column: string, from = `public.${quote(table)}`) => {
  const sequence = `pg_catalog.pg_get_serial_sequence('public.${quote(table)}', '${column}')`
  return `SELECT pg_catalog.setval(${sequence}, GREATEST((SELECT pg_catalog.max(${quote(column)}) FROM ${from}), pg_catalog.nextval(${sequence})));\n`
}

/** What follows the last table's block: its sequences moved past the restored ids, and COMMIT. */
const epilogue = (tables: TableManifest[]) =>
  tables.flatMap((t) => (t.sequences ?? []).map((c) => advanceSequence(t.name, c))).join('') + TRAILER

/** The identity and serial columns of `tables`, from the catalog, in table and column order. */
async function sequenceColumns(sql: Sql | TransactionSql, tables: string[]): Promise<{table: string; column: string}[]> {
  return sql<{table: string; column: string}[]>`
    select c.relname as table, a.attname as column
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where c.relname = any(${tables}) and pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) is not null
    order by array_position(${tables}::text[], c.relname::text), a.attnum`
}

/** How far apart a backup reports its progress, in bytes written. */
const PROGRESS_BYTES = 1 << 20

/** The two header lines; `room` pads the manifest line with spaces to that many bytes. */
function head(manifest: Manifest, room = 0): Buffer {
  const text = `${MAGIC}\n${MANIFEST}${JSON.stringify(manifest)}`
  return Buffer.from(`${text}${' '.repeat(Math.max(0, room - Buffer.byteLength(text) - 1))}\n`)
}

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

export interface BackupResult {
  /** the file written (its name), or "-" for a stream */
  path: string
  manifest: Manifest
  bytes: number
  durationMs: number
}

export interface BackupOptions {
  gzip?: boolean
  /**
   * read from this transaction's snapshot instead of one of its own: what the
   * caller then changes under its locks is exactly what was backed up
   */
  snapshot?: TransactionSql
  /** phase backup: per COPY chunk, the rows and bytes written so far; phase compress (gzip): the bytes compressed */
  onProgress?: OnProgress
}

/** The errors of a backup's file: the CLI's when it makes one, the library's for its scratch files. */
export const BACKUP_FILE_ERRORS: FileErrors = {
  exists: (path) =>
    new AppError('BACKUP_EXISTS', `${path} exists; a backup never replaces a file unless told to.`, {
      field: 'output',
      suggestions: ['Choose another file, or move that one away first.', {command: 'tenant.backup', args: {tenant: null, output: path, force: true}, text: 'Or replace it, when it is a regular file: {command}'}],
    }),
  notRegular: (path, kind) =>
    new AppError('BACKUP_NOT_A_FILE', `${path} is a ${kind}; only a regular file is ever replaced.`, {
      field: 'output',
      suggestions: ['Choose a file path, or "-o -" to write the backup to standard output.'],
    }),
  unwritable: (path, error) =>
    new AppError('BACKUP_UNWRITABLE', `Cannot create ${path}: ${error.code === 'ENOENT' ? 'no such directory' : error.message}.`, {field: 'output', cause: error}),
}

/** The room the head of a manifest like this one can need: its largest row counts and checksums. */
const largestHead = (manifest: Manifest) =>
  head({...manifest, tables: manifest.tables.map((t) => ({...t, rows: Number.MAX_SAFE_INTEGER, sha256: '0'.repeat(64)})), sha256: '0'.repeat(64)}).length

/**
 * Snapshot the tenant into the open `file`: the preamble, every table's COPY block,
 * COMMIT, after `room` bytes kept for the head when asked (else the head goes
 * in front of them later). Returns the manifest, with the checksum of all
 * those bytes.
 */
async function snapshot(sql: Sql, tenantRef: string, file: FileHandle, keepRoom = false, given?: TransactionSql, onProgress?: OnProgress): Promise<{manifest: Manifest; room: number; bytes: number}> {
  const inSnapshot = <T>(work: (tx: TransactionSql) => Promise<T>) =>
    given ? work(given) : (sql.begin('isolation level repeatable read read only', work) as Promise<T>)
  return inSnapshot(async (tx) => {
    const [tenant] = await tx<{id: string; subdomain: string; name: string}[]>`
      select t.id, t.subdomain, t.name from tenants t where ${tenantKey(tx, tenantRef)}`
    if (!tenant) throw tenantNotFound(tenantRef)
    const {schemaVersion} = await migrationStatus(tx as unknown as Sql)
    const names = await backupTables(tx)
    const sequenced = await sequenceColumns(tx, names)
    const tables: TableManifest[] = []
    for (const name of names) {
      const sequences = sequenced.filter((s) => s.table === name).map((s) => s.column)
      tables.push({name, columns: await columnsOf(tx, name), rows: 0, sha256: '', ...(sequences.length > 0 ? {sequences} : {})})
    }
    const manifest: Manifest = {format: BACKUP_FORMAT, schemaVersion, createdAt: new Date().toISOString(), tenant, tables, sha256: ''}
    const start = keepRoom ? largestHead(manifest) : 0
    const out = writeStreamOf(file, start)
    const written = finished(out)
    written.catch(() => undefined) // awaited below: an early failure must not go unhandled meanwhile
    const whole = createHash('sha256')
    let rows = 0
    let bytes = 0
    /** bytes at the last progress report: COPY gives a chunk a row, reports go a megabyte apart */
    let reported = 0
    const write = (chunk: string | Buffer) => {
      whole.update(chunk)
      bytes += chunk.length
      out.write(chunk)
    }
    write(PREAMBLE)
    for (const table of tables) {
      const hash = createHash('sha256')
      write(copyLine(table))
      const stream = await tx.unsafe(`copy (${tenantRowsQuery(table.name, table.columns, tenant.id)}) to stdout`).readable()
      // flowing mode, never paused: postgres.js's COPY stream can stall for good once paused
      // (porsager/postgres#499, #917); the file stream buffers whatever the disk has not taken yet
      await new Promise<void>((resolve, reject) => {
        // the data lines are the chunks end to end: hash and count them as bytes
        stream.on('data', (chunk: Buffer) => {
          hash.update(chunk)
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) table.rows++
          write(chunk)
          if (onProgress && bytes - reported >= PROGRESS_BYTES) {
            reported = bytes
            onProgress({phase: 'backup', table: table.name, rows: rows + table.rows, bytes})
          }
        })
        stream.once('end', resolve).once('close', resolve).once('error', reject)
      })
      write('\\.\n')
      table.sha256 = hash.digest('hex')
      rows += table.rows
    }
    write(epilogue(tables))
    out.end()
    await written
    manifest.sha256 = whole.digest('hex')
    onProgress?.({phase: 'backup', rows, bytes})
    return {manifest, room: start, bytes}
  }) as Promise<{manifest: Manifest; room: number; bytes: number}>
}

/** The head, then the body from `body` (gzipped when asked) into `out`; the bytes `out` took. */
async function assemble(manifest: Manifest, body: FileHandle, out: Writable, gzip: boolean, end = true, progress?: {onProgress?: OnProgress; bytes: number}): Promise<number> {
  let bytes = 0
  const rows = manifest.tables.reduce((n, t) => n + t.rows, 0)
  const parts = async function* () {
    yield head(manifest)
    let read = 0
    for await (const chunk of readStreamOf(body) as AsyncIterable<Buffer>) {
      read += chunk.length
      progress?.onProgress?.({phase: 'compress', rows, totalRows: rows, bytes: read, totalBytes: progress.bytes})
      yield chunk
    }
  }
  const count = async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      bytes += chunk.length
      yield chunk
    }
  }
  await (gzip ? pipeline(parts, createGzip(), count, out, {end}) : pipeline(parts, count, out, {end}))
  return bytes
}

/**
 * A new, empty file a backup is written into, made by the caller: the CLI
 * makes it exclusively, mode 0600, beside the name it takes once whole
 * (src/backup-files.ts), and gives it that name.
 */
export interface BackupFile {
  /** what reports and the audit call it: the name it takes */
  name: string
  /** the file, open for reading and writing */
  handle: FileHandle
}

/** A backup file that a caller inside a transaction (withFrozenTenants) names before it commits, or removes. */
export interface PublishableFile extends BackupFile {
  /** give the whole file its name, never replacing anything (closes the handle) */
  publish(): Promise<void>
  /** remove it, published or not */
  remove(): Promise<void>
}

/** The head, then the body (from a scratch file) into `out`, gzipped when asked; the bytes `out` took. */
async function viaScratch(sql: Sql, tenantRef: string, out: Writable, options: Pick<BackupOptions, 'gzip' | 'snapshot' | 'onProgress'>, end: boolean): Promise<{manifest: Manifest; bytes: number}> {
  // the head comes first but is known last: the body waits in a temporary file
  const body = await TempFile.create(join(tmpdir(), 'anthias-backup'), BACKUP_FILE_ERRORS)
  try {
    const {manifest, bytes: bodyBytes} = await snapshot(sql, tenantRef, body.handle, false, options.snapshot, options.onProgress)
    const bytes = await assemble(manifest, body.handle, out, options.gzip ?? false, end, options.gzip ? {onProgress: options.onProgress, bytes: bodyBytes} : undefined)
    return {manifest, bytes}
  } finally {
    await body.discard()
  }
}

/**
 * Write a checksummed backup of one tenant into `file` (gzip when asked). A
 * plain backup gets its head written last, in room kept at the front for the
 * largest it could be; a gzip one has its body wait in a scratch file.
 */
export async function backupTenant(sql: Sql, tenantRef: string, file: BackupFile, options: BackupOptions = {}): Promise<BackupResult> {
  const started = performance.now()
  let manifest: Manifest
  if (options.gzip) {
    ;({manifest} = await viaScratch(sql, tenantRef, writeStreamOf(file.handle), options, true))
  } else {
    let room: number
    ;({manifest, room} = await snapshot(sql, tenantRef, file.handle, true, options.snapshot, options.onProgress))
    await file.handle.write(head(manifest, room), 0, room, 0)
  }
  const bytes = (await file.handle.stat()).size
  return {path: file.name, manifest, bytes, durationMs: Math.round(performance.now() - started)}
}

/** The same backup, written to a stream (standard output, for `-o -`; an HTTP response), which is left open. */
export async function backupTenantToStream(sql: Sql, tenantRef: string, out: Writable, options: Pick<BackupOptions, 'gzip' | 'onProgress'> = {}): Promise<BackupResult> {
  const started = performance.now()
  const {manifest, bytes} = await viaScratch(sql, tenantRef, out, options, false)
  return {path: '-', manifest, bytes, durationMs: Math.round(performance.now() - started)}
}

const tampered = (message: string, line?: number) =>
  new AppError('BACKUP_INVALID', `${message}; nothing was restored.`, {
    line,
    suggestions: [{command: 'tenant.backup', text: 'Use an untouched backup file written by {command}.'}],
  })

/** Where a table's data lines go while a backup is scanned (a staging table, for a restore). */
interface BlockSink {
  write(data: Buffer): Promise<void>
  end(): Promise<void>
  /** stop taking lines: the scan failed */
  abort(error: Error): void
}

/**
 * The bytes of a backup, gunzipped when it is gzip (its first two bytes say
 * so), and their number when it is not; a read error (a truncated gzip too) is
 * an error of the stream. An input that cannot be opened at all (a file that
 * is not there) is refused here.
 */
async function openBytes(input: Input): Promise<{bytes: Readable; size?: number}> {
  const raw = input.open()
  let magic: Buffer
  try {
    magic = await firstBytes(raw, 2)
  } catch (error) {
    raw.destroy()
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound('BACKUP_NOT_FOUND', `${input.name}: no such file.`, [{command: 'tenant.backup', text: 'Give the path of a backup file written by {command}.'}])
    throw tampered(`${input.name} cannot be read: ${(error as Error).message}`)
  }
  // pipe() destroys both streams when either fails or the reader stops early
  return magic[0] === 0x1f && magic[1] === 0x8b ? {bytes: pipe(raw, createGunzip({chunkSize: 1 << 18}), () => undefined)} : {bytes: raw, size: input.size}
}

/** The first `n` bytes of a stream (fewer when it is shorter), left in it to be read again. */
async function firstBytes(stream: Readable, n: number): Promise<Buffer> {
  for (;;) {
    // null until n bytes are buffered; at the end, what is left
    const head = stream.read(n) as Buffer | null
    if (head !== null) {
      stream.unshift(head)
      return head
    }
    if (stream.readableEnded) return Buffer.alloc(0)
    await new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        stream.off('readable', ok).off('end', ok).off('error', settle)
        if (error) reject(error)
        else resolve()
      }
      const ok = () => settle()
      stream.on('readable', ok).on('end', ok).on('error', settle)
    })
  }
}

const identifier = z.string().regex(/^[a-z_][a-z0-9_]*$/)
const sha256 = z.string().regex(/^[0-9a-f]{64}$/)
const manifestSchema = z.strictObject({
  format: z.number(),
  schemaVersion: z.number().int().nonnegative(),
  createdAt: z.string(),
  tenant: z.strictObject({id: z.string().refine(isUuid), subdomain: z.string(), name: z.string()}),
  tables: z.array(z.strictObject({
    name: identifier, columns: z.array(identifier).min(1), rows: z.number().int().nonnegative(), sha256, sequences: z.array(identifier).min(1).optional(),
  })).min(1),
  sha256: sha256.optional(),
})

/** The manifest line, checked: only what the writer writes (its JSON, then spaces for the room kept). */
function parseManifest(name: string, magic: string, line: string): Manifest {
  if (magic !== MAGIC) throw tampered(`${name} is not an anthias tenant backup`, 1)
  if (!line.startsWith(MANIFEST)) throw tampered('The manifest is missing', 2)
  let json: unknown
  try {
    json = JSON.parse(line.slice(MANIFEST.length).replace(/ +$/, ''))
  } catch {
    throw tampered('The manifest is not valid JSON', 2)
  }
  const format = (json as Manifest | null)?.format
  if (typeof format !== 'number' || !READABLE_FORMATS.includes(format)) throw tampered(`Backup format ${format} is not supported (this anthias reads ${READABLE_FORMATS.join(' and ')})`, 2)
  const parsed = manifestSchema.safeParse(json)
  if (!parsed.success) throw tampered(`The manifest is not one anthias writes (${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message})`, 2)
  const manifest = parsed.data
  if (manifest.format >= 2 && !manifest.sha256) throw tampered('The manifest has no checksum of the file', 2)
  const names = new Set<string>()
  for (const table of manifest.tables) {
    if (names.has(table.name) || new Set(table.columns).size !== table.columns.length) throw tampered(`The manifest lists table ${table.name} or one of its columns twice`, 2)
    names.add(table.name)
    const sequences = table.sequences ?? []
    // the writer names each of a table's sequence columns once, in column order, from format 2 on
    if (sequences.length > 0 && (manifest.format < 2 || sequences.join() !== table.columns.filter((c) => sequences.includes(c)).join())) {
      throw tampered(`The manifest's sequences of table ${table.name} are not what anthias writes (its own columns, once each, in column order, from format 2 on)`, 2)
    }
    // every table but users is the tenant's by a column whose value the scan checks on each row
    if (table.name !== 'users' && !table.columns.includes(table.name === 'tenants' ? 'id' : 'tenant_id')) throw tampered(`Table ${table.name} in the manifest has no tenant_id column`, 2)
  }
  return manifest
}

/** Where a scan is: the header lines, a fixed text it expects, a table's data lines, or past COMMIT. */
type ScanState =
  | {at: 'head'}
  | {at: 'fixed'; text: Buffer; matched: number; next: number}
  | {at: 'data'; table: TableManifest; index: number; hash: ReturnType<typeof createHash>; rows: number; fields: number; idColumn: number; userColumn: number; userIds?: Map<string, number>; sink?: BlockSink}
  | {at: 'end'}

/** Enough for the two header lines of any backup: a longer first or second line is not one. */
const HEAD_LIMIT = 1 << 20
const utf8 = new TextDecoder('utf-8', {fatal: true})

/**
 * Read a backup once, checking everything: the manifest, that every byte is
 * where the writer puts it, each table's SHA-256 and row count, that every
 * row is the tenant's, the checksum of the whole file, that it is whole, and
 * that its users are its members' (each users row named by a memberships row
 * and each of those by a users row).
 * Each table's data lines also go to the sink `sinkFor` gives, if any; a
 * caller inside a transaction rolls back what the sinks took when this
 * throws. With `headOnly` it stops after the manifest.
 */
async function scan(source: Input, options: {sinkFor?: (table: TableManifest) => Promise<BlockSink | undefined>; headOnly?: boolean; onProgress?: OnProgress}): Promise<Manifest> {
  const {bytes: input, size} = await openBytes(source)
  const path = source.name
  /** rows of the tables read whole, bytes read (gunzipped), rows in the manifest */
  let rows = 0
  let bytes = 0
  let totalRows = 0
  let manifest: Manifest | undefined
  let tenantId: Buffer = Buffer.alloc(0)
  // (assigned in the closures below, so not narrowed)
  let state = {at: 'head'} as ScanState
  /** a line begun in one chunk and ended in a later one */
  let carry: Buffer = Buffer.alloc(0)
  /** lines before the current fixed text, or before the current table's data */
  let line = 0
  const whole = createHash('sha256')
  /** the ids of the users rows, and the user ids of the memberships rows: each the line it is on */
  const users = new Map<string, number>()
  const members = new Map<string, number>()

  /** The fixed text for table `index`'s block (the preamble before the first), or the epilogue after the last. */
  const fixed = (index: number, before = ''): ScanState =>
    ({at: 'fixed', text: Buffer.from(before + (index < manifest!.tables.length ? copyLine(manifest!.tables[index]!) : epilogue(manifest!.tables))), matched: 0, next: index})

  const startTable = async (index: number) => {
    if (index >= manifest!.tables.length) return {at: 'end'} as const
    const table = manifest!.tables[index]!
    const byUser = table.name === 'users' ? users : table.name === 'memberships' ? members : undefined
    return {at: 'data', table, index, hash: createHash('sha256'), rows: 0, fields: table.columns.length,
      idColumn: table.columns.indexOf(table.name === 'tenants' ? 'id' : 'tenant_id'),
      userColumn: byUser ? table.columns.indexOf(table.name === 'users' ? 'id' : 'user_id') : -1, userIds: byUser, sink: await options.sinkFor?.(table)} as const
  }

  /** One data line, buf[from, to): the table's number of fields, and the tenant's id in its tenant column. */
  const checkRow = (s: Extract<ScanState, {at: 'data'}>, buf: Buffer, from: number, to: number) => {
    let field = 0
    let ours = s.idColumn === -1
    for (let p = from; ; field++) {
      const tab = buf.indexOf(9, p)
      const end = tab === -1 || tab > to ? to : tab
      if (field === s.idColumn) ours = end - p === tenantId.length && buf.compare(tenantId, 0, tenantId.length, p, end) === 0
      if (field === s.userColumn) s.userIds!.set(buf.toString('latin1', p, end), line + s.rows + 1)
      if (end === to) break
      p = tab + 1
    }
    if (field + 1 !== s.fields) throw tampered(`Line ${line + s.rows + 1} has ${field + 1} of the ${s.fields} fields of table ${s.table.name}`, line + s.rows + 1)
    if (!ours) throw tampered(`Table ${s.table.name} holds rows of another tenant`, line + s.rows + 1)
  }

  /** Data lines from buf[pos]: up to the block's `\.` (then the next fixed text), or the last whole line. */
  const data = async (s: Extract<ScanState, {at: 'data'}>, buf: Buffer, pos: number): Promise<number> => {
    const from = pos
    const take = async (to: number) => {
      if (to === from) return
      const lines = buf.subarray(from, to)
      s.hash.update(lines)
      await s.sink?.write(lines)
    }
    for (;;) {
      const nl = buf.indexOf(10, pos)
      if (nl === -1) {
        await take(pos)
        carry = buf.subarray(pos)
        return buf.length
      }
      if (nl - pos === 2 && buf[pos] === 0x5c && buf[pos + 1] === 0x2e) {
        await take(pos)
        await s.sink?.end()
        if (s.table.sha256 !== s.hash.digest('hex') || s.table.rows !== s.rows) throw tampered(`The rows of ${s.table.name} do not match the manifest's checksum`, line + s.rows + 1)
        line += s.rows + 1
        rows += s.rows
        state = fixed(s.index + 1)
        return nl + 1
      }
      checkRow(s, buf, pos, nl)
      s.rows++
      pos = nl + 1
    }
  }

  /** Bytes after the manifest line. */
  const body = async (buf: Buffer) => {
    let pos = 0
    while (pos < buf.length) {
      const s: ScanState = state
      if (s.at === 'data') {
        pos = await data(s, buf, pos)
      } else if (s.at === 'fixed') {
        const n = Math.min(s.text.length - s.matched, buf.length - pos)
        if (buf.compare(s.text, s.matched, s.matched + n, pos, pos + n) !== 0) {
          let at = s.matched
          while (buf[pos + at - s.matched] === s.text[at]) at++
          const before = s.text.subarray(0, at).toString()
          const lineNo = line + before.split('\n').length
          const wanted = s.text.toString().split('\n')[lineNo - line - 1]!
          throw tampered(`Line ${lineNo} is not what anthias writes there (expected ${JSON.stringify(wanted.length > 80 ? wanted.slice(0, 80) + '...' : wanted)})`, lineNo)
        }
        s.matched += n
        pos += n
        if (s.matched === s.text.length) {
          line += s.text.toString().split('\n').length - 1
          state = await startTable(s.next)
        }
      } else if (s.at === 'end') {
        throw tampered(`Line ${line + 1}: the file goes on after COMMIT`, line + 1)
      }
    }
  }

  /** The header lines from the first bytes; true once the manifest is read. */
  const header = async (buf: Buffer): Promise<boolean> => {
    const first = buf.indexOf(10)
    const second = first === -1 ? -1 : buf.indexOf(10, first + 1)
    if (second === -1) {
      if (buf.length > HEAD_LIMIT) throw tampered(`${path} is not an anthias tenant backup`, 1)
      carry = buf
      return false
    }
    let text: string
    try {
      text = utf8.decode(buf.subarray(0, second))
    } catch {
      throw tampered(`${path} is not an anthias tenant backup (not UTF-8)`, 1)
    }
    const [magic, manifestLine] = text.split('\n') as [string, string]
    manifest = parseManifest(path, magic, manifestLine)
    tenantId = Buffer.from(manifest.tenant.id)
    totalRows = manifest.tables.reduce((n, t) => n + t.rows, 0)
    carry = Buffer.alloc(0)
    if (options.headOnly) return true
    line = 2
    state = fixed(0, PREAMBLE)
    const rest = buf.subarray(second + 1)
    whole.update(rest)
    await body(rest)
    return true
  }

  const progress = () => {
    const s: ScanState = state
    options.onProgress?.({phase: 'read', table: s.at === 'data' ? s.table.name : undefined, rows: rows + (s.at === 'data' ? s.rows : 0), bytes, totalRows, totalBytes: size})
  }
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      bytes += chunk.length
      if (chunk.includes(13)) throw tampered(`${path} holds a carriage return (CR), which anthias never writes`)
      if (state.at === 'head') {
        if ((await header(carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk)) && options.headOnly) break
        continue
      }
      whole.update(chunk)
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk
      carry = Buffer.alloc(0)
      await body(buf)
      progress()
    }
  } catch (error) {
    const failure = error instanceof AppError ? error : tampered(`${path} cannot be read (${(error as Error).message}): it is truncated or damaged`)
    if (state.at === 'data') state.sink?.abort(failure)
    input.destroy()
    throw failure
  }
  if (!manifest) throw tampered(carry.length === 0 ? `${path} is empty` : `${path} is not an anthias tenant backup`, 1)
  if (options.headOnly) return manifest
  if (state.at !== 'end' || carry.length > 0) {
    const failure = tampered(`${path} is truncated`)
    if (state.at === 'data') state.sink?.abort(failure)
    throw failure
  }
  if (manifest.sha256 !== undefined && manifest.sha256 !== whole.digest('hex')) throw tampered(`${path} does not match the manifest's checksum of the whole file`)
  // the writer writes the users of the tenant's members, and no one else: users are global, so another would reach beyond the tenant
  for (const [id, at] of users) if (!members.has(id)) throw tampered(`Line ${at}: user ${id} is no member of the tenant (no memberships row of the file names it)`, at)
  for (const [id, at] of members) if (!users.has(id)) throw tampered(`Line ${at}: the membership of user ${id} has no users row in the file`, at)
  progress()
  return manifest
}

/** The manifest alone, from the first two lines. */
export const readManifest = (input: Input): Promise<Manifest> => scan(input, {headOnly: true})

/**
 * Read a backup once, checking everything (see scan); each table's data
 * lines also go to the sink `sinkFor` gives, if any.
 */
export const scanBackup = (input: Input, sinkFor?: (table: TableManifest) => Promise<BlockSink | undefined>, onProgress?: OnProgress): Promise<Manifest> => scan(input, {sinkFor, onProgress})

/** Verify a backup without restoring it; returns its manifest. */
export const readBackup = (input: Input, onProgress?: OnProgress) => scanBackup(input, undefined, onProgress)

export interface RestoreOptions {
  mode?: 'replace' | 'merge'
  /** restore under this subdomain, as a new tenant */
  as?: string
  /** only this table (recover) */
  table?: string
  /** the exact name of the live tenant that a whole restore in replace mode overwrites: required when there is one */
  confirmName?: string
  /** makes the file for a verified backup of that live tenant, written before it is overwritten */
  backup?: () => Promise<PublishableFile>
  /** phases read (the file, per chunk), backup, compress, verify (of that backup), write (per table) */
  onProgress?: OnProgress
}

/** A pending invitation of a copy, re-issued with a new token (shown once). */
export interface ReissuedInvitation {
  email: string
  token: string
  expiresAt: Date
}

export interface RestoreResult {
  tenantId: string
  subdomain: string
  mode: 'replace' | 'merge'
  /** rows in the tenant after the restore, per table, checked against the manifest */
  rows: Record<string, number>
  /** the verified backup of the live tenant this restore overwrote */
  backup?: string
  /** a copy (--as) gets none of the original's credentials: no API keys, its pending invitations re-issued */
  copy?: {apiKeysDropped: number; invitations: ReissuedInvitation[]}
  durationMs: number
}

/** A staging table shaped like `table`, and a sink that COPYs data lines into it. */
async function stage(tx: TransactionSql, table: TableManifest): Promise<{name: string; sink: BlockSink}> {
  const name = `stage_${table.name}`
  await tx.unsafe(`create temp table ${quote(name)} (like ${quote(table.name)} including defaults) on commit drop`)
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

/** The rows of `tenants` that a frozen transaction holds. */
export interface FrozenTenant {
  id: string
  name: string
  subdomain: string
}

/** Write a backup of a frozen tenant from the transaction's snapshot into the file `make` gives, verify it, and name it. */
export type FrozenBackup = (tenant: FrozenTenant, make: () => Promise<PublishableFile>) => Promise<BackupResult>

const LOCK_NOT_AVAILABLE = '55P03'
const FOREIGN_KEY_VIOLATION = '23503'
/** serialization failure, deadlock: a concurrent change the snapshot cannot see */
const CONCURRENT_CHANGE = new Set(['40001', '40P01'])
const ATTEMPTS = 5
const LOCK_WAITS = 100

/**
 * Run `work` in one REPEATABLE READ transaction that holds the rows of the
 * tenants with these `ids` FOR UPDATE from its first statement: those tenants
 * are frozen. A row inserted into any tenant table takes a KEY SHARE lock on
 * its tenant row (the foreign key), so no insert for them commits before this
 * transaction ends, and what it reads, backs up and changes is one snapshot.
 *
 * The lock is taken NOWAIT by the statement that takes the snapshot: while
 * writers hold it, the transaction waits for them and starts again, so its
 * snapshot sees what they wrote. A concurrent change to a row it touches, a
 * deadlock and, with `retryForeignKey` (a delete), a row that slipped in
 * before the lock (its foreign key still referenced) start it again too, up
 * to ATTEMPTS times; then TENANT_BUSY. `backup` writes a verified backup from
 * the snapshot (progress: phases backup, compress, verify); the file is removed
 * when the transaction does not commit.
 */
/**
 * Lock these tenants' rows FOR UPDATE, one by one in id order (on Citus, a row
 * lock is taken on one shard at a time); returns those that exist.
 */
async function lockTenantRows(tx: TransactionSql, ids: (string | undefined)[], mode: 'wait' | 'nowait'): Promise<FrozenTenant[]> {
  const tenants: FrozenTenant[] = []
  for (const id of [...new Set(ids.filter((i) => i !== undefined))].sort()) {
    tenants.push(...(await tx<FrozenTenant[]>`select t.id, t.name, t.subdomain from tenants t where t.id = ${id} ${mode === 'nowait' ? tx`for update nowait` : tx`for update`}`))
  }
  return tenants
}

export async function withFrozenTenants<T>(
  sql: Sql,
  ids: (string | undefined)[],
  action: string,
  work: (tx: TransactionSql, tenants: FrozenTenant[], backup: FrozenBackup) => Promise<T>,
  options: {retryForeignKey?: boolean; onProgress?: OnProgress} = {},
): Promise<T> {
  const {onProgress} = options
  for (let conflicts = 0, waits = 0; ; ) {
    const written: PublishableFile[] = []
    let committing = false
    try {
      return (await sql.begin('isolation level repeatable read', async (tx) => {
        const tenants = await lockTenantRows(tx, ids, 'nowait')
        const result = await work(tx, tenants, async (tenant, make) => {
          const file = await make()
          written.push(file)
          const backup = await backupTenant(sql, tenant.id, file, {snapshot: tx, onProgress})
          // verified as written, through the open file, then named
          await readBackup({name: file.name, size: backup.bytes, open: () => readStreamOf(file.handle)}, onProgress && ((p) => onProgress({...p, phase: 'verify'})))
          await file.publish()
          return backup
        })
        committing = true
        return result
      })) as T
    } catch (error) {
      // what did not commit changed nothing, and leaves no backup of it behind
      if (!committing) for (const file of written) await file.remove()
      const code = (error as {code?: string}).code ?? ''
      const busy = code === LOCK_NOT_AVAILABLE || CONCURRENT_CHANGE.has(code) || (options.retryForeignKey === true && code === FOREIGN_KEY_VIOLATION)
      if (!busy || committing) throw error
      if (code === LOCK_NOT_AVAILABLE ? ++waits > LOCK_WAITS : ++conflicts >= ATTEMPTS) {
        throw conflict('TENANT_BUSY', `Could not ${action}: the tenant kept changing while it ran; nothing was changed.`, {
          cause: error,
          suggestions: ['Try again once the writes to the tenant have stopped.'],
        })
      }
      // wait for the writers that hold the tenant rows, then start again with a new snapshot
      if (code === LOCK_NOT_AVAILABLE) await sql.begin((tx) => lockTenantRows(tx, ids, 'wait'))
    }
  }
}

/**
 * The live tenant that restoring `path` with `options` would overwrite (a whole
 * restore in replace mode), if any; the whole file is verified first when there
 * is one, so nobody confirms an overwrite with a file that would be refused.
 */
export async function tenantToReplace(sql: Sql, input: Input, options: RestoreOptions, onProgress?: OnProgress): Promise<FrozenTenant | undefined> {
  if ((options.mode ?? 'replace') !== 'replace' || options.as !== undefined || options.table !== undefined) return undefined
  const {tenant} = await readManifest(input)
  if (!isUuid(tenant.id)) return undefined
  const [live] = await sql<FrozenTenant[]>`select id, name, subdomain from tenants where id = ${tenant.id}`
  if (live) await readBackup(input, onProgress)
  return live
}

/**
 * A copy gets no live credential of the original: its API keys are dropped
 * (new ones are made with apikey create) and each pending invitation gets a
 * new token, returned once; the original's keys and tokens do not open it.
 */
async function withoutCredentials(tx: TransactionSql, staged: Map<string, string>): Promise<NonNullable<RestoreResult['copy']>> {
  const keys = staged.get('api_keys')
  const apiKeysDropped = keys ? (await tx.unsafe(`delete from ${quote(keys)}`)).count : 0
  const memberships = staged.get('memberships')
  const users = staged.get('users')
  if (!memberships || !users) return {apiKeysDropped, invitations: []}
  await tx.unsafe(`update ${quote(memberships)} set invitation_token_hash = null where status <> 'invited'`)
  const pending = await tx.unsafe<{userId: string; email: string}[]>(
    `select m.user_id, u.email from ${quote(memberships)} m join ${quote(users)} u on u.id = m.user_id where m.status = 'invited' order by u.email`,
  )
  const expiresAt = expiresIn(DEFAULT_INVITATION_DAYS)
  const issued = pending.map((p) => ({...p, ...newToken('inv')}))
  if (issued.length > 0) {
    await tx.unsafe(
      `update ${quote(memberships)} m set invitation_token_hash = v.hash, invitation_expires_at = $3
       from unnest($1::uuid[], $2::text[]) as v(user_id, hash) where m.user_id = v.user_id`,
      [issued.map((i) => i.userId), issued.map((i) => i.hash), expiresAt],
    )
  }
  return {apiKeysDropped, invitations: issued.map(({email, token}) => ({email, token, expiresAt}))}
}

async function primaryKey(tx: TransactionSql, table: string): Promise<string[]> {
  const rows = await tx<{name: string}[]>`
    select a.attname as name from pg_index i
    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
    where i.indrelid = ${table}::regclass and i.indisprimary
    order by array_position(i.indkey, a.attnum)`
  return rows.map((r) => r.name)
}

/**
 * The sequences of the restored tables' identity and serial columns, found
 * from the catalog, moved past the ids a restore inserted (they come from
 * another database, or from before a delete), never back, by the statement a
 * backup file ends with for psql.
 */
async function advanceSequences(tx: TransactionSql, staged: Map<string, string>): Promise<void> {
  for (const {table, column} of await sequenceColumns(tx, [...staged.keys()])) await tx.unsafe(advanceSequence(table, column, quote(staged.get(table)!)))
}

/**
 * Restore a backup (or one table of it: recover) in one frozen transaction;
 * row counts are checked before commit. Overwriting a live tenant takes its
 * exact name (`confirmName`) and, with `backup`, a verified backup of it first,
 * in the same snapshot. Recovering a table updates the rows the backup has in
 * place and deletes only those it lacks, so rows of other tables that refer to
 * them keep their links (an ON DELETE SET NULL key would lose them otherwise).
 */
export async function restoreTenant(sql: Sql, input: Input, options: RestoreOptions, ctx: Context): Promise<RestoreResult> {
  const started = performance.now()
  const mode = options.mode ?? 'replace'
  const manifest = await readManifest(input)
  const inBackup = manifest.tables.map((t) => t.name)
  const {schemaVersion} = await migrationStatus(sql)
  if (manifest.schemaVersion > schemaVersion) {
    throw new AppError('BACKUP_SCHEMA_NEWER', `The backup is of schema version ${manifest.schemaVersion}; this database is at ${schemaVersion}.`, {
      suggestions: [{command: 'db.migrate', text: 'Upgrade anthias (and run {command}) before restoring.'}],
    })
  }
  if (!isUuid(manifest.tenant.id)) throw tampered("The manifest's tenant id is not a uuid")
  if (options.table && !inBackup.includes(options.table)) {
    throw new AppError('TABLE_NOT_IN_BACKUP', `The backup has no table ${options.table}. Tables: ${inBackup.join(', ')}.`, {field: 'table'})
  }
  if (options.table && ['tenants', 'users'].includes(options.table)) {
    throw new AppError('TABLE_NOT_RECOVERABLE', `${options.table} cannot be recovered on its own; restore the whole tenant instead.`, {field: 'table'})
  }
  const newSubdomain = options.as === undefined ? undefined : judgeSubdomain(options.as)
  if (newSubdomain && !newSubdomain.ok) throw new AppError(newSubdomain.code, `The copy's subdomain ${newSubdomain.reason}`, {field: 'as'})
  const tenantId = newSubdomain ? randomUUID() : manifest.tenant.id
  const subdomain = newSubdomain?.subdomain ?? manifest.tenant.subdomain
  const tables = options.table ? [options.table] : inBackup
  const manifestOf = new Map(manifest.tables.map((t) => [t.name, t]))
  const recover = options.table !== undefined && mode === 'replace'
  const subdomainField = newSubdomain ? 'as' : 'subdomain'
  // looked up before the transaction, whose first statement takes the locks and the snapshot
  const ids = [tenantId, await tenantIdBySubdomain(sql, subdomain)]
  return withFrozenTenants(sql, ids, `restore tenant ${subdomain}`, async (tx, locked, backup) => {
    const existing = locked.find((t) => t.id === tenantId)
    if (locked.some((t) => t.id !== tenantId)) {
      throw conflict('SUBDOMAIN_TAKEN', `Subdomain "${subdomain}" belongs to another tenant.`, {field: subdomainField, suggestions: [asCopy(input)]})
    }
    if (options.table && !existing) throw new AppError('TENANT_NOT_FOUND', `Tenant ${subdomain} does not exist; restore the whole backup first.`)
    // one pass over the file: verified as it is read, and each table COPYed into its staging table
    const staged = new Map<string, string>()
    await scanBackup(input, async (table) => {
      if (!tables.includes(table.name)) return undefined
      const {name, sink} = await stage(tx, table)
      staged.set(table.name, name)
      return sink
    }, options.onProgress)
    // the file is whole and verified before anyone's confirmation is asked for or a safety backup written
    let safetyBackup: string | undefined
    if (existing && mode === 'replace' && !options.table) {
      checkConfirmedName(existing, options.confirmName, 'nothing was restored', {command: 'tenant.restore', args: {file: input.name}}, [
        {...asCopy(input), text: 'Or restore a copy beside it ({command}),'},
        {command: 'tenant.restore', args: {file: input.name, mode: 'merge'}, text: 'or add only the missing rows: {command}'},
      ])
      if (options.backup) safetyBackup = (await backup(existing, options.backup)).path
    }
    const expected = new Map(manifest.tables.map((t) => [t.name, t.rows]))
    let copy: RestoreResult['copy']
    if (newSubdomain) {
      for (const [table, name] of staged) {
        if (table === 'tenants') await tx.unsafe(`update ${quote(name)} set id = $1, subdomain = $2, custom_domain = null`, [tenantId, subdomain])
        else if (table !== 'users') await tx.unsafe(`update ${quote(name)} set tenant_id = $1`, [tenantId])
      }
      copy = await withoutCredentials(tx, staged)
      expected.set('api_keys', 0)
    }
    if (staged.has('users')) {
      // users are global: one that exists already (by id, else by email) keeps its account untouched; the tenant's rows follow it
      await tx.unsafe(`insert into users select * from stage_users s where not exists (select 1 from users u where u.id = s.id or lower(u.email) = lower(s.email))`)
      const remap = `select s.id as old_id, u.id as new_id from stage_users s join users u on lower(u.email) = lower(s.email)
        where u.id <> s.id and not exists (select 1 from users x where x.id = s.id)`
      for (const [table, column] of [['memberships', 'user_id'], ['assets', 'created_by']] as const) {
        if (staged.has(table)) await tx.unsafe(`update ${quote(staged.get(table)!)} t set ${column} = m.new_id from (${remap}) m where t.${column} = m.old_id`)
      }
    }
    if (mode === 'replace' && !options.table) {
      const childrenFirst = (await tenantTablesChildrenFirst(tx)).filter((t) => staged.has(t))
      for (const table of childrenFirst) await tx.unsafe(`delete from ${quote(table)} where tenant_id = $1`, [tenantId])
    }
    // sequences first: a row a trigger adds as the tenant is written (a provisioning event) takes an id past the restored ones
    await advanceSequences(tx, staged)
    const written = {rows: 0, totalRows: tables.reduce((n, t) => n + (t === 'users' ? 0 : manifestOf.get(t)!.rows), 0)}
    for (const table of tables) {
      if (table === 'users') continue
      options.onProgress?.({phase: 'write', table, ...written})
      written.rows += manifestOf.get(table)!.rows
      const name = staged.get(table)!
      const columnList = manifestOf.get(table)!.columns
      const columns = columnList.map(quote).join(', ')
      if (table === 'tenants') {
        const update = columnList.filter((c) => c !== 'id').map((c) => `${quote(c)} = excluded.${quote(c)}`).join(', ')
        const [restored] = await tx.unsafe<{customDomain: string | null}[]>(`select custom_domain from ${quote(name)}`)
        try {
          await tx.unsafe(`insert into tenants (${columns}) select ${columns} from ${quote(name)} on conflict (id) do ${mode === 'replace' ? `update set ${update}` : 'nothing'}`)
          await claimDomains(tx, [{tenantId, subdomain, customDomain: restored?.customDomain}])
        } catch (error) {
          throw domainTaken(error, input, subdomain, restored?.customDomain ?? null, subdomainField) ?? error
        }
        // a whole replace emptied the tenant's rows: any there now were made by writing the tenant (the
        // tenant.created or tenant.updated events of sql/migrations/0008_queue.up.sql), and are expected too
        if (mode === 'replace') {
          for (const made of tables.filter((t) => t !== 'tenants' && t !== 'users')) {
            const [count] = await tx.unsafe<{n: number}[]>(`select count(*)::int as n from ${quote(made)} where tenant_id = $1`, [tenantId])
            expected.set(made, expected.get(made)! + count!.n)
          }
        }
        continue
      }
      let onConflict = mode === 'merge' ? ' on conflict do nothing' : ''
      if (recover) {
        // the rows the backup lacks go; the others are updated in place, so nothing that refers to them is cut off
        const key = await primaryKey(tx, table)
        if (key.length === 0) throw new AppError('TABLE_NOT_RECOVERABLE', `${table} has no primary key to recover its rows by.`, {field: 'table'})
        // the staged keys as a CTE: Citus cannot read a temporary table inside a DELETE on a distributed one
        const keys = key.map(quote).join(', ')
        await tx.unsafe(`with keep as materialized (select ${keys} from ${quote(name)}) delete from ${quote(table)} t where t.tenant_id = $1 and (${key.map((c) => `t.${quote(c)}`).join(', ')}) not in (select ${keys} from keep)`, [tenantId])
        const update = columnList.filter((c) => !key.includes(c)).map((c) => `${quote(c)} = excluded.${quote(c)}`)
        onConflict = ` on conflict (${key.map(quote).join(', ')}) do ${update.length > 0 ? `update set ${update.join(', ')}` : 'nothing'}`
      }
      // a whole replace emptied the tenant's rows first: a plain insert, without conflict handling, is the fast path.
      // As the connecting role, like the rest of the transaction (on Citus the shards a transaction touched keep
      // the role that touched them): every staged row is the tenant's, the scan checked each one
      await tx.unsafe(`insert into ${quote(table)} (${columns}) overriding system value select ${columns} from ${quote(name)}${onConflict}`)
    }
    options.onProgress?.({phase: 'write', ...written})
    const rows: Record<string, number> = {}
    for (const table of tables) {
      const [count] = table === 'users'
        ? await tx.unsafe<{n: number}[]>(`select count(*)::int as n from memberships where tenant_id = $1`, [tenantId])
        : await tx.unsafe<{n: number}[]>(`select count(*)::int as n from ${quote(table)} where ${table === 'tenants' ? 'id' : 'tenant_id'} = $1`, [tenantId])
      rows[table] = count!.n
      const want = expected.get(table)!
      const ok = table === 'users' ? true : mode === 'replace' ? count!.n === want : count!.n >= want
      if (!ok) {
        throw new AppError('RESTORE_COUNT_MISMATCH', `${table}: ${count!.n} rows after the restore, the backup has ${want}; rolled back.`)
      }
    }
    await writeAudit(tx, {
      actor: ctx.actor,
      action: options.table ? 'tenant.recover' : 'tenant.restore',
      tenantId,
      subject: subdomain,
      arguments: {
        file: input.name, mode, as: options.as, table: options.table, from: manifest.tenant, rows, backup: safetyBackup,
        ...(copy ? {apiKeysDropped: copy.apiKeysDropped, invitationsReissued: copy.invitations.map((i) => i.email)} : {}),
      },
    })
    return {tenantId, subdomain, mode, rows, backup: safetyBackup, copy, durationMs: Math.round(performance.now() - started)}
  }, {onProgress: options.onProgress})
}

/** Restore the backup as a new tenant, its subdomain to be chosen. */
const asCopy = (input: Input): Action => ({command: 'tenant.restore', args: {file: input.name, as: null}, text: 'Restore it as a copy: {command}'})

/** A unique violation on the restored tenant's subdomain or custom domain (another tenant holds it) as a conflict. */
function domainTaken(error: unknown, input: Input, subdomain: string, customDomain: string | null, subdomainField: string): AppError | undefined {
  const taken = domainConflict(error, {subdomain, customDomain}, (path) => (path[0] === 'subdomain' ? subdomainField : 'custom_domain'))
  if (!taken) return undefined
  return new AppError(taken.code, `${taken.message} Nothing was restored.`, {
    field: taken.field,
    cause: error,
    suggestions: taken.code === 'CUSTOM_DOMAIN_TAKEN'
      ? [{command: 'tenant.update', args: {tenant: null, clearCustomDomain: true}, text: 'Remove it from the other tenant first ({command}),'}, {...asCopy(input), text: 'or restore a copy ({command}): a copy has no custom domain.'}]
      : [asCopy(input)],
  })
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

