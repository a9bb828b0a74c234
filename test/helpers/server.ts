import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import createClient from 'openapi-fetch'

import {createOperatorToken, type Scope, SCOPES} from '../../src/lib/operator-tokens.js'
import {buildServer, type App, type ServerOptions} from '../../src/server/app.js'
import type {paths} from '../client/api.js'
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
