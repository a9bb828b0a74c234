import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import createClient from 'openapi-fetch'

import {createOperatorToken, type Scope, SCOPES} from '../../src/lib/operator-tokens.js'
import {buildServer, type App, type ServerOptions} from '../../src/server/app.js'
import type {paths} from '../client/api.js'
import {BIN} from './cli.js'
import {createTestDatabase, type TestDatabase} from './db.js'

export type Client = ReturnType<typeof createClient<paths>>

export interface TestServer {
  url: string
  /** where DELETE writes its backups */
  backupDir: string
  db: TestDatabase
  app: App
  /** a new operator token with these scopes (all by default) */
  token(scopes?: Scope[], options?: {name?: string; expiresIn?: string}): Promise<string>
  /** the generated client (test/client/api.d.ts) with this bearer token */
  client(token?: string): Client
  close(): Promise<void>
}

let tokens = 0

/** The API in this process, listening on 127.0.0.1 on a free port, on a database of its own. */
export async function startServer(options: Partial<ServerOptions> = {}, db?: TestDatabase): Promise<TestServer> {
  const t = db ?? (await createTestDatabase())
  const backupDir = await mkdtemp(join(tmpdir(), 'anthias-serve-backups-'))
  const app = await buildServer({sql: t.sql, baseDomain: 'anthias.app', backupDir, ...options})
  const url = await app.listen({host: '127.0.0.1', port: 0})
  return {
    url,
    backupDir,
    db: t,
    app,
    async token(scopes = [...SCOPES], opts = {}) {
      const created = await createOperatorToken(t.sql, {name: opts.name ?? `test-${process.pid}-${++tokens}`, scopes, expiresIn: opts.expiresIn}, {actor: 'test', baseDomain: 'anthias.app'})
      return created.token
    },
    client(token) {
      return createClient<paths>({baseUrl: url, headers: token === undefined ? {} : {authorization: `Bearer ${token}`}})
    },
    async close() {
      await app.close()
      await rm(backupDir, {recursive: true, force: true})
      if (!db) await t.drop()
    },
  }
}

/** A raw request, for what the typed client would not send (bad JSON, odd headers) and for exact bytes. */
export async function request(url: string, init: RequestInit & {token?: string; json?: unknown} = {}) {
  const {token, json, ...rest} = init
  const headers = new Headers(rest.headers)
  if (token !== undefined) headers.set('authorization', `Bearer ${token}`)
  if (json !== undefined) headers.set('content-type', 'application/json')
  const response = await fetch(url, {...rest, headers, body: json === undefined ? rest.body : JSON.stringify(json)})
  const text = await response.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  return {status: response.status, headers: response.headers, text, body: body as Record<string, unknown> & {code?: string; errors?: {code: string; pointer?: string}[]}}
}

export interface ServeProcess {
  child: ChildProcess
  /** its address, once it listens */
  url: Promise<string>
  /** what it wrote on stdout so far: the request log, then the --json result */
  stdout: () => string
  exited: Promise<number | null>
}

/** `anthias serve` as the built CLI runs it, on 127.0.0.1 and a free port (`--port 0`), with `env` over the test's own. */
export function serveProcess(env: NodeJS.ProcessEnv, args: string[] = []): ServeProcess {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {env: {...process.env, ...env, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => (stdout += d))
  const url = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      stderr += d
      const found = /listening on (\S+)/.exec(stderr)
      if (found) resolve(found[1]!)
    })
    child.once('exit', () => reject(new Error(`serve exited: ${stderr}`)))
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {child, url, stdout: () => stdout, exited}
}

/** A process's resident set (VmRSS in /proc/PID/status), in bytes. */
export async function residentBytes(pid: number): Promise<number> {
  const found = /^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))
  if (!found) throw new Error(`no VmRSS for process ${pid}`)
  return Number(found[1]) * 1024
}
