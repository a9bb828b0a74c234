/**
 * The API's provisioning runs: a CSV or the guide's JSON config validated
 * whole and queued as `--queue` does (202 and Location, or 422 with every
 * problem and nothing queued), and the run's status, through the generated client.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {CONFIG_TEMPLATE} from '../../src/lib/bulk/sources.js'
import {waitForRun} from '../../src/lib/queue/runs.js'
import {startWorker} from '../../src/lib/queue/worker.js'
import {request, startServer, type TestServer} from '../helpers/server.js'

let s: TestServer
let admin: string

beforeAll(async () => {
  s = await startServer()
  admin = await s.token()
})
afterAll(async () => s?.close())

const HEADER = 'name,subdomain,plan,contact_email,owner_email'
const upload = (token: string, body: string, type = 'text/csv') =>
  s.client(token).POST('/v1/runs', {body, bodySerializer: (b: string) => b, headers: {'content-type': type}})

describe('POST /v1/runs, GET /v1/runs/{id}', () => {
  it('a valid CSV is 202 with Location; GET shows the run queued with its rows', async () => {
    const csv = [HEADER, 'Run One,run-one,basic,a@run.example,', 'Run Two,run-two,professional,b@run.example,owner@run.example', 'Run Three,run-three,basic,,'].join('\n')
    const posted = await upload(admin, csv)
    expect(posted.response.status).toBe(202)
    const id = posted.data!.id
    expect(posted.response.headers.get('location')).toBe(`/v1/runs/${id}`)
    expect(posted.data).toMatchObject({queued: true, status: 'queued', source: 'csv', total: 3, counts: {pending: 3, created: 0}})
    const shown = await s.client(admin).GET('/v1/runs/{id}', {params: {path: {id}}})
    expect(shown.response.status).toBe(200)
    expect(shown.data).toMatchObject({id, queued: true, status: 'queued', total: 3, counts: {pending: 3}, actor: expect.stringMatching(/^token:/)})
  })

  it('a CSV that is not UTF-8 is 400 FILE_ENCODING; nothing is queued', async () => {
    const [before] = await s.db.sql`select count(*)::int as n from provisioning_runs`
    const csv = Buffer.concat([Buffer.from(`${HEADER}\nCaf`), Buffer.from([0xe9]), Buffer.from(' Co,cafe-co,basic,a@cafe.example,\n')])
    const r = await request(`${s.url}/v1/runs`, {method: 'POST', token: admin, headers: {'content-type': 'text/csv'}, body: csv})
    expect(r.status).toBe(400)
    expect(r.body).toMatchObject({code: 'FILE_ENCODING', field: 'body'})
    expect(await s.db.sql`select count(*)::int as n from provisioning_runs`).toEqual([before])
  })

  it('an invalid CSV is 422 RUN_REFUSED with every problem and its line; nothing is queued', async () => {
    const [before] = await s.db.sql`select count(*)::int as n from provisioning_runs`
    const csv = [HEADER, 'Bad Plan,bad-plan,platinum,a@bad.example,', 'Fine,fine-one,basic,,', ',Not_A_Subdomain!,basic,not-an-email,'].join('\n')
    const refused = await request(`${s.url}/v1/runs`, {method: 'POST', token: admin, headers: {'content-type': 'text/csv'}, body: csv})
    expect(refused.status).toBe(422)
    expect(refused.headers.get('content-type')).toContain('application/problem+json')
    expect(refused.body.code).toBe('RUN_REFUSED')
    const errors = refused.body.errors as {code: string; line?: number; field?: string}[]
    expect(new Set(errors.map((e) => e.line))).toEqual(new Set([2, 4]))
    expect(errors.length).toBeGreaterThanOrEqual(3)
    const [after] = await s.db.sql`select count(*)::int as n from provisioning_runs`
    expect(after!.n).toBe(before!.n)
  })

  it("the guide's JSON config is 202, with an Idempotency-Key replayed", async () => {
    const config = CONFIG_TEMPLATE.replaceAll('example-retail', 'run-config')
    const headers = {'idempotency-key': 'runs-config-1'}
    const first = await request(`${s.url}/v1/runs`, {method: 'POST', token: admin, headers: {...headers, 'content-type': 'application/json'}, body: config})
    expect(first).toMatchObject({status: 202, body: {source: 'json', total: 1, status: 'queued'}})
    const again = await request(`${s.url}/v1/runs`, {method: 'POST', token: admin, headers: {...headers, 'content-type': 'application/json'}, body: config})
    expect(again.status).toBe(202)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.body.id).toBe(first.body.id)
  })

  it('the bulk scope to POST, tenants:read to GET; an unknown run is 404', async () => {
    const reader = await s.token(['tenants:read'])
    expect(await request(`${s.url}/v1/runs`, {method: 'POST', token: reader, headers: {'content-type': 'text/csv'}, body: `${HEADER}\nX,scope-x,basic,,`})).toMatchObject({status: 403, body: {code: 'SCOPE_MISSING'}})
    expect(await request(`${s.url}/v1/runs/00000000-0000-4000-8000-000000000000`, {token: reader})).toMatchObject({status: 404, body: {code: 'RUN_NOT_FOUND'}})
    expect(await request(`${s.url}/v1/runs/not-a-run`, {token: reader})).toMatchObject({status: 400, body: {code: 'RUN_ID_INVALID'}})
    expect(await request(`${s.url}/v1/runs/00000000-0000-4000-8000-000000000000`, {token: await s.token(['bulk'])})).toMatchObject({status: 403})
  })

  it('rate and batchSize in the query string pace the run as --rate and --batch-size do; out of bounds is 400', async () => {
    const csv = [HEADER, ...Array.from({length: 20}, (_, i) => `Paced ${i},paced-${i},basic,,`)].join('\n')
    const post = (query: string) => request(`${s.url}/v1/runs?${query}`, {method: 'POST', token: admin, headers: {'content-type': 'text/csv'}, body: csv})
    const paced = await post('rate=40&batchSize=7')
    expect(paced).toMatchObject({status: 202, body: {rate: 40, total: 20}})
    const [jobs] = await s.db.sql`select count(distinct batch)::int as n, max(batch)::int as last from provisioning_run_rows where run_id = ${paced.body.id as string}`
    expect(jobs).toEqual({n: 3, last: 2})
    // with a rate, at most a quarter second's worth per job: 8 tenants/s is 2 a job
    const slow = await post('rate=8')
    const [small] = await s.db.sql`select count(distinct batch)::int as n from provisioning_run_rows where run_id = ${slow.body.id as string}`
    expect(small!.n).toBe(10)
    const [before] = await s.db.sql`select count(*)::int as n from provisioning_runs`
    for (const query of ['rate=0', 'batchSize=5001', 'rate=2147483648', 'batchSize=2.5', 'rate=fast', 'speed=1']) {
      const refused = await post(query)
      expect(refused.status, query).toBe(400)
      expect(refused.body.field, query).toBe(query.split('=')[0])
    }
    expect(await s.db.sql`select count(*)::int as n from provisioning_runs`).toEqual([before])
  })

  it('a worker creates the queued tenants; GET then shows the run completed', async () => {
    const posted = await upload(admin, [HEADER, 'Done One,done-one,basic,,', 'Done Two,done-two,basic,,'].join('\n'))
    expect(posted.response.status).toBe(202)
    const worker = await startWorker(s.db.sql, {concurrency: 1, ctx: {actor: 'test', baseDomain: 'anthias.app'}, log: () => undefined})
    try {
      await waitForRun(s.db.sql, posted.data!.id, () => undefined, {intervalMs: 100})
    } finally {
      await worker.stop()
    }
    const shown = await s.client(admin).GET('/v1/runs/{id}', {params: {path: {id: posted.data!.id}}})
    expect(shown.data).toMatchObject({status: 'completed', counts: {pending: 0, created: 2, failed: 0}})
    const tenants = await s.db.sql`select subdomain from tenants where subdomain in ('done-one', 'done-two') order by subdomain`
    expect(tenants.map((t) => t.subdomain)).toEqual(['done-one', 'done-two'])
  })
})
