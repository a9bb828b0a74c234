import {connect, type Socket} from 'node:net'
import {dirname} from 'node:path'

import type {Sql} from 'postgres'

import {AppError} from '../errors.js'
import type {EmbeddedServer} from './embedded.js'
import {manifestChecksums, migrate} from './migrations.js'
import {CITUS_STARTUP} from './tenant-context.js'
import {type ConnectionSource, maskUrl, resolveConnectionTarget} from './url.js'

export interface OpenOptions {
  /** `--database-url`; else ANTHIAS_DATABASE_URL, DATABASE_URL, the embedded server */
  databaseUrl?: string
  /** where the embedded server lives (see resolveDataDir) */
  dataDir: string
  /** apply pending schema migrations (default true) */
  migrate?: boolean
  env?: NodeJS.ProcessEnv
  /** connections in the pool (default 10) */
  max?: number
  /** cancel any statement running longer, in milliseconds; off unless given */
  statementTimeout?: number
}

export interface Database {
  sql: Sql
  source: ConnectionSource
  /** the URL with its password masked */
  displayUrl: string
  embedded?: EmbeddedServer
  close(): Promise<void>
}

const UNREACHABLE = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'CONNECT_TIMEOUT',
  '28P01', '28000', '3D000', '57P03',
])

function unreachable(error: unknown, displayUrl: string, source: ConnectionSource): AppError {
  const e = error as {code?: string; message?: string}
  return new AppError('DB_UNREACHABLE', `Cannot connect to the database at ${displayUrl}: ${e.message ?? String(error)}`, {
    cause: error,
    details: {source, reason: e.code},
    suggestions: [
      'Check that the server is running and accepts TCP connections on that host and port.',
      'Check the user, password and database name in the URL.',
      source === 'embedded'
        ? {command: 'db.status', text: 'Run `{command}` to see the embedded server.'}
        : `The URL came from ${source === 'flag' ? '--database-url' : source}; unset it to use the embedded server.`,
    ],
  })
}

/** SQLSTATE 3D000: the server is up, but the URL names a database it does not have. */
function databaseMissing(error: unknown, sql: Sql, displayUrl: string, source: ConnectionSource): AppError {
  const o = sql.options as unknown as {database: string; user: string; host: string[]; port: number[]; path?: string | false}
  const where = o.path ? ['-h', dirname(o.path)] : ['-h', o.host[0] ?? 'localhost', '-p', String(o.port[0] ?? 5432)]
  const createdb = ['createdb', ...where, '-U', o.user, o.database].map(shellQuote).join(' ')
  return new AppError('DB_NOT_FOUND', `The database ${JSON.stringify(o.database)} does not exist on the server at ${displayUrl}.`, {
    cause: error,
    details: {source, reason: '3D000', database: o.database},
    suggestions: [`Create it: ${createdb}`, 'Or point the URL at a database that exists; anthias migrates its schema on first use.'],
  })
}

const shellQuote = (word: string) => (/^[\w./:@=+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`)

/**
 * postgres.js's own sockets keep Nagle's algorithm on, which stalls a small
 * message that follows another (a COPY's last data and its CopyDone, say) for
 * the peer's delayed ACK, 40 ms or more. Ours turn it off. (A multi-host URL
 * connects to its first host.)
 */
function connectNoDelay(options: {host: string[]; port: number[]; path?: string | false}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = options.path
      ? connect({path: options.path})
      : connect({host: options.host[0] ?? 'localhost', port: options.port[0] ?? 5432, noDelay: true})
    socket.once('connect', () => {
      socket.off('error', reject)
      resolve(socket)
    })
    socket.once('error', reject)
  })
}

/** Durations as PostgreSQL writes them: 10s, 500ms, 2min, 0 (off); no unit is milliseconds. */
const DURATION = /^(\d+)\s*(ms|s|min|h)?$/
const UNIT_MS = {ms: 1, s: 1000, min: 60_000, h: 3_600_000}
export const DEFAULT_LOCK_TIMEOUT = '10s'
export const DEFAULT_STATEMENT_TIMEOUT = '60s'

/** A duration in milliseconds from the environment (variable `name`), or `fallback`; anything else is refused. */
export function durationFromEnv(name: string, fallback: string, env: NodeJS.ProcessEnv = process.env): number {
  const value = env[name]?.trim() || fallback
  const match = DURATION.exec(value)
  if (!match) {
    throw new AppError('TIMEOUT_INVALID', `${name}=${value} is not a duration.`, {
      field: name,
      suggestions: [`Set ${name} to a duration such as 10s, 500ms or 2min (0 waits for ever).`],
    })
  }
  return Number(match[1]) * UNIT_MS[(match[2] ?? 'ms') as keyof typeof UNIT_MS]
}

/** What every pool of ours shares. */
const poolOptions = (postgres: typeof import('postgres')) => ({
  connect_timeout: 10,
  onnotice: () => undefined,
  // column names only: jsonb values (settings, policies) keep their keys as stored
  transform: {column: {from: postgres.toCamel, to: postgres.fromCamel}},
  // not in postgres.js's type definitions, but a documented option
  ...({socket: connectNoDelay} as object),
})

/**
 * A pool on the same server, database and connection parameters (TLS, timeouts)
 * as `sql`, logging in as another role.
 */
export async function connectAs(sql: Sql, login: {user: string; password: string}, max: number): Promise<Sql> {
  const {default: postgres} = await import('postgres')
  const o = sql.options
  return postgres({
    ...poolOptions(postgres),
    ...({host: o.host, port: o.port, path: o.path, ssl: o.ssl, target_session_attrs: o.target_session_attrs} as object),
    database: o.database,
    user: login.user,
    pass: login.password,
    max,
    connection: o.connection,
  })
}

export const isUnreachableError = (error: unknown) => UNREACHABLE.has(String((error as {code?: string})?.code))

/** Connect (starting the embedded server when no URL is given) and bring the schema up to date. */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  const target = resolveConnectionTarget(options.databaseUrl, options.env ?? process.env)
  const lockTimeout = durationFromEnv('ANTHIAS_LOCK_TIMEOUT', DEFAULT_LOCK_TIMEOUT, options.env)
  // the embedded server's code is loaded only to use it
  const embedded = target.source === 'embedded' ? new (await import('./embedded.js')).EmbeddedServer(options.dataDir) : undefined
  const url = target.url ?? (await embedded!.acquire())
  const displayUrl = maskUrl(url)
  const {default: postgres} = await import('postgres')
  let sql: Sql
  try {
    sql = postgres(url, {
      ...poolOptions(postgres),
      max: options.max ?? 10,
      // startup parameters: no command waits for ever behind another transaction's lock
      connection: {
        application_name: 'anthias',
        lock_timeout: lockTimeout,
        ...CITUS_STARTUP,
        ...(options.statementTimeout ? {statement_timeout: options.statementTimeout} : {}),
      },
    })
  } catch (error) {
    await embedded?.release()
    throw unreachable(error, displayUrl, target.source)
  }
  const close = async () => {
    await sql.end({timeout: 5})
    await embedded?.release()
  }
  // the build's checksums are checked against the files while the connection is made; the
  // ledger check is the first statement (the files are read only when it does not match them)
  const checksums = options.migrate === false ? undefined : manifestChecksums()
  // awaited by migrate() after the first statement; a failure before then is not unhandled
  checksums?.catch(() => undefined)
  try {
    if (checksums) await migrate(sql, undefined, {checksums})
    else await sql`select 1`
  } catch (error) {
    await close()
    if ((error as {code?: string}).code === '3D000') throw databaseMissing(error, sql, displayUrl, target.source)
    throw isUnreachableError(error) ? unreachable(error, displayUrl, target.source) : error
  }
  return {sql, source: target.source, displayUrl, embedded, close}
}
