/**
 * The API's member, API key, usage, verify and audit routes through the
 * generated client, each with its errors and its scope.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {request, startServer, type TestServer} from '../helpers/server.js'

let s: TestServer
let admin: string

beforeAll(async () => {
  s = await startServer()
  admin = await s.token()
  const {response} = await s.client(admin).POST('/v1/tenants', {body: {name: 'Member Co', subdomain: 'member-co', plan: 'professional', ownerEmail: 'owner@member.example'}})
  expect(response.status).toBe(201)
})
afterAll(async () => s?.close())

describe('members', () => {
  it('invite (201, the token once), list, remove; a duplicate is 409; the last owner stays; members:write or 403', async () => {
    const client = s.client(admin)
    const path = {idOrSubdomain: 'member-co'}
    const invited = await client.POST('/v1/tenants/{idOrSubdomain}/members', {params: {path}, body: {email: 'viewer@member.example', role: 'viewer'}})
    expect(invited.response.status).toBe(201)
    expect(invited.data).toMatchObject({email: 'viewer@member.example', role: 'viewer', status: 'invited', token: expect.any(String)})
    expect(await request(`${s.url}/v1/tenants/member-co/members`, {method: 'POST', token: admin, json: {email: 'viewer@member.example', role: 'viewer'}})).toMatchObject({status: 409, body: {code: 'MEMBER_EXISTS'}})
    expect(await request(`${s.url}/v1/tenants/member-co/members`, {method: 'POST', token: admin, json: {email: 'nope', role: 'king'}})).toMatchObject({status: 400, body: {code: 'INVALID_INPUT'}})
    const list = await client.GET('/v1/tenants/{idOrSubdomain}/members', {params: {path, query: {limit: 1}}})
    expect(list.data).toMatchObject({items: [{email: 'owner@member.example', role: 'owner'}], total: 2})
    const rest = await client.GET('/v1/tenants/{idOrSubdomain}/members', {params: {path, query: {limit: 1, after: list.data!.nextCursor!}}})
    expect(rest.data!.items.map((m) => m.email)).toEqual(['viewer@member.example'])
    expect(JSON.stringify(rest.data)).not.toContain(invited.data!.token!)
    const removed = await client.DELETE('/v1/tenants/{idOrSubdomain}/members/{email}', {params: {path: {...path, email: 'viewer@member.example'}}})
    expect(removed.data).toEqual({email: 'viewer@member.example', role: 'viewer'})
    expect(await request(`${s.url}/v1/tenants/member-co/members/nobody@member.example`, {method: 'DELETE', token: admin})).toMatchObject({status: 404, body: {code: 'MEMBER_NOT_FOUND'}})
    const reader = await s.token(['tenants:read'])
    expect(await request(`${s.url}/v1/tenants/member-co/members`, {method: 'POST', token: reader, json: {email: 'x@member.example', role: 'viewer'}})).toMatchObject({status: 403, body: {code: 'SCOPE_MISSING'}})
    const [audit] = await s.db.sql`select actor from audit_log where action = 'user.invite' order by id desc limit 1`
    expect(audit!.actor).toMatch(/^token:/)
  })
})

describe('API keys', () => {
  it('create (201, the key once), list without secrets, revoke; 409 without api_access; apikeys:write or 403', async () => {
    const client = s.client(admin)
    const path = {idOrSubdomain: 'member-co'}
    const created = await client.POST('/v1/tenants/{idOrSubdomain}/apikeys', {params: {path}, body: {name: 'deploys', permissions: ['assets.read'], expiresDays: 30}})
    expect(created.response.status).toBe(201)
    expect(created.data).toMatchObject({name: 'deploys', permissions: ['assets.read'], key: expect.stringMatching(/^ak_/)})
    const list = await client.GET('/v1/tenants/{idOrSubdomain}/apikeys', {params: {path}})
    expect(list.data).toMatchObject({items: [{name: 'deploys', prefix: created.data!.prefix}], nextCursor: null})
    expect(JSON.stringify(list.data)).not.toContain(created.data!.key)
    const revoked = await client.DELETE('/v1/tenants/{idOrSubdomain}/apikeys/{key}', {params: {path: {...path, key: created.data!.prefix}}})
    expect(revoked.data).toMatchObject({alreadyRevoked: false, revokedAt: expect.any(String)})
    expect(await request(`${s.url}/v1/tenants/member-co/apikeys/ak_000000000000`, {method: 'DELETE', token: admin})).toMatchObject({status: 404, body: {code: 'APIKEY_NOT_FOUND'}})
    await client.POST('/v1/tenants', {body: {name: 'Basic Co', subdomain: 'basic-keys', plan: 'basic'}})
    expect(await request(`${s.url}/v1/tenants/basic-keys/apikeys`, {method: 'POST', token: admin, json: {name: 'k', permissions: ['assets.read']}})).toMatchObject({status: 409, body: {code: 'FEATURE_DISABLED'}})
    const reader = await s.token(['tenants:read'])
    expect(await request(`${s.url}/v1/tenants/member-co/apikeys`, {method: 'POST', token: reader, json: {name: 'k2', permissions: ['assets.read']}})).toMatchObject({status: 403})
  })
})

describe('usage, verify, audit', () => {
  it('usage against quota; the checklist; the audit trail filtered, audit:read or 403', async () => {
    const client = s.client(admin)
    const path = {idOrSubdomain: 'member-co'}
    const usage = await client.GET('/v1/tenants/{idOrSubdomain}/usage', {params: {path}})
    expect(usage.data).toMatchObject({subdomain: 'member-co', metrics: expect.arrayContaining([expect.objectContaining({metric: 'users'})])})
    expect(await request(`${s.url}/v1/tenants/no-such/usage`, {token: admin})).toMatchObject({status: 404, body: {code: 'TENANT_NOT_FOUND'}})
    const verify = await client.POST('/v1/tenants/{idOrSubdomain}/verify', {params: {path}})
    expect(verify.response.status).toBe(200)
    expect(verify.data).toMatchObject({subdomain: 'member-co', ok: expect.any(Boolean), checks: expect.any(Array)})
    const audit = await client.GET('/v1/audit', {params: {query: {tenant: 'member-co', action: 'tenant.*', since: '1h'}}})
    expect(audit.data!.items.map((r) => r.action)).toContain('tenant.create')
    expect(audit.data!.items.every((r) => r.tenant === 'member-co')).toBe(true)
    expect(await request(`${s.url}/v1/audit?since=yesterday-ish`, {token: admin})).toMatchObject({status: 400, body: {code: 'TIME_INVALID'}})
    expect(await request(`${s.url}/v1/audit`, {token: await s.token(['tenants:read'])})).toMatchObject({status: 403, body: {code: 'SCOPE_MISSING'}})
  })
})
