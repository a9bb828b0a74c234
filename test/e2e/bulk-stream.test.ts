import {spawn} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, cli} from '../helpers/cli.js'
import {createTestDatabase, type TestDatabase} from '../helpers/db.js'

const ROWS = 600

interface Row {
  line: number
  outcome: string
  tenantId?: string
  invitations: number
  error?: {code: string}
}

const lines = (rows: {line: number}[]) => rows.map((r) => r.line)
const ascending = (numbers: number[]) => numbers.every((n, i) => i === 0 || n > numbers[i - 1]!)

/**
 * The CLI does not keep a run's rows: each goes to the report file and the
 * --json document as the run settles it. Whatever the batches' order of commit,
 * both hold every row, the document in the order of the file.
 */
describe('bulk rows streamed, not kept', () => {
  let t: TestDatabase
  let dir: string
  let csv: string
  let env: NodeJS.ProcessEnv
  /** the data lines of csv that are refused (a bad email), duplicated (line 2's subdomain), or made by an earlier run */
  const refused = new Set([7, 150, 401])
  const duplicate = new Set([88, 555])
  const existing = new Set([3, 300, ROWS + 1])

  beforeAll(async () => {
    t = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'anthias-stream-'))
    env = {DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', CI: '1'}
    const row = (line: number) => {
      const i = line - 2
      const subdomain = duplicate.has(line) ? 'stream-0' : `stream-${i}`
      return `Stream ${i},${subdomain},${refused.has(line) ? 'not-an-email' : `owner${i}@stream.example.com`},api_access`
    }
    const header = 'name,subdomain,owner_email,features'
    await writeFile(join(dir, 'earlier.csv'), [header, ...[...existing].map(row), ''].join('\n'))
    csv = join(dir, 'tenants.csv')
    await writeFile(csv, [header, ...Array.from({length: ROWS}, (_, i) => row(i + 2)), ''].join('\n'))
  })
  afterAll(async () => {
    await t?.drop()
    await rm(dir, {recursive: true, force: true})
  })

  /** Start from no tenants and no runs (the tests may run in any order). */
  const empty = () => t.sql`truncate tenant_features, memberships, tenant_domains, tenants, users, provisioning_run_rows, provisioning_runs cascade`

  it('--json and --report hold every row (the document in file order), and so do the run records', async () => {
    await empty()
    expect((await cli(['tenant', 'bulk-create', join(dir, 'earlier.csv')], {env})).code).toBe(0)
    const report = join(dir, 'report.csv')
    const run = await cli(['tenant', 'bulk-create', csv, '--json', '--report', report, '--batch-size', '7', '--concurrency', '4'], {env})
    expect(run.code).toBe(68)
    const result = run.json!.result as {runId: string; total: number; created: number; unchanged: number; failed: number; rows: Row[]; errors: {line: number}[]}
    expect(run.json).toMatchObject({status: 68, error: {code: 'BULK_PARTIAL'}})
    const all = Array.from({length: ROWS}, (_, i) => i + 2)
    expect(lines(result.rows)).toEqual(all)
    expect(result).toMatchObject({total: ROWS, created: ROWS - 8, unchanged: 3, failed: 5})
    expect(result.rows.filter((r) => r.outcome === 'unchanged').map((r) => r.line)).toEqual([...existing])
    expect(result.rows.filter((r) => r.outcome === 'failed').map((r) => r.line)).toEqual([...refused, ...duplicate].sort((a, b) => a - b))
    expect(result.rows.filter((r) => r.outcome === 'created').every((r) => r.invitations === 1 && r.tenantId)).toBe(true)
    expect(lines(result.errors)).toEqual([...refused, ...duplicate].sort((a, b) => a - b))

    // the report file: every row, in the order they were settled
    const reported = (await readFile(report, 'utf8')).trim().split('\n').slice(1).map((line) => Number(line.split(',')[0]))
    expect(reported.sort((a, b) => a - b)).toEqual(all)

    const recorded = await t.sql<{line: number; outcome: string}[]>`select line, outcome from provisioning_run_rows where run_id = ${result.runId} order by line`
    expect(recorded.map((r) => [r.line, r.outcome])).toEqual(result.rows.map((r) => [r.line, r.outcome]))
  })

  it('Ctrl-C with --json closes the document: the rows written so far, status 130 and INTERRUPTED', async () => {
    await empty()
    const child = spawn(process.execPath, [BIN, 'tenant', 'bulk-create', csv, '--json', '--batch-size', '10', '--rate', '200', '--concurrency', '1'], {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'ignore']})
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    const deadline = Date.now() + 60_000
    while ((await t.sql<{n: number}[]>`select count(*)::int as n from tenants`)[0]!.n < 50) {
      if (Date.now() > deadline) throw new Error('timed out')
      await new Promise((r) => setTimeout(r, 50))
    }
    child.kill('SIGINT')
    expect(await done).toBe(130)
    const json = JSON.parse(stdout) as {status: number; error: {code: string}; result: {rows: Row[]}}
    expect(json).toMatchObject({status: 130, error: {code: 'INTERRUPTED'}})
    expect(json.result.rows.length).toBeGreaterThan(0)
    expect(json.result.rows.length).toBeLessThan(ROWS)
    expect(ascending(lines(json.result.rows))).toBe(true)
  })
})
