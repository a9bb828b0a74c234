import {connect, type Socket} from 'node:net'

import type {Sql} from 'postgres'

import {AppError, ExitCode} from '../errors.js'
import {EmbeddedServer} from './embedded.js'
import {migrate} from './migrations.js'
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
    exit: ExitCode.unreachable,
    cause: error,
    details: {source, reason: e.code},
    suggestions: [
      'Check that the server is running and accepts TCP connections on that host and port.',
      'Check the user, password and database name in the URL.',
      source === 'embedded'
        ? 'Run `anthias db status` to see the embedded server.'
        : `The URL came from ${source === 'flag' ? '--database-url' : source}; unset it to use the embedded server.`,
    ],
  })
}

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

export const isUnreachableError = (error: unknown) => UNREACHABLE.has(String((error as {code?: string})?.code))

/** Connect (starting the embedded server when no URL is given) and bring the schema up to date. */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  const target = resolveConnectionTarget(options.databaseUrl, options.env ?? process.env)
  const embedded = target.source === 'embedded' ? new EmbeddedServer(options.dataDir) : undefined
  const url = target.url ?? (await embedded!.acquire())
  const displayUrl = maskUrl(url)
  const {default: postgres} = await import('postgres')
  let sql: Sql
  try {
    sql = postgres(url, {
      max: options.max ?? 10,
      connect_timeout: 10,
      onnotice: () => undefined,
      // column names only: jsonb values (settings, policies) keep their keys as stored
      transform: {column: {from: postgres.toCamel, to: postgres.fromCamel}},
      connection: {application_name: 'anthias'},
      // not in postgres.js's type definitions, but a documented option
      ...({socket: connectNoDelay} as object),
    })
  } catch (error) {
    await embedded?.release()
    throw unreachable(error, displayUrl, target.source)
  }
  const close = async () => {
    await sql.end({timeout: 5})
    await embedded?.release()
  }
  try {
    await sql`select 1`
    if (options.migrate !== false) await migrate(sql)
  } catch (error) {
    await close()
    throw isUnreachableError(error) ? unreachable(error, displayUrl, target.source) : error
  }
  return {sql, source: target.source, displayUrl, embedded, close}
}
