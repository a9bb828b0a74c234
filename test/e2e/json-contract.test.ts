import {spawn} from 'node:child_process'
import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {envelopeJsonSchema, envelopeSchema} from '../../src/lib/index.js'
import {BIN, cli, type CliResult} from '../helpers/cli.js'
import {contractProblems, isCommandId} from '../helpers/contract.js'
import {createTestDatabase, type TestDatabase} from '../helpers/db.js'

const manifest = JSON.parse(await readFile(new URL('../../oclif.manifest.json', import.meta.url), 'utf8')) as {
  commands: Record<string, {args: Record<string, {required?: boolean}>; flags: Record<string, unknown>}>
}
const COMMANDS = Object.keys(manifest.commands).sort()

/**
 * stdout is exactly one JSON document that is a valid envelope, and its status is the exit code;
 * with `id`, the document also matches that command's schema (schemas/<topic>-<command>.json).
 */
function expectEnvelope(r: CliResult, id?: string): ReturnType<typeof envelopeSchema.parse> {
  let doc: unknown
  expect(() => (doc = JSON.parse(r.stdout)), `stdout is one JSON document:\n${r.stdout}\n${r.stderr}`).not.toThrow()
  const parsed = envelopeSchema.safeParse(doc)
  expect(parsed.error?.issues, r.stdout).toBeUndefined()
  if (id !== undefined) {
    expect(isCommandId(id), `${id} is in src/command-results.ts`).toBe(true)
    if (isCommandId(id)) expect(contractProblems(id, doc), r.stdout).toEqual([])
  }
  expect(parsed.data!.status).toBe(r.code)
  if (r.code !== 0) expect((parsed.data as {error: {code: string}}).error.code).toMatch(/^[A-Z][A-Z0-9_]*$/)
  return parsed.data!
}

describe('the --json contract, for every command of the manifest', () => {
  let t: TestDatabase
  let env: NodeJS.ProcessEnv
  let csv: string
  const argv = (id: string, values: Record<string, string> = {}) => [
    ...id.split(':'),
    ...Object.entries(manifest.commands[id]!.args).filter(([, a]) => a.required).map(([name]) => values[name] ?? ARG_VALUES[name] ?? 'x'),
  ]
  const ARG_VALUES: Record<string, string> = {tenant: 'no-such-tenant', subdomain: 'free-name', name: 'Org', plan: 'basic', email: 'a@example.com', key: 'ak_none', text: 'Acme', file: join(tmpdir(), 'anthias-no-such-file.csv')}

  beforeAll(async () => {
    t = await createTestDatabase()
    env = {DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', ANTHIAS_BASE_DOMAIN: 'anthias.app', CI: '1'}
    csv = join(tmpdir(), `anthias-contract-${process.pid}.csv`)
    await writeFile(csv, 'name,subdomain,plan,contact_email\nBulk One,bulk-one,basic,a@example.com\n')
    expect((await cli(['tenant', 'create', 'Acme', 'acme', '--plan', 'basic'], {env})).code).toBe(0)
  })
  afterAll(async () => t?.drop())

  it('the manifest lists the commands', () => {
    expect(COMMANDS.length).toBeGreaterThan(30)
    expect(JSON.stringify(envelopeJsonSchema())).toContain('"status"')
  })

  it.concurrent.each(COMMANDS)('%s: an unknown flag is UNKNOWN_FLAG, exit 2', async (id) => {
    const r = await cli([...argv(id), '--nonexistent-flag-x', '--json'], {env})
    expect(r.code).toBe(2)
    expect(expectEnvelope(r, id)).toMatchObject({error: {code: 'UNKNOWN_FLAG', field: '--nonexistent-flag-x'}})
  })

  const TAKE_A_TENANT = COMMANDS.filter((id) => id !== 'audit:list' && ('tenant' in manifest.commands[id]!.args || 'tenant' in manifest.commands[id]!.flags))
  it.concurrent.each(TAKE_A_TENANT)('%s: a nonexistent tenant (or what else it lacks) is an error envelope', async (id) => {
    const r = await cli([...argv(id), ...('tenant' in manifest.commands[id]!.flags ? ['--tenant', 'no-such-tenant'] : []), '--json'], {env})
    expect(r.code).not.toBe(0)
    expectEnvelope(r, id)
  })

  const SUCCESSES: string[][] = [
    ['plan', 'list'],
    ['plan', 'show', 'basic'],
    ['db', 'status'],
    ['subdomain', 'check', 'free-name'],
    ['subdomain', 'suggest', 'Acme'],
    ['tenant', 'list'],
    ['tenant', 'show', 'acme'],
    ['tenant', 'usage', 'acme'],
    ['user', 'list', 'acme'],
    ['apikey', 'list', 'acme'],
    ['audit', 'list'],
    ['token', 'list'],
    ['audit', 'list', '--tenant', 'no-such-tenant'],
    ['monitor', 'check', 'acme'],
    ['tenant', 'suspend', 'acme'],
    ['tenant', 'resume', 'acme'],
    ['tenant', 'bulk-create', '--dry-run', 'FILE'],
  ]
  it.each(SUCCESSES)('%s %s ...: success is status 0 with a result and warnings', async (...args) => {
    const r = await cli([...args.map((a) => (a === 'FILE' ? csv : a)), '--json'], {env})
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const doc = expectEnvelope(r, `${args[0]}:${args[1]}`)
    expect(doc).toHaveProperty('result')
    expect(doc.warnings).toEqual(expect.any(Array))
  })

  it('a non-zero exit with a result also has an error: subdomain check, tenant verify, monitor check, bulk-create', async () => {
    const taken = await cli(['subdomain', 'check', 'acme', '--json'], {env})
    expect(taken.code).toBe(4)
    expect(expectEnvelope(taken, 'subdomain:check')).toMatchObject({error: {code: 'SUBDOMAIN_UNAVAILABLE', field: 'SUBDOMAIN'}, result: {status: 'taken'}})
    const reserved = await cli(['subdomain', 'check', 'www', '--json'], {env})
    expect(reserved.code).toBe(2)
    expect(expectEnvelope(reserved, 'subdomain:check')).toMatchObject({error: {code: 'SUBDOMAIN_UNAVAILABLE'}, result: {available: false}})

    const verify = await cli(['tenant', 'verify', 'acme', '--json'], {env})
    expect(verify.code).toBe(1)
    expect(expectEnvelope(verify, 'tenant:verify')).toMatchObject({error: {code: 'VERIFY_FAILED'}, result: {ok: false}})

    // a tenant of its own: acme's monitor check succeeds (above)
    expect((await cli(['tenant', 'create', 'Breach Co', 'breach-co', '--plan', 'basic'], {env})).code).toBe(0)
    expect((await cli(['user', 'invite', 'breach-co', 'viewer@example.com', '--role', 'viewer'], {env})).code).toBe(0)
    expect((await cli(['monitor', 'setup', 'breach-co', '--user-threshold', '0.05', '--channel', 'email:ops@example.com'], {env})).code).toBe(0)
    const monitor = await cli(['monitor', 'check', 'breach-co', '--json'], {env})
    expect(monitor.code).toBe(10)
    expect(expectEnvelope(monitor, 'monitor:check')).toMatchObject({error: {code: 'THRESHOLDS_BREACHED'}, result: {breaches: expect.any(Array)}})

    const bad = join(tmpdir(), `anthias-contract-bad-${process.pid}.csv`)
    await writeFile(bad, 'name,subdomain,plan,contact_email\nGood,bulk-good,basic,g@example.com\nBad,acme,basic,b@example.com\n')
    const bulk = await cli(['tenant', 'bulk-create', bad, '--json'], {env})
    expect(bulk.code).toBe(68)
    expect(expectEnvelope(bulk, 'tenant:bulk-create')).toMatchObject({error: {code: 'BULK_PARTIAL'}, result: {created: 1, failed: 1}})
  })

  it('error.field: --flag for a flag, NAME for an argument, column and line for a CSV row', async () => {
    const del = await cli(['tenant', 'delete', 'acme', '--confirm-name', 'wrong', '--json'], {env})
    expect(expectEnvelope(del, 'tenant:delete')).toMatchObject({error: {field: '--confirm-name'}})
    const create = await cli(['tenant', 'create', 'Other', 'other', '--plan', 'basic', '--owner-email', 'not-an-email', '--json'], {env})
    expect(expectEnvelope(create, 'tenant:create')).toMatchObject({error: {field: '--owner-email'}})
    const show = await cli(['tenant', 'show', 'no-such-tenant', '--json'], {env})
    expect(show.code).toBe(3)
    const file = await cli(['tenant', 'bulk-create', join(tmpdir(), 'anthias-no-such-file.csv'), '--json'], {env})
    expect(expectEnvelope(file, 'tenant:bulk-create')).toMatchObject({error: {field: 'FILE'}})
    const bad = join(tmpdir(), `anthias-contract-row-${process.pid}.csv`)
    await writeFile(bad, 'name,subdomain,plan,contact_email\nBad,bad-row,nope,b@example.com\n')
    const row = await cli(['tenant', 'bulk-create', bad, '--json'], {env})
    const doc = expectEnvelope(row, 'tenant:bulk-create') as {result?: {errors: {field?: string; line?: number}[]}}
    expect(doc.result?.errors[0]).toMatchObject({field: 'plan', line: 2})
  })

  it('every command: a successful run (or a failure with a result) matches its schema', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'anthias-contract-'))
    const seen = new Set<string>()
    /** the command's --json document, checked against its schema; `codes` are the exit codes it may have */
    const run = async (args: string[], codes: number[] = [0], extra: NodeJS.ProcessEnv = {}) => {
      const r = await cli([...args, '--json'], {env: {...env, ...extra}})
      expect(codes, `${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`).toContain(r.code)
      const id = `${args[0]}:${args[1]}`
      const doc = expectEnvelope(r, id)
      expect(doc, `${args.join(' ')} has a result`).toHaveProperty('result')
      seen.add(id)
      return doc.result as Record<string, unknown>
    }
    const sub = 'contract-co'
    await run(['plan', 'list'])
    await run(['plan', 'show', 'basic'])
    await run(['db', 'status'])
    await run(['db', 'migrate', '--plan'])
    // an embedded data dir that was never initialised: nothing to stop, nothing started
    await run(['db', 'stop'], [0], {ANTHIAS_DATA_DIR: join(dir, 'embedded')})
    await run(['subdomain', 'check', sub])
    await run(['subdomain', 'suggest', 'Contract'])
    await run(['tenant', 'create', 'Contract Co', sub, '--plan', 'professional', '--owner-email', 'owner@example.com', '--custom-domain', 'signage.contract.com'])
    await run(['tenant', 'show', sub])
    await run(['tenant', 'list', '--search', 'contract'])
    // --all writes its document as it goes, page by page
    await run(['tenant', 'list', '--all', '--limit', '1'])
    await run(['tenant', 'usage', sub])
    await run(['tenant', 'update', sub, '--name', 'Contract Co 2', '--setting', 'theme=dark'])
    await run(['tenant', 'plan', sub, 'enterprise'])
    await run(['tenant', 'security', sub, '--session-timeout', '60', '--allow-ip', '10.0.0.0/8'])
    await run(['tenant', 'setup-data', '--tenant', sub])
    await run(['tenant', 'verify', sub], [0, 1])
    await run(['tenant', 'migrate', '--tenant', sub, '--setup-rls'])
    await run(['tenant', 'migrate', '--all', '--plan'])
    await run(['user', 'invite', sub, 'viewer@example.com', '--role', 'viewer'])
    await run(['user', 'list', sub])
    await run(['user', 'remove', sub, 'viewer@example.com'])
    const key = await run(['apikey', 'create', sub, '--name', 'deploys', '--permission', 'assets.read', '--expires-days', '30'])
    await run(['apikey', 'list', sub])
    await run(['apikey', 'revoke', sub, String(key.prefix)])
    await run(['monitor', 'setup', sub, '--channel', 'email:ops@example.com'])
    await run(['monitor', 'check', sub], [0, 10])
    await run(['audit', 'list', '--tenant', sub])
    await run(['tenant', 'suspend', sub])
    await run(['tenant', 'resume', sub])
    const backup = join(dir, 'contract.sql')
    await run(['tenant', 'backup', sub, '-o', backup])
    await run(['tenant', 'restore', backup, '--check'])
    await run(['tenant', 'restore', backup, '--as', 'contract-copy'])
    await run(['tenant', 'recover', '--tenant', sub, '--table', 'assets', '--from', backup, '--mode', 'merge'])
    await run(['tenant', 'bulk-create', '--template'])
    await run(['tenant', 'bulk-create', csv, '--dry-run'])
    const config = join(dir, 'config.json')
    await writeFile(config, String((await run(['tenant', 'provision', '--template'])).template))
    await run(['tenant', 'provision', config, '--dry-run'])
    // a queued run, cancelled before any worker takes it: wait ends it with exit 1 and its status
    const queuedCsv = join(dir, 'queued.csv')
    await writeFile(queuedCsv, 'name,subdomain,plan,contact_email\nQueued One,contract-queued,basic,q@example.com\n')
    const runId = String((await run(['tenant', 'bulk-create', queuedCsv, '--queue'])).runId)
    await run(['run', 'show', runId])
    await run(['run', 'list'])
    await run(['run', 'cancel', runId])
    await run(['run', 'retry', runId])
    await run(['run', 'wait', runId], [1])
    const hook = 'http://127.0.0.1:9/contract-hook'
    await run(['webhook', 'add', hook, '--event', 'tenant.created'])
    await run(['webhook', 'list'])
    await run(['notification', 'list'])
    await run(['webhook', 'remove', hook])
    // a worker logs JSON lines until SIGTERM, then its envelope as the last line
    const worker = spawn(process.execPath, [BIN, 'worker', '--json'], {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    const exited = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)))
    await new Promise<void>((resolve) => worker.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('"event":"started"')) resolve()
    }))
    worker.kill('SIGTERM')
    const code = await exited
    const last = out.trim().split('\n').at(-1)!
    expectEnvelope({code: code ?? 1, stdout: last, stderr: ''}, 'worker')
    seen.add('worker')
    await run(['token', 'create', '--name', 'contract', '--scope', 'tenants:read', '--expires-in', '30d'])
    await run(['token', 'list'])
    await run(['token', 'revoke', 'contract'])
    // serve logs JSON lines until SIGTERM, then its envelope as the last line
    const server = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json'], {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    let served = ''
    const serverExited = new Promise<number | null>((resolve) => server.on('exit', (c) => resolve(c)))
    await new Promise<void>((resolve) => server.stderr.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening on')) resolve()
    }))
    server.stdout.on('data', (chunk: Buffer) => (served += chunk.toString()))
    server.kill('SIGTERM')
    const serveCode = await serverExited
    expectEnvelope({code: serveCode ?? 1, stdout: served.trim().split('\n').at(-1)!, stderr: ''}, 'serve')
    seen.add('serve')
    await run(['tenant', 'delete', sub, '--confirm-name', 'Contract Co 2', '--backup-file', join(dir, 'before-delete.sql')])
    // db start runs the embedded server: test/e2e/embedded.test.ts checks its document; the
    // Citus-only commands succeed on a cluster alone: test/integration/citus-ops.test.ts checks theirs
    const elsewhere = new Set(['db:start', 'tenant:isolate', 'tenant:move', 'db:rebalance'])
    expect(COMMANDS.filter((id) => !seen.has(id) && !elsewhere.has(id))).toEqual([])
  }, 240_000)
})
