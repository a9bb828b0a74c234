/**
 * The HTTP API (anthias serve) on a real PostgreSQL, listening on loopback:
 * each route's success and documented errors through the client generated
 * from its own OpenAPI document (test/client/api.d.ts), tokens and scopes,
 * problem+json, ETag/If-Match, Idempotency-Key, rate limits, the guide's route.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {problemSchema} from '../../src/server/problem.js'
import {request, startServer, type TestServer} from '../helpers/server.js'

let s: TestServer
let admin: string

beforeAll(async () => {
  s = await startServer()
  admin = await s.token()
})
afterAll(async () => s?.close())

/** A problem document: the schema's shape, the content type, the status in the body too. */
function expectProblem(r: {status: number; headers: Headers; body: unknown}, status: number, code: string) {
  expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/)
  const problem = problemSchema.parse(r.body)
  expect({status: r.status, code: problem.code}).toEqual({status, code})
  expect(problem).toMatchObject({status, type: `urn:anthias:problem:${code}`, title: expect.any(String), detail: expect.any(String)})
  return problem
}

const create = (subdomain: string, extra: Record<string, unknown> = {}, init: {token?: string; key?: string} = {}) =>
  request(`${s.url}/v1/tenants`, {method: 'POST', token: init.token ?? admin, json: {name: `Tenant ${subdomain}`, subdomain, ...extra}, headers: init.key ? {'idempotency-key': init.key} : {}})

describe('system routes', () => {
  it('healthz, readyz, metrics, the OpenAPI document and its page, without a token', async () => {
    const client = s.client()
    expect((await client.GET('/healthz')).data).toEqual({ok: true})
    const ready = await client.GET('/readyz')
    expect(ready.data).toEqual({ok: true, schemaVersion: expect.any(Number)})
    await create('metrics-probe')
    const metrics = await request(`${s.url}/metrics`)
    expect(metrics.status).toBe(200)
    expect(metrics.text).toMatch(/anthias_http_requests_total\{method="POST",route="\/v1\/tenants",status="201"\} \d+/)
    expect(metrics.text).toMatch(/anthias_http_request_duration_seconds_bucket/)
    expect(metrics.text).toMatch(/anthias_tenants_created_total [1-9]/)
    expect(metrics.text).toContain('anthias_queue_depth')
    const doc = await request(`${s.url}/openapi.json`)
    expect(doc.body).toMatchObject({openapi: '3.1.0', paths: {'/v1/tenants': {post: {operationId: 'createTenant'}}, '/api/provision_tenant': {post: expect.any(Object)}}})
    expect((await request(`${s.url}/docs`, {redirect: 'follow'})).text).toContain('swagger')
  })

  it('readyz: 503 SCHEMA_NOT_CURRENT while a migration is pending', async () => {
    const other = await startServer()
    try {
      await other.db.sql`delete from anthias_schema_migrations where version = (select max(version) from anthias_schema_migrations)`
      expectProblem(await request(`${other.url}/readyz`), 503, 'SCHEMA_NOT_CURRENT')
    } finally {
      await other.close()
    }
  })

  it('an unknown route is a 404 problem', async () => {
    expectProblem(await request(`${s.url}/v1/nothing-here`, {token: admin}), 404, 'ROUTE_NOT_FOUND')
  })
})

describe('operator tokens', () => {
  it('401 without a token, with a wrong, an expired or a revoked one; 403 without the scope', async () => {
    const missing = await request(`${s.url}/v1/tenants`)
    expectProblem(missing, 401, 'TOKEN_MISSING')
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expectProblem(await request(`${s.url}/v1/tenants`, {token: 'at_not-a-token'}), 401, 'TOKEN_INVALID')
    expectProblem(await request(`${s.url}/v1/tenants`, {headers: {authorization: 'Basic dXNlcjpwYXNz'}}), 401, 'TOKEN_INVALID')

    const expiring = await s.token(['tenants:read'], {name: 'expiring', expiresIn: '1h'})
    expect((await request(`${s.url}/v1/tenants`, {token: expiring})).status).toBe(200)
    await s.db.sql`update operator_tokens set expires_at = now() - interval '1 second' where name = 'expiring'`
    expectProblem(await request(`${s.url}/v1/tenants`, {token: expiring}), 401, 'TOKEN_EXPIRED')

    const revoked = await s.token(['tenants:read'], {name: 'revoked'})
    await s.db.sql`update operator_tokens set revoked_at = now() where name = 'revoked'`
    expectProblem(await request(`${s.url}/v1/tenants`, {token: revoked}), 401, 'TOKEN_REVOKED')

    const reader = await s.token(['tenants:read'])
    const refused = expectProblem(await create('scope-refused', {}, {token: reader}), 403, 'SCOPE_MISSING')
    expect(refused.details).toEqual({required: 'tenants:write', granted: ['tenants:read']})
    expect((await s.db.sql`select 1 from tenants where subdomain = 'scope-refused'`).length).toBe(0)
  })

  it('a live token is marked used at most once a minute; an expired or revoked one is not marked', async () => {
    const used = async (name: string) => (await s.db.sql<{at: Date | null}[]>`select last_used_at as at from operator_tokens where name = ${name}`)[0]!.at
    const live = await s.token(['tenants:read'], {name: 'marked'})
    expect(await used('marked')).toBeNull()
    expect((await request(`${s.url}/v1/tenants`, {token: live})).status).toBe(200)
    const first = await used('marked')
    expect(first).toBeInstanceOf(Date)
    expect((await request(`${s.url}/v1/tenants`, {token: live})).status).toBe(200)
    expect(await used('marked')).toEqual(first)
    await s.db.sql`update operator_tokens set last_used_at = now() - interval '2 minutes' where name = 'marked'`
    expect((await request(`${s.url}/v1/tenants`, {token: live})).status).toBe(200)
    expect((await used('marked'))!.getTime()).toBeGreaterThan(Date.now() - 60_000)

    const expired = await s.token(['tenants:read'], {name: 'expired-unmarked'})
    await s.db.sql`update operator_tokens set expires_at = now() - interval '1 second' where name = 'expired-unmarked'`
    const revoked = await s.token(['tenants:read'], {name: 'revoked-unmarked'})
    await s.db.sql`update operator_tokens set revoked_at = now() where name = 'revoked-unmarked'`
    expectProblem(await request(`${s.url}/v1/tenants`, {token: expired}), 401, 'TOKEN_EXPIRED')
    expectProblem(await request(`${s.url}/v1/tenants`, {token: revoked}), 401, 'TOKEN_REVOKED')
    expect(await used('expired-unmarked')).toBeNull()
    expect(await used('revoked-unmarked')).toBeNull()
  })
})

describe('tenants', () => {
  it('POST /v1/tenants: 201 with Location and the CLI\'s result; audited as token:NAME', async () => {
    const token = await s.token(['tenants:write', 'tenants:read'], {name: 'billing'})
    const client = s.client(token)
    const {data, response} = await client.POST('/v1/tenants', {body: {name: 'Acme Corp', subdomain: 'acme-api', plan: 'professional', ownerEmail: 'owner@acme.example', contactEmail: 'billing@acme.example'}})
    expect(response.status).toBe(201)
    expect(response.headers.get('location')).toBe(`/v1/tenants/${data!.tenant.id}`)
    expect(data).toMatchObject({tenant: {subdomain: 'acme-api', plan: 'professional', owners: [{email: 'owner@acme.example', role: 'owner', status: 'invited'}]}, ownerInvitation: {email: 'owner@acme.example', token: expect.any(String)}})
    const [audit] = await s.db.sql`select actor, action, arguments from audit_log where tenant_id = ${data!.tenant.id}`
    expect(audit).toMatchObject({actor: 'token:billing', action: 'tenant.create'})
    expect(JSON.stringify(audit!.arguments)).not.toContain(data!.ownerInvitation!.token)

    const shown = await client.GET('/v1/tenants/{idOrSubdomain}', {params: {path: {idOrSubdomain: data!.tenant.id}}})
    expect(shown.data).toEqual(data!.tenant)
    expect(shown.response.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/)
    expect((await client.GET('/v1/tenants/{idOrSubdomain}', {params: {path: {idOrSubdomain: 'ACME-API'}}})).data).toEqual(data!.tenant)
  })

  it('every input problem at once, with its JSON pointer; unknown fields refused; nothing written', async () => {
    const r = await create('Bad_Sub', {name: '', plan: 'platinum', maxUsers: -1, plan_type: 'basic'})
    const problem = expectProblem(r, 400, 'INVALID_INPUT')
    expect(problem.errors?.map((e) => [e.code, e.pointer])).toEqual(expect.arrayContaining([
      ['NAME_INVALID', '/name'],
      ['SUBDOMAIN_INVALID', '/subdomain'],
      ['INVALID_INPUT', '/plan_type'],
    ]))
    const plan = expectProblem(await create('fine-sub', {plan: 'platinum'}), 400, 'PLAN_UNKNOWN')
    expect(plan.pointer).toBe('/plan')
    expect((await s.db.sql`select 1 from tenants where subdomain in ('fine-sub', 'bad_sub')`).length).toBe(0)
  })

  it('hostile bodies: not JSON, too large, not an object, __proto__ keys', async () => {
    expectProblem(await request(`${s.url}/v1/tenants`, {method: 'POST', token: admin, headers: {'content-type': 'application/json'}, body: '{"name": '}), 400, 'JSON_INVALID')
    expectProblem(await request(`${s.url}/v1/tenants`, {method: 'POST', token: admin, headers: {'content-type': 'application/json'}, body: JSON.stringify({name: 'x'.repeat(2_000_000)})}), 400, 'INPUT_TOO_LARGE')
    expectProblem(await request(`${s.url}/v1/tenants`, {method: 'POST', token: admin, headers: {'content-type': 'text/plain'}, body: 'hello'}), 400, 'CONTENT_TYPE_UNSUPPORTED')
    expect((await request(`${s.url}/v1/tenants`, {method: 'POST', token: admin, json: [1, 2]})).status).toBe(400)
    // bytes that are not UTF-8 are refused, not read as U+FFFD into the tenant's name
    const latin1 = Buffer.concat([Buffer.from('{"name":"Caf'), Buffer.from([0xe9]), Buffer.from('","subdomain":"latin-co"}')])
    const encoding = expectProblem(await request(`${s.url}/v1/tenants`, {method: 'POST', token: admin, headers: {'content-type': 'application/json'}, body: latin1}), 400, 'FILE_ENCODING')
    expect(encoding.field).toBe('body')
    expect((await s.db.sql`select 1 from tenants where subdomain = 'latin-co'`).length).toBe(0)
    const proto = await request(`${s.url}/v1/tenants`, {method: 'POST', token: admin, headers: {'content-type': 'application/json'}, body: '{"name":"Proto","subdomain":"proto-co","settings":{"__proto__":{"admin":true}}}'})
    expect(proto.status).toBe(400)
    expect(({} as Record<string, unknown>).admin).toBeUndefined()
  })

  it('409 SUBDOMAIN_TAKEN; 404 TENANT_NOT_FOUND', async () => {
    expect((await create('taken-co')).status).toBe(201)
    expectProblem(await create('taken-co'), 409, 'SUBDOMAIN_TAKEN')
    expectProblem(await request(`${s.url}/v1/tenants/no-such-tenant`, {token: admin}), 404, 'TENANT_NOT_FOUND')
  })

  it('GET /v1/tenants: pages with a cursor, the CLI\'s filters, its refusals', async () => {
    for (const sub of ['page-a', 'page-b', 'page-c']) expect((await create(sub, {plan: 'enterprise'})).status).toBe(201)
    const client = s.client(admin)
    const first = await client.GET('/v1/tenants', {params: {query: {plan: 'enterprise', search: 'page-', limit: 2}}})
    expect(first.data).toMatchObject({items: [{subdomain: 'page-a'}, {subdomain: 'page-b'}], total: 3})
    const second = await client.GET('/v1/tenants', {params: {query: {plan: 'enterprise', search: 'page-', limit: 2, after: first.data!.nextCursor!}}})
    expect(second.data).toMatchObject({items: [{subdomain: 'page-c'}], nextCursor: null})
    const sorted = await client.GET('/v1/tenants', {params: {query: {search: 'page-', sort: '-name'}}})
    expect(sorted.data!.items.map((t) => t.subdomain)).toEqual(['page-c', 'page-b', 'page-a'])
    expectProblem(await request(`${s.url}/v1/tenants?after=nonsense`, {token: admin}), 400, 'CURSOR_INVALID')
    expectProblem(await request(`${s.url}/v1/tenants?status=gone`, {token: admin}), 400, 'STATUS_UNKNOWN')
    expectProblem(await request(`${s.url}/v1/tenants?limit=0`, {token: admin}), 400, 'INVALID_INPUT')
  })

  it('PATCH: If-Match required (428), checked (412), the new ETag; two tools with one ETag: one wins', async () => {
    const client = s.client(admin)
    const {data} = await client.POST('/v1/tenants', {body: {name: 'Patch Co', subdomain: 'patch-co'}})
    const path = {idOrSubdomain: data!.tenant.id}
    const etag = (await client.GET('/v1/tenants/{idOrSubdomain}', {params: {path}})).response.headers.get('etag')!
    expectProblem(await request(`${s.url}/v1/tenants/patch-co`, {method: 'PATCH', token: admin, json: {maxUsers: 7}}), 428, 'IF_MATCH_REQUIRED')
    expectProblem(await request(`${s.url}/v1/tenants/patch-co`, {method: 'PATCH', token: admin, json: {maxUsers: 7}, headers: {'if-match': '"0000"'}}), 412, 'IF_MATCH_FAILED')
    const both = await Promise.all([8, 9].map((maxUsers) => request(`${s.url}/v1/tenants/patch-co`, {method: 'PATCH', token: admin, json: {maxUsers}, headers: {'if-match': etag}})))
    expect(both.map((r) => r.status).sort()).toEqual([200, 412])
    const won = both.find((r) => r.status === 200)!
    const now = await client.GET('/v1/tenants/{idOrSubdomain}', {params: {path}})
    expect(now.response.headers.get('etag')).toBe(won.headers.get('etag'))
    expect(now.data!.limits.maxUsers).toBe((won.body.after as {limits: {maxUsers: number}}).limits.maxUsers)
    const updated = await client.PATCH('/v1/tenants/{idOrSubdomain}', {params: {path, header: {'if-match': won.headers.get('etag')!}}, body: {name: 'Patch Co Renamed', settings: {theme: 'dark'}}})
    expect(updated.data).toMatchObject({changed: true, after: {name: 'Patch Co Renamed', settings: {theme: 'dark'}}})
    const [audit] = await s.db.sql`select actor from audit_log where tenant_id = ${data!.tenant.id} and action = 'tenant.update' order by id desc limit 1`
    expect(audit!.actor).toMatch(/^token:/)
    expectProblem(await request(`${s.url}/v1/tenants/patch-co`, {method: 'PATCH', token: admin, json: {maxUsers: 'many'}, headers: {'if-match': updated.response.headers.get('etag')!}}), 400, 'LIMIT_INVALID')
  })
})

describe("the guide's provision_tenant route", () => {
  it("the guide's example body: exactly {success, tenant_id, subdomain, access_url}", async () => {
    // TenantManager.create_tenant(name="Client Organization", subdomain="client-org", plan_type="professional", contact_email="admin@client.com")
    const body = {name: 'Client Organization', subdomain: 'client-org', plan_type: 'professional', contact_email: 'admin@client.com'}
    const r = await request(`${s.url}/api/provision_tenant`, {method: 'POST', token: admin, json: body})
    expect(r.status).toBe(200)
    const [tenant] = await s.db.sql`select id, plan_id, contact_email from tenants where subdomain = 'client-org'`
    expect(r.body).toStrictEqual({success: true, tenant_id: tenant!.id, subdomain: 'client-org', access_url: 'https://client-org.anthias.app'})
    expect(tenant).toMatchObject({planId: 'professional', contactEmail: 'admin@client.com'})

    const again = await request(`${s.url}/api/provision_tenant`, {method: 'POST', token: admin, json: body})
    expect(again.status).toBe(400)
    expect(again.body).toStrictEqual({success: false, error: expect.stringContaining('client-org')})
    const bad = await request(`${s.url}/api/provision_tenant`, {method: 'POST', token: admin, json: {name: 'X', subdomain: 'ok-sub', colour: 'red', plan_type: 'gold'}})
    expect(bad.status).toBe(400)
    expect(bad.body).toStrictEqual({success: false, error: expect.stringContaining('colour')})
    expect((await request(`${s.url}/api/provision_tenant`, {method: 'POST', json: body})).body).toStrictEqual({success: false, error: expect.any(String)})
  })
})

describe('Idempotency-Key', () => {
  it('the same request again: the stored response, byte for byte; another body: 422', async () => {
    const first = await create('idem-one', {}, {key: 'key-1'})
    const again = await create('idem-one', {}, {key: 'key-1'})
    expect(first.status).toBe(201)
    expect(again.status).toBe(201)
    expect(again.text).toBe(first.text)
    expect(again.headers.get('location')).toBe(first.headers.get('location'))
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expectProblem(await create('idem-two', {}, {key: 'key-1'}), 422, 'IDEMPOTENCY_KEY_REUSED')
    // scoped to the token: another token's key-1 is its own
    expect((await create('idem-two', {}, {key: 'key-1', token: await s.token()})).status).toBe(201)
    expect((await s.db.sql`select count(*)::int as n from tenants where subdomain = 'idem-one'`)[0]!.n).toBe(1)
  })

  it('50 concurrent POSTs with one key: one tenant, 50 identical responses', async () => {
    const responses = await Promise.all(Array.from({length: 50}, () => create('idem-race', {plan: 'professional'}, {key: 'race-key'})))
    expect(new Set(responses.map((r) => r.status))).toEqual(new Set([201]))
    expect(new Set(responses.map((r) => r.text)).size).toBe(1)
    expect((await s.db.sql`select count(*)::int as n from tenants where subdomain = 'idem-race'`)[0]!.n).toBe(1)
    expect((await s.db.sql`select count(*)::int as n from audit_log where action = 'tenant.create' and subject = 'idem-race'`)[0]!.n).toBe(1)
  })

  it('20 concurrent creates of one subdomain without keys: one 201, the rest 409', async () => {
    const responses = await Promise.all(Array.from({length: 20}, () => create('race-sub')))
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1)
    expect(responses.filter((r) => r.status === 409).map((r) => r.body.code)).toEqual(Array(19).fill('SUBDOMAIN_TAKEN'))
    expect((await s.db.sql`select count(*)::int as n from tenants where subdomain = 'race-sub'`)[0]!.n).toBe(1)
  })

  it('while the first is still running: 409 IDEMPOTENCY_IN_PROGRESS (without waiting), then its response', async () => {
    const impatient = await startServer({idempotencyWaitMs: 0}, s.db)
    const token = await impatient.token()
    const blocker = await s.db.sql.reserve()
    try {
      await blocker`begin`
      await blocker`lock table tenants in exclusive mode`
      const first = request(`${impatient.url}/v1/tenants`, {method: 'POST', token, json: {name: 'Slow', subdomain: 'slow-co'}, headers: {'idempotency-key': 'slow'}})
      // the first holds the key once its insert waits for the lock
      for (;;) {
        const [waiting] = await s.db.sql`select 1 from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'tenants' and not l.granted`
        if (waiting) break
        await new Promise((r) => setTimeout(r, 10))
      }
      const second = await request(`${impatient.url}/v1/tenants`, {method: 'POST', token, json: {name: 'Slow', subdomain: 'slow-co'}, headers: {'idempotency-key': 'slow'}})
      expectProblem(second, 409, 'IDEMPOTENCY_IN_PROGRESS')
      await blocker`commit`
      const done = await first
      expect(done.status).toBe(201)
      const replay = await request(`${impatient.url}/v1/tenants`, {method: 'POST', token, json: {name: 'Slow', subdomain: 'slow-co'}, headers: {'idempotency-key': 'slow'}})
      expect(replay.text).toBe(done.text)
    } finally {
      blocker.release()
      await impatient.app.close()
    }
  })
})

describe('rate limits', () => {
  it('per token: over the limit, 429 RATE_LIMITED with Retry-After; another token is not held back', async () => {
    const limited = await startServer({rateLimit: 3}, s.db)
    try {
      const token = await limited.token(['tenants:read'])
      for (let i = 0; i < 3; i++) expect((await request(`${limited.url}/v1/tenants?limit=1`, {token})).status).toBe(200)
      const over = await request(`${limited.url}/v1/tenants?limit=1`, {token})
      expectProblem(over, 429, 'RATE_LIMITED')
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0)
      expect((await request(`${limited.url}/v1/tenants?limit=1`, {token: await limited.token(['tenants:read'])})).status).toBe(200)
    } finally {
      await limited.app.close()
    }
  })
})
