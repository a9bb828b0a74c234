/**
 * A bounded load on a real `anthias serve` process (128 MiB of old space): a
 * warm-up, then 3,000 requests from 16 connections mixing creates of new
 * subdomains (201, a quarter), creates of taken ones (409, a quarter) and
 * checks of taken and free subdomains (200, half).
 * No 5xx, every status as many times as it was asked for, the server's
 * resident set not growing past a bound once warm, every tenant created whole
 * and nothing left by the refused ones. No timing asserts.
 */
import autocannon from 'autocannon'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'
import {createTestDatabase, type TestDatabase} from '../helpers/db.js'
import {request, residentBytes, serveProcess, type ServeProcess} from '../helpers/server.js'
import {orphanRows, partialTenants} from '../helpers/tenants.js'

const CONNECTIONS = 16
const WARM_UP = 400
const MEASURED = 3000
const RSS_GROWTH_BOUND = 48 * 1024 * 1024
const FEATURES = {api_access: true, custom_branding: true}

type Kind = 'create' | 'duplicate' | 'check'

/**
 * One phase: `amount` requests, drawn as the connections send them (autocannon's setupRequest),
 * in turns of four: a new tenant `prefix-N` (201), a create of one of `taken` (409), a check of one
 * of `taken` and one of a free subdomain (200). Returns autocannon's result, how many of each kind
 * were sent and the subdomains created.
 */
async function phase(url: string, token: string, prefix: string, amount: number, taken: string[]) {
  const sent: Record<Kind, number> = {create: 0, duplicate: 0, check: 0}
  const created: string[] = []
  let i = 0
  const next = (): {method: 'GET' | 'POST'; path: string; body?: string} => {
    const n = i++
    const kind = (['create', 'duplicate', 'check', 'check'] as const)[n % 4]!
    sent[kind]++
    if (kind === 'check') return {method: 'GET', path: `/v1/subdomains/${n % 4 === 2 ? taken[n % taken.length] : `${prefix}-free-${n}`}`}
    const subdomain = kind === 'create' ? `${prefix}-${n}` : taken[n % taken.length]!
    if (kind === 'create') created.push(subdomain)
    const body = {name: `Load ${subdomain}`, subdomain, plan: 'basic', ownerEmail: `owner@${subdomain}.example.com`, features: FEATURES}
    return {method: 'POST', path: '/v1/tenants', body: JSON.stringify(body)}
  }
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    amount,
    timeout: 30,
    requests: [
      {
        setupRequest: (req) => {
          const {method, path, body} = next()
          const headers = {authorization: `Bearer ${token}`, ...(body === undefined ? {} : {'content-type': 'application/json'})}
          return {...req, method, path, headers, body: body ?? ''}
        },
      },
    ],
  })
  return {result, sent, created}
}

const statusCount = (result: autocannon.Result, status: number) => result.statusCodeStats?.[`${status}`]?.count ?? 0

describe('anthias serve under a bounded load', () => {
  let t: TestDatabase
  let served: ServeProcess

  beforeAll(async () => {
    t = await createTestDatabase()
  })
  afterAll(async () => {
    if (served && served.child.exitCode === null) {
      served.child.kill('SIGTERM')
      await served.exited
    }
    await t?.drop()
  })

  it('3,000 mixed requests from 16 connections: no 5xx, each status as asked, RSS bounded, every tenant whole, no orphans', {timeout: 300_000}, async () => {
    const env = {ANTHIAS_DATABASE_URL: t.url, NODE_OPTIONS: '--max-old-space-size=128'}
    const made = await cli(['token', 'create', '--name', 'load', '--scope', 'tenants:read', '--scope', 'tenants:write', '--json'], {env})
    expect(made.code, made.stderr).toBe(0)
    const token = (made.json!.result as {token: string}).token
    served = serveProcess(env, ['--rate-limit', '1000000'])
    const url = await served.url
    const seed = await request(`${url}/v1/tenants`, {method: 'POST', token, json: {name: 'Load Seed', subdomain: 'seed-load', plan: 'basic', ownerEmail: 'owner@seed-load.example.com', features: FEATURES}})
    expect(seed.status, seed.text).toBe(201)

    const warm = await phase(url, token, 'warm', WARM_UP, ['seed-load'])
    expect(warm.result.errors + warm.result.timeouts).toBe(0)
    expect(statusCount(warm.result, 201)).toBe(warm.sent.create)
    const rssWarm = await residentBytes(served.child.pid!)

    const load = await phase(url, token, 'load', MEASURED, warm.created)
    const rssEnd = await residentBytes(served.child.pid!)
    const {result, sent} = load
    expect(sent.create + sent.duplicate + sent.check).toBe(MEASURED)
    expect({errors: result.errors, timeouts: result.timeouts, '5xx': result['5xx'], mismatches: result.mismatches}).toEqual({errors: 0, timeouts: 0, '5xx': 0, mismatches: 0})
    expect(result.statusCodeStats).toEqual({201: {count: sent.create}, 409: {count: sent.duplicate}, 200: {count: sent.check}})
    expect(rssEnd - rssWarm, `RSS ${(rssWarm / 2 ** 20).toFixed(1)} MiB after the warm-up, ${(rssEnd / 2 ** 20).toFixed(1)} MiB at the end`).toBeLessThan(RSS_GROWTH_BOUND)

    // every create answered 201 is a whole tenant; the 409s made none and left nothing
    const [tenants] = await t.sql<{n: number}[]>`select count(*)::int as n from tenants`
    expect(tenants!.n).toBe(1 + warm.sent.create + sent.create)
    expect(await partialTenants(t.sql, {features: 2})).toBe(0)
    expect(await orphanRows(t.sql)).toEqual({})
    const [refused] = await t.sql<{n: number}[]>`
      select count(*)::int as n from audit_log where action = 'tenant.create' and outcome = 'failure' and error_code = 'SUBDOMAIN_TAKEN'`
    expect(refused!.n).toBe(warm.sent.duplicate + sent.duplicate)

    served.child.kill('SIGTERM')
    expect(await served.exited).toBe(0)
  })
})
