import {type ChildProcess, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, cli} from '../helpers/cli.js'
import {createTestDatabase, type TestDatabase} from '../helpers/db.js'
import {partialTenants} from '../helpers/tenants.js'

const ROWS = 1500

/** The created rows of a CSV report: tenant id and the owner's one-time invitation token. */
async function reportTokens(path: string): Promise<Map<string, string>> {
  const rows = (await readFile(path, 'utf8')).trim().split('\n').slice(1).map((line) => line.split(','))
  // line,name,subdomain,outcome,tenant_id,access_url,invitations,...
  return new Map(rows.filter((r) => r[3] === 'created').map((r) => [r[4]!, r[6]!.split(':').at(-1)!]))
}

/** Each tenant's owner invitation, as the SHA-256 stored in place of the token. */
const ownerTokenHashes = async (t: TestDatabase) =>
  new Map((await t.sql<{tenantId: string; hash: string}[]>`
    select tenant_id, invitation_token_hash as hash from memberships where role = 'owner'`).map((r) => [r.tenantId, r.hash]))

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** Start from no tenants and no runs. */
const empty = (t: TestDatabase) => t.sql`truncate tenant_features, memberships, tenants, tenant_domains, users, provisioning_run_rows, provisioning_runs cascade`

const tenants = async (t: TestDatabase) => (await t.sql<{n: number}[]>`select count(*)::int as n from tenants`)[0]!.n

function start(args: string[], env: NodeJS.ProcessEnv): {child: ChildProcess; done: Promise<number | null>} {
  const child = spawn(process.execPath, [BIN, ...args], {env: {...process.env, ...env}, stdio: 'ignore'})
  return {child, done: new Promise((resolve) => child.on('exit', (code) => resolve(code)))}
}

async function until(check: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('bulk runs killed midway', () => {
  let t: TestDatabase
  let dir: string
  let csv: string
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    t = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'anthias-faults-'))
    csv = join(dir, 'tenants.csv')
    const lines = ['name,subdomain,owner_email,features']
    for (let i = 0; i < ROWS; i++) lines.push(`Fault ${i},fault-${i},owner${i}@fault.example.com,analytics_dashboard;api_access`)
    await writeFile(csv, lines.join('\n') + '\n')
    env = {DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', CI: '1'}
  })
  afterAll(async () => {
    await t?.drop()
    await rm(dir, {recursive: true, force: true})
  })

  it('SIGKILL of the CLI mid-run leaves no partial tenant and no lost token; a re-run finishes the file', async () => {
    await empty(t)
    const report = join(dir, 'killed.csv')
    const {child, done} = start(['tenant', 'bulk-create', csv, '--batch-size', '20', '--rate', '400', '--concurrency', '1', '--report', report], env)
    await until(async () => (await tenants(t)) >= 100)
    child.kill('SIGKILL')
    await done
    // a COMMIT the CLI sent before it died still runs on the server: count once it has
    await until(async () => (await t.sql<{n: number}[]>`
      select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and state = 'active'`)[0]!.n === 0)
    const created = await tenants(t)
    expect(created).toBeGreaterThan(0)
    expect(created).toBeLessThan(ROWS)
    expect(await partialTenants(t.sql, {features: 2})).toBe(0)
    // every tenant created has its owner's one-time token in the report (which may also list one batch that never committed)
    expect((await stat(report)).mode & 0o777).toBe(0o600)
    const tokens = await reportTokens(report)
    const hashes = await ownerTokenHashes(t)
    expect(hashes.size).toBe(created)
    for (const [tenantId, hash] of hashes) expect(sha256(tokens.get(tenantId) ?? '')).toBe(hash)
    expect(tokens.size - created).toBeLessThanOrEqual(20)

    // the report of the killed run is never overwritten
    const again = await cli(['tenant', 'bulk-create', csv, '--json', '--report', report], {env})
    expect(again).toMatchObject({code: 2, json: {error: {code: 'REPORT_EXISTS', field: '--report'}}})
    expect(await tenants(t)).toBe(created)

    const rerun = await cli(['tenant', 'bulk-create', csv, '--json', '--report', join(dir, 'rerun.json')], {env})
    expect(rerun.code).toBe(0)
    expect(rerun.json!.result).toMatchObject({created: ROWS - created, unchanged: created, failed: 0})
    expect(await tenants(t)).toBe(ROWS)
    expect(await partialTenants(t.sql, {features: 2})).toBe(0)
    const json = JSON.parse(await readFile(join(dir, 'rerun.json'), 'utf8')) as {runId: string; complete: boolean; rows: {outcome: string; tenantId: string; invitations?: {token: string}[]}[]}
    expect(json).toMatchObject({runId: (rerun.json!.result as {runId: string}).runId, complete: true})
    expect(json.rows.filter((r) => r.outcome === 'unchanged')).toHaveLength(created)
    const fresh = json.rows.filter((r) => r.outcome === 'created')
    expect(fresh).toHaveLength(ROWS - created)
    const all = await ownerTokenHashes(t)
    for (const r of fresh) expect(sha256(r.invitations![0]!.token)).toBe(all.get(r.tenantId))
  })

  it('terminating its database connection mid-run leaves no partial tenant; a re-run finishes the file', async () => {
    await empty(t)
    const {done} = start(['tenant', 'bulk-create', csv, '--batch-size', '20', '--rate', '400', '--concurrency', '1'], env)
    await until(async () => (await tenants(t)) >= 100)
    // terminate the backend while it runs a statement of the run, so a transaction dies midway
    await until(async () => {
      const killed = await t.sql`select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and application_name = 'anthias' and state = 'active' and pid <> pg_backend_pid()`
      return killed.length > 0
    })
    expect(await done).toBe(1)
    const created = await tenants(t)
    expect(created).toBeLessThan(ROWS)
    expect(await partialTenants(t.sql, {features: 2})).toBe(0)
    const rerun = await cli(['tenant', 'bulk-create', csv, '--json'], {env})
    expect(rerun.code).toBe(0)
    expect(await tenants(t)).toBe(ROWS)
    expect(await partialTenants(t.sql, {features: 2})).toBe(0)
  })
})
