/**
 * The provisioning queue with real processes: workers spawned from the built
 * CLI against a database of their own, killed with SIGKILL mid-run, stopped
 * with SIGTERM; runs inspected row by row.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {BIN, cli} from '../helpers/cli.js'
import {createTestDatabase, type TestDatabase} from '../helpers/db.js'
import {partialTenants} from '../helpers/tenants.js'

interface Worker {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

async function until(check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('queued provisioning with worker processes', () => {
  let t: TestDatabase
  let dir: string
  let env: NodeJS.ProcessEnv
  const workers: Worker[] = []

  const startWorker = (args: string[] = []): Worker => {
    const child = spawn(process.execPath, [BIN, 'worker', '--json', ...args], {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    child.stdout!.on('data', (chunk) => (output += chunk))
    child.stderr!.on('data', (chunk) => (output += chunk))
    const worker = {child, output: () => output, exited: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))}
    workers.push(worker)
    return worker
  }
  const stopWorkers = async () => {
    for (const w of workers.splice(0)) {
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM')
      const code = await w.exited
      if (w.child.signalCode !== 'SIGKILL') expect(code).toBe(0)
    }
  }
  const csv = async (name: string, prefix: string, rows: number) => {
    const path = join(dir, name)
    const lines = ['name,subdomain,owner_email,features']
    for (let i = 0; i < rows; i++) lines.push(`${prefix} ${i},${prefix}-${i},owner${i}@${prefix}.example.com,analytics_dashboard;api_access`)
    await writeFile(path, lines.join('\n') + '\n')
    return path
  }
  const enqueue = async (file: string, ...args: string[]) => {
    const r = await cli(['tenant', 'bulk-create', file, '--queue', '--json', ...args], {env})
    expect(r.code, r.stdout + r.stderr).toBe(0)
    return (r.json!.result as {runId: string}).runId
  }
  const show = async (runId: string) => {
    const r = await cli(['run', 'show', runId, '--json'], {env})
    expect(r.code).toBe(0)
    return r.json!.result as {status: string; counts: {pending: number; created: number; unchanged: number; failed: number; cancelled: number}; failures: {line: number; code: string}[]}
  }

  beforeAll(async () => {
    t = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'anthias-queue-'))
    // dead workers' jobs are found within seconds, not the default 10
    env = {DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', CI: '1', ANTHIAS_QUEUE_SUPERVISE_SECONDS: '2'}
  })
  afterEach(stopWorkers)
  afterAll(async () => {
    await stopWorkers()
    await t?.drop()
    await rm(dir, {recursive: true, force: true})
  })

  it('three workers drain 3,000 tenants; one SIGKILLed mid-run; every tenant whole, none twice; the same file again is unchanged', {timeout: 240_000}, async () => {
    const file = await csv('big.csv', 'drain', 3000)
    const runId = await enqueue(file, '--batch-size', '100', '--rate', '400')
    const [first] = [startWorker(), startWorker(['--concurrency', '3']), startWorker()]
    // the first worker has done a job (so it takes part), and the run is far from done
    await until(async () => first!.output().includes('"event":"job"'))
    first!.child.kill('SIGKILL')
    await first!.exited
    const killedAt = await show(runId)
    expect(killedAt.counts.pending).toBeGreaterThan(0)

    const waited = await cli(['run', 'wait', runId, '--json'], {env})
    expect(waited.code, waited.stdout + waited.stderr).toBe(0)
    expect(waited.json!.result).toMatchObject({status: 'completed', counts: {pending: 0, created: 3000, unchanged: 0, failed: 0}})
    // the file's own tenants: the other tests of this file (in any order) add theirs
    expect((await t.sql`select count(*)::int as n from tenants where subdomain like 'drain-%'`)[0]!.n).toBe(3000)
    expect(await partialTenants(t.sql, {features: 2, prefix: 'drain'})).toBe(0)
    // each row settled once, with its own tenant
    const [rows] = await t.sql<{created: number; tenants: number}[]>`
      select count(*) filter (where outcome = 'created')::int as created, count(distinct outcome_tenant_id)::int as tenants
      from provisioning_run_rows where run_id = ${runId}`
    expect(rows).toEqual({created: 3000, tenants: 3000})
    // the workers' log lines are JSON, one per job, and carry no invitation token
    const lines = workers.slice(1).flatMap((w) => w.output().trim().split('\n'))
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow()
    expect(lines.join('\n')).not.toMatch(/inv_|token/i)

    // the same file queued again: nothing to do, every row unchanged
    const again = await cli(['tenant', 'bulk-create', file, '--queue', '--json'], {env})
    expect(again.json!.result).toMatchObject({queued: 0, unchanged: 3000, jobs: 0})
    const second = await show((again.json!.result as {runId: string}).runId)
    expect(second).toMatchObject({status: 'completed', counts: {pending: 0, created: 0, unchanged: 3000}})
  })

  it('--rate caps tenants per second across all workers of the run (within 10%); SIGTERM lets a worker finish its job', {timeout: 120_000}, async () => {
    const rate = 30
    const runId = await enqueue(await csv('rate.csv', 'rate', 240), '--rate', String(rate))
    const stopped = startWorker()
    startWorker()
    startWorker()
    // SIGTERM mid-run: the worker finishes the job it holds (waiting for its slot, then writing) and exits 0
    await until(async () => stopped.output().includes('"event":"job"'))
    stopped.child.kill('SIGTERM')
    expect(await stopped.exited).toBe(0)
    expect(stopped.output()).toContain('"event":"stopped"')
    expect(stopped.output()).not.toContain('job-failed')
    expect((await cli(['run', 'wait', runId], {env})).code).toBe(0)
    // each batch waits for the end of its slot (the database hands out slots of batch/rate seconds
    // one after the other), so from the first batch written to the last, N - (first batch) tenants
    // take (N - first batch) / rate seconds
    const [m] = await t.sql<{n: number; first: number; seconds: number}[]>`
      select count(*)::int as n, (select count(*)::int from provisioning_run_rows where run_id = ${runId} and batch = 0) as first,
        extract(epoch from max(settled_at) - min(settled_at))::float8 as seconds
      from provisioning_run_rows where run_id = ${runId} and outcome = 'created'`
    expect(m!.n).toBe(240)
    const measured = (m!.n - m!.first) / m!.seconds
    expect(measured).toBeGreaterThan(rate * 0.9)
    expect(measured).toBeLessThan(rate * 1.1)
  })

  it('--monitor-every: the scheduled check runs once per interval with two workers running', {timeout: 240_000}, async () => {
    const started = Date.now()
    const a = startWorker(['--monitor-every', '1m'])
    const b = startWorker(['--monitor-every', '1m'])
    const monitorJobs = (w: Worker) => w.output().split('\n').filter((l) => l.includes('"queue":"monitor"') && l.includes('"event":"job"')).length
    await until(async () => monitorJobs(a) + monitorJobs(b) >= 2, 200_000)
    const seconds = (Date.now() - started) / 1000
    await stopWorkers()
    const [jobs] = await t.sql<{n: number}[]>`select count(*)::int as n from pgboss.job where name = 'anthias-monitor'`
    // one job a minute for the cluster (plus, at most, the occurrence that was due when the schedule was
    // made), each run by one of the two workers: not one a minute per worker
    expect(monitorJobs(a) + monitorJobs(b)).toBe(jobs!.n)
    expect(jobs!.n).toBeLessThanOrEqual(Math.ceil(seconds / 60) + 1)
  })

  it('the same file queued twice before any worker runs: each tenant created once, the other run reports it unchanged', async () => {
    const file = await csv('twice.csv', 'twice', 120)
    const one = await enqueue(file, '--batch-size', '25')
    const two = await enqueue(file, '--batch-size', '25')
    startWorker(['--concurrency', '4'])
    startWorker(['--concurrency', '4'])
    for (const id of [one, two]) expect((await cli(['run', 'wait', id], {env})).code).toBe(0)
    const [a, b] = [await show(one), await show(two)]
    expect(a.counts.created + b.counts.created).toBe(120)
    expect(a.counts.created + a.counts.unchanged).toBe(120)
    expect(b.counts.created + b.counts.unchanged).toBe(120)
    expect((await t.sql`select count(*)::int as n from tenants where subdomain like 'twice-%'`)[0]!.n).toBe(120)
    expect(await partialTenants(t.sql, {features: 2, prefix: 'twice'})).toBe(0)
  })

  it('a file with a bad row queues nothing and names every problem', async () => {
    const path = join(dir, 'bad.csv')
    await writeFile(path, 'name,subdomain\nGood,good-one\nBad,-bad-\n,no-name\n')
    const before = (await t.sql`select count(*)::int as n from provisioning_runs`)[0]!.n
    const r = await cli(['tenant', 'bulk-create', path, '--queue', '--json'], {env})
    expect(r.code).toBe(2)
    expect(r.json).toMatchObject({error: {code: 'BULK_REFUSED'}, result: {runId: null}})
    expect((r.json!.result as {errors: {line: number}[]}).errors.map((e) => e.line)).toEqual([3, 4])
    expect((await t.sql`select count(*)::int as n from provisioning_runs`)[0]!.n).toBe(before)
    expect((await t.sql`select count(*)::int as n from pgboss.job where name = 'anthias-provision' and state = 'created'`)[0]!.n).toBe(0)
  })

  it('a small run queued after a big one finishes first; cancel stops a run; retry queues failed rows only', {timeout: 120_000}, async () => {
    const big = await enqueue(await csv('fair-big.csv', 'fairbig', 1500), '--batch-size', '25')
    const slow = await enqueue(await csv('slow.csv', 'slow', 300), '--rate', '40')
    const small = await enqueue(await csv('fair-small.csv', 'fairsmall', 50), '--batch-size', '25')
    // a row of a third run fails: its subdomain is taken meanwhile by a tenant with another spec
    const failing = await enqueue(await csv('fail.csv', 'failing', 3), '--batch-size', '25')
    expect((await cli(['tenant', 'create', 'Taken', 'failing-1', '--json'], {env})).code).toBe(0)
    startWorker(['--concurrency', '1'])
    expect((await cli(['run', 'wait', small], {env})).code).toBe(0)
    expect((await show(big)).counts.pending).toBeGreaterThan(0)

    const cancelled = await cli(['run', 'cancel', slow, '--json'], {env})
    expect(cancelled.json!.result).toMatchObject({status: 'cancelled', counts: {pending: 0}})
    const counts = (cancelled.json!.result as {counts: {created: number; cancelled: number}}).counts
    expect(counts.cancelled).toBeGreaterThan(0)
    expect(counts.created + counts.cancelled).toBe(300)
    const wait = await cli(['run', 'wait', slow, '--json'], {env})
    expect(wait).toMatchObject({code: 1, json: {error: {code: 'RUN_CANCELLED'}}})

    const partial = await cli(['run', 'wait', failing, '--json'], {env})
    expect(partial).toMatchObject({code: 68, json: {error: {code: 'BULK_PARTIAL'}, result: {counts: {created: 2, failed: 1}}}})
    expect((partial.json!.result as {failures: unknown[]}).failures).toEqual([expect.objectContaining({line: 3, code: 'SUBDOMAIN_TAKEN'})])
    const retried = await cli(['run', 'retry', failing, '--json'], {env})
    expect(retried.json!.result).toMatchObject({retried: 1})
    const again = await cli(['run', 'wait', failing, '--json'], {env})
    expect(again).toMatchObject({code: 68, json: {result: {counts: {created: 2, failed: 1, pending: 0}}}})

    const list = await cli(['run', 'list', '--limit', '2', '--json'], {env})
    expect(list.json!.result).toMatchObject({items: [{id: failing}, {id: small}], total: expect.any(Number)})
    const next = await cli(['run', 'list', '--limit', '2', '--after', (list.json!.result as {nextCursor: string}).nextCursor, '--json'], {env})
    expect((next.json!.result as {items: {id: string}[]}).items[0]!.id).toBe(slow)
    // the cancelled run's rows stay cancelled: no tenant made for them after the cancel
    expect((await cli(['run', 'wait', big], {env})).code).toBe(0)
    expect((await show(slow)).counts).toEqual(counts)
  })
})
