/**
 * The API's tenant lifecycle and catalog routes through the generated client:
 * plan, security, suspend/resume, delete with the exact name and a verified
 * backup; subdomain check and suggestions; plans. Each with its errors, 403.
 */
import {readdir} from 'node:fs/promises'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {request, startServer, type TestServer} from '../helpers/server.js'

let s: TestServer
let admin: string

beforeAll(async () => {
  s = await startServer()
  admin = await s.token()
})
afterAll(async () => s?.close())

const make = async (subdomain: string, plan = 'basic') => {
  const {data, response} = await s.client(admin).POST('/v1/tenants', {body: {name: `Tenant ${subdomain}`, subdomain, plan}})
  expect(response.status).toBe(201)
  return data!.tenant
}

describe('lifecycle routes', () => {
  it('plan change: dry run, the change, refused below usage (409), an unknown plan (400)', async () => {
    const tenant = await make('plan-co')
    const client = s.client(admin)
    const path = {idOrSubdomain: 'plan-co'}
    const dry = await client.POST('/v1/tenants/{idOrSubdomain}/plan', {params: {path}, body: {plan: 'professional', dryRun: true}})
    expect(dry.data).toMatchObject({before: {plan: 'basic'}, after: {plan: 'professional'}})
    expect((await client.GET('/v1/tenants/{idOrSubdomain}', {params: {path}})).data!.plan).toBe('basic')
    const done = await client.POST('/v1/tenants/{idOrSubdomain}/plan', {params: {path}, body: {plan: 'professional', maxUsers: 60}})
    expect(done.data).toMatchObject({tenantId: tenant.id, after: {plan: 'professional', limits: {maxUsers: 60}}, forced: false})
    const [audit] = await s.db.sql`select actor from audit_log where tenant_id = ${tenant.id} and action like 'tenant.plan%' order by id desc limit 1`
    expect(audit!.actor).toMatch(/^token:/)
    const unknown = await request(`${s.url}/v1/tenants/plan-co/plan`, {method: 'POST', token: admin, json: {plan: 'platinum'}})
    expect(unknown).toMatchObject({status: 400, body: {code: 'PLAN_UNKNOWN'}})
    await s.db.sql`insert into users (email) select 'u' || g || '@plan.example' from generate_series(1, 12) g`
    await s.db.sql`insert into memberships (tenant_id, user_id, role, status) select ${tenant.id}, id, 'viewer', 'active' from users where email like '%@plan.example'`
    const below = await request(`${s.url}/v1/tenants/plan-co/plan`, {method: 'POST', token: admin, json: {plan: 'basic'}})
    expect(below).toMatchObject({status: 409, body: {code: 'LIMIT_BELOW_USAGE'}})
  })

  it('security policy: the change and its before/after; a bad CIDR is 400 with its pointer', async () => {
    await make('sec-co')
    const client = s.client(admin)
    const r = await client.POST('/v1/tenants/{idOrSubdomain}/security', {params: {path: {idOrSubdomain: 'sec-co'}}, body: {enable2fa: true, sessionTimeoutMinutes: 60, allowIps: ['10.0.0.0/8']}})
    expect(r.data).toMatchObject({subdomain: 'sec-co', before: {enable2fa: false}, after: {enable2fa: true, sessionTimeoutMinutes: 60, allowedIpRanges: ['10.0.0.0/8']}})
    const bad = await request(`${s.url}/v1/tenants/sec-co/security`, {method: 'POST', token: admin, json: {allowIps: ['10.0.0.1/8']}})
    expect(bad.status).toBe(400)
    expect(JSON.stringify(bad.body)).toContain('CIDR_HOST_BITS')
    expect(JSON.stringify(bad.body)).toContain('/allowIps/0')
  })

  it('suspend and resume; again is a no-op that says so; 404 for an unknown tenant', async () => {
    await make('status-co')
    const client = s.client(admin)
    const path = {idOrSubdomain: 'status-co'}
    expect((await client.POST('/v1/tenants/{idOrSubdomain}/suspend', {params: {path}})).data).toEqual({subdomain: 'status-co', before: 'active', after: 'suspended'})
    expect((await client.POST('/v1/tenants/{idOrSubdomain}/suspend', {params: {path}})).data).toEqual({subdomain: 'status-co', before: 'suspended', after: 'suspended'})
    expect((await client.POST('/v1/tenants/{idOrSubdomain}/resume', {params: {path}})).data).toEqual({subdomain: 'status-co', before: 'suspended', after: 'active'})
    expect(await request(`${s.url}/v1/tenants/nobody-here/suspend`, {method: 'POST', token: admin})).toMatchObject({status: 404, body: {code: 'TENANT_NOT_FOUND'}})
  })

  it('delete: the exact name or nothing (400); tenants:delete or 403; then a verified backup and every row gone', async () => {
    const tenant = await make('doomed-co')
    const writer = await s.token(['tenants:write', 'tenants:read'])
    expect(await request(`${s.url}/v1/tenants/doomed-co?confirmName=${encodeURIComponent('Tenant doomed-co')}`, {method: 'DELETE', token: writer})).toMatchObject({status: 403, body: {code: 'SCOPE_MISSING'}})
    expect(await request(`${s.url}/v1/tenants/doomed-co`, {method: 'DELETE', token: admin})).toMatchObject({status: 400, body: {code: 'CONFIRMATION_REQUIRED'}})
    expect(await request(`${s.url}/v1/tenants/doomed-co?confirmName=doomed-co`, {method: 'DELETE', token: admin})).toMatchObject({status: 400, body: {code: 'CONFIRMATION_MISMATCH'}})
    expect((await s.db.sql`select 1 from tenants where id = ${tenant.id}`).length).toBe(1)
    const {data, response} = await s.client(admin).DELETE('/v1/tenants/{idOrSubdomain}', {params: {path: {idOrSubdomain: 'doomed-co'}, query: {confirmName: 'Tenant doomed-co'}}})
    expect(response.status).toBe(200)
    expect(data).toMatchObject({tenantId: tenant.id, subdomain: 'doomed-co', deleted: {tenants: 1}, orphans: {}})
    expect(data!.backup).toContain(s.backupDir)
    expect(await readdir(s.backupDir)).toEqual([expect.stringMatching(/^tenant_backup_doomed-co_\d{14}\.sql$/)])
    expect((await s.db.sql`select 1 from tenants where id = ${tenant.id}`).length).toBe(0)
    const [audit] = await s.db.sql`select actor from audit_log where tenant_id = ${tenant.id} and action = 'tenant.delete'`
    expect(audit!.actor).toMatch(/^token:/)
  })
})

describe('catalog routes', () => {
  it('subdomain check: 200 whatever the verdict; suggestions; plans', async () => {
    await make('check-co')
    const client = s.client(admin)
    expect((await client.GET('/v1/subdomains/{subdomain}', {params: {path: {subdomain: 'check-co'}}})).data).toMatchObject({status: 'taken', available: false, suggestions: expect.any(Array)})
    expect((await client.GET('/v1/subdomains/{subdomain}', {params: {path: {subdomain: 'free-one'}}})).data).toMatchObject({status: 'available', available: true})
    expect((await client.GET('/v1/subdomains/{subdomain}', {params: {path: {subdomain: 'www'}}})).data).toMatchObject({status: 'reserved'})
    const suggested = await client.GET('/v1/subdomain-suggestions', {params: {query: {text: 'Check Co', count: 3}}})
    expect(suggested.data).toMatchObject({text: 'Check Co'})
    expect(suggested.data!.suggestions).toHaveLength(3)
    expect(suggested.data!.suggestions).not.toContain('check-co')
    expect(await request(`${s.url}/v1/subdomain-suggestions`, {token: admin})).toMatchObject({status: 400})
    const plans = await client.GET('/v1/plans')
    expect(plans.data!.map((p) => p.id)).toEqual(expect.arrayContaining(['basic', 'professional', 'enterprise']))
    expect((await client.GET('/v1/plans/{plan}', {params: {path: {plan: 'professional'}}})).data).toMatchObject({id: 'professional', limits: {maxUsers: 50}})
    expect(await request(`${s.url}/v1/plans/platinum`, {token: admin})).toMatchObject({status: 404, body: {code: 'PLAN_NOT_FOUND'}})
    expect(await request(`${s.url}/v1/plans`)).toMatchObject({status: 401})
  })
})
