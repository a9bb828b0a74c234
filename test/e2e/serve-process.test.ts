/**
 * `anthias serve` and `anthias token` as the built CLI runs them: a token
 * made, listed, used and revoked; the server's log without secrets; SIGTERM
 * answering the request in flight, then exit 0. And the committed client
 * (test/client/api.d.ts) is what the server's document generates now.
 */
import {readFile} from 'node:fs/promises'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'
import {createTestDatabase, type TestDatabase} from '../helpers/db.js'
import {request, serveProcess} from '../helpers/server.js'
import {partialTenants} from '../helpers/tenants.js'
// @ts-expect-error: a plain JavaScript script
import {CLIENT_FILE, clientTypes} from '../../scripts/api-client.js'

let t: TestDatabase
let env: NodeJS.ProcessEnv

beforeAll(async () => {
  t = await createTestDatabase()
  env = {ANTHIAS_DATABASE_URL: t.url}
})
afterAll(async () => t?.drop())

describe('anthias token and anthias serve', () => {
  it('token create prints the token once and stores its SHA-256; list never shows it; revoke ends it', async () => {
    const created = await cli(['token', 'create', '--name', 'ci', '--scope', 'tenants:read', '--scope', 'TENANTS:WRITE', '--expires-in', '90d', '--json'], {env})
    expect(created.code, created.stderr).toBe(0)
    const token = (created.json!.result as {token: string; scopes: string[]; expiresAt: string})
    expect(token).toMatchObject({token: expect.stringMatching(/^at_[A-Za-z0-9_-]{43}$/), scopes: ['tenants:read', 'tenants:write']})
    const [row] = await t.sql`select token_hash from operator_tokens where name = 'ci'`
    expect(row!.tokenHash).toMatch(/^[0-9a-f]{64}$/)
    expect(row!.tokenHash).not.toContain(token.token)

    const list = await cli(['token', 'list', '--json'], {env})
    expect(list.stdout).not.toContain(token.token)
    expect((list.json!.result as {items: {name: string}[]}).items.find((i) => i.name === 'ci')).toMatchObject({scopes: ['tenants:read', 'tenants:write'], revokedAt: null})

    const taken = await cli(['token', 'create', '--name', 'ci', '--scope', 'bulk', '--json'], {env})
    expect(taken.json!.error).toMatchObject({code: 'TOKEN_NAME_TAKEN'})
    expect(taken.code).toBe(4)
    const bad = await cli(['token', 'create', '--name', 'x y', '--scope', 'everything', '--expires-in', 'soon', '--json'], {env})
    expect(bad.code).toBe(2)
    expect((bad.json!.error as unknown as {errors: {code: string}[]}).errors.map((e) => e.code).sort()).toEqual(['EXPIRY_INVALID', 'SCOPE_UNKNOWN', 'TOKEN_NAME_INVALID'])

    const served = serveProcess(env)
    try {
      const url = await served.url
      expect((await request(`${url}/v1/tenants`, {token: token.token})).status).toBe(200)
      expect((await cli(['token', 'revoke', 'ci', '--json'], {env})).code).toBe(0)
      expect((await request(`${url}/v1/tenants`, {token: token.token})).body).toMatchObject({status: 401, code: 'TOKEN_REVOKED'})
      expect((await cli(['token', 'revoke', 'ci', '--json'], {env})).json!.error).toMatchObject({code: 'TOKEN_NOT_FOUND'})
      const [audit] = await t.sql`select actor, arguments from audit_log where action = 'token.create' and subject = 'ci'`
      expect(JSON.stringify(audit)).not.toContain(token.token)
    } finally {
      served.child.kill('SIGTERM')
      await served.exited
    }
    expect(served.stdout()).not.toContain(token.token)
  })

  /** A token named `name`, `anthias serve --json` started, and a transaction holding an exclusive lock on tenants. */
  const servingBehindLock = async (name: string) => {
    const made = await cli(['token', 'create', '--name', name, '--scope', 'tenants:write', '--json'], {env})
    const token = (made.json!.result as {token: string}).token
    const served = serveProcess(env, ['--json'])
    const url = await served.url
    const blocker = await t.sql.reserve()
    await blocker`begin`
    await blocker`lock table tenants in exclusive mode`
    return {token, served, url, blocker}
  }

  /** Until a request is blocked behind the lock on tenants (it must not be answered first). */
  const waitingOnTenants = async (inFlight: Promise<unknown>) => {
    let answered = false
    void inFlight.finally(() => (answered = true)).catch(() => undefined)
    for (;;) {
      if (answered) throw new Error(`answered before it waited: ${JSON.stringify(await inFlight)}`)
      const [waiting] = await t.sql`select 1 from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'tenants' and not l.granted`
      if (waiting) return
      await new Promise((r) => setTimeout(r, 10))
    }
  }

  it('SIGTERM after a client hung up mid-request: its work still finishes (the tenant whole), then exit 0', async () => {
    const {token, served, url, blocker} = await servingBehindLock('hung-up')
    try {
      const hangUp = new AbortController()
      const inFlight = fetch(`${url}/v1/tenants`, {
        method: 'POST', signal: hangUp.signal,
        headers: {authorization: `Bearer ${token}`, 'content-type': 'application/json'},
        body: JSON.stringify({name: 'Hung Up Co', subdomain: 'hung-up-co', plan: 'basic', ownerEmail: 'owner@hung-up.example', features: {api_access: true}}),
      })
      await waitingOnTenants(inFlight)
      hangUp.abort()
      await expect(inFlight).rejects.toThrow()
      served.child.kill('SIGTERM')
      // the server has no connection left: it must still wait for the handler, not close the database under it
      await new Promise((r) => setTimeout(r, 500))
      await blocker`commit`
      expect(await served.exited).toBe(0)
    } finally {
      blocker.release()
    }
    const lines = served.stdout().trim().split('\n').map((l) => JSON.parse(l) as {msg?: string; err?: unknown})
    expect(lines.filter((l) => l.msg === 'request failed')).toEqual([])
    expect((await t.sql`select 1 from tenants where subdomain = 'hung-up-co'`).length).toBe(1)
    expect(await partialTenants(t.sql, {prefix: 'hung-up', features: 1})).toBe(0)
  })

  it('SIGTERM: the request in flight is answered, then exit 0 with {stopped: true}', async () => {
    const {token, served, url, blocker} = await servingBehindLock('drain')
    try {
      const inFlight = request(`${url}/v1/tenants`, {method: 'POST', token, json: {name: 'Drain Co', subdomain: 'drain-co', ownerEmail: 'owner@drain.example', ownerPassword: 'Sup3r-Secret-Pass'}})
      await waitingOnTenants(inFlight)
      served.child.kill('SIGTERM')
      await blocker`commit`
      expect((await inFlight).status).toBe(201)
      expect(await served.exited).toBe(0)
      expect(await fetch(`${url}/healthz`).then((r) => r.status, () => 'refused')).toBe('refused')
    } finally {
      blocker.release()
    }
    expect(JSON.parse(served.stdout().trim().split('\n').at(-1)!)).toEqual({status: 0, result: {stopped: true}, warnings: []})
    // one access-log line a request, with who made it; never the password or the token
    const lines = served.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.filter((l) => l.msg === 'incoming request')).toEqual([])
    const created = lines.filter((l) => l.msg === 'request completed' && (l.req as {url?: string} | undefined)?.url === '/v1/tenants')
    expect(created).toHaveLength(1)
    expect(created[0]).toMatchObject({level: 30, req: {method: 'POST'}, res: {statusCode: 201}, operator: 'drain', responseTime: expect.any(Number)})
    expect(served.stdout()).not.toContain('Sup3r-Secret-Pass')
    expect(served.stdout()).not.toContain(token)
  })

  it('--help has examples; an unknown flag is exit 2 with the closest', async () => {
    const help = await cli(['serve', '--help'])
    expect(help.stdout).toContain('anthias serve --host 0.0.0.0 --port 8443 --tls-cert cert.pem --tls-key key.pem')
    const wrong = await cli(['serve', '--prot', '1', '--json'])
    expect(wrong.code).toBe(2)
  })
})

describe('the generated client', () => {
  it('test/client/api.d.ts is what the server\'s /openapi.json generates now (npm run api-client)', async () => {
    expect(await readFile(CLIENT_FILE, 'utf8')).toBe(await clientTypes())
  })
})
