import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'
import {createTestDatabase, type TestDatabase} from '../helpers/db.js'

/** What a newcomer meets first: the quick start, then the commands its output and --help point to. */
describe('the newcomer path', () => {
  let t: TestDatabase
  let env: NodeJS.ProcessEnv
  let dir: string

  beforeAll(async () => {
    t = await createTestDatabase()
    env = {DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', ANTHIAS_BASE_DOMAIN: 'anthias.app', CI: '1'}
    dir = await mkdtemp(join(tmpdir(), 'anthias-newcomer-'))
    // the quick start
    expect((await cli(['create_tenant', 'Acme Corp', 'acme-corp', '--plan', 'professional'], {env})).code).toBe(0)
  })
  afterAll(async () => {
    await t?.drop()
    if (dir) await rm(dir, {recursive: true, force: true})
  })

  it('the untouched templates provision right after the quick start, one after the other', async () => {
    for (const [command, file] of [['bulk-create', 'tenants.csv'], ['provision', 'tenant_configs.json']] as const) {
      const template = await cli(['tenant', command, '--template'], {env})
      expect(template.code).toBe(0)
      await writeFile(join(dir, file), template.stdout)
      const run = await cli(['tenant', command, join(dir, file), '--json'], {env})
      expect(run.json).toMatchObject({status: 0, result: {created: 1, failed: 0}})
    }
    const [row] = await t.sql<{count: number}[]>`select count(*)::int as count from tenants where subdomain in ('example-signage', 'example-retail')`
    expect(row?.count).toBe(2)
  })

  it('a DATABASE_URL naming a database the server lacks says so, with the createdb command that makes it', async () => {
    const url = new URL(t.url)
    url.pathname = '/anthias_newcomer_missing'
    const r = await cli(['tenant', 'list', '--json'], {env: {...env, DATABASE_URL: url.toString()}})
    expect(r.code).toBe(5)
    expect(r.json?.error).toMatchObject({code: 'DB_NOT_FOUND', message: expect.stringContaining('"anthias_newcomer_missing" does not exist')})
    const createdb = r.json!.error!.suggestions[0]!.replace(/^Create it: /, '')
    expect(createdb).toBe(`createdb -h ${url.hostname} -p ${url.port || 5432} -U ${decodeURIComponent(url.username)} anthias_newcomer_missing`)
    const human = await cli(['tenant', 'list'], {env: {...env, DATABASE_URL: url.toString()}})
    expect(human.stderr).not.toContain('running')
  })

  it('JSON config problems: the record (1-based), and the line and column in the file, apart (records may share a line)', async () => {
    const file = join(dir, 'placed.json')
    await writeFile(file, [
      '[',
      '  {',
      '    "tenant": {"name": "Placed One", "subdomain": "placed-one"}',
      '  },',
      '  {"tenant": {"name": "Bad", "subdomain": "-bad-"}}, {"tenant": {"name": "Gold", "subdomain": "gold-co", "plan_type": "gold"},',
      '   "users": [{"email": "a@example.com", "role": "owner"}, {"email": "nope", "role": "viewer"}]},',
      '  {"tenant": {"name": "Again", "subdomain": "placed-one"}}',
      ']',
    ].join('\r\n'))
    const r = await cli(['tenant', 'provision', file, '--dry-run', '--json'], {env})
    expect(r.code).toBe(68)
    const result = r.json?.result as {errors: {code: string; field: string; record: number; line: number; column: number}[]; rows: {record: number; line: number; outcome: string}[]}
    expect(result.errors.map(({code, field, record, line, column}) => ({code, field, record, line, column}))).toEqual([
      {code: 'SUBDOMAIN_INVALID', field: '[1].tenant.subdomain', record: 2, line: 5, column: 30},
      {code: 'PLAN_UNKNOWN', field: '[2].tenant.plan_type', record: 3, line: 5, column: 106},
      {code: 'EMAIL_INVALID', field: '[2].users[1].email', record: 3, line: 6, column: 60},
      {code: 'DUPLICATE_IN_FILE', field: '[3].tenant.subdomain', record: 4, line: 7, column: 32},
    ])
    expect(result.rows.map(({record, line, outcome}) => [record, line, outcome])).toEqual([[1, 2, 'created'], [2, 5, 'failed'], [3, 5, 'failed'], [4, 7, 'failed']])
    const human = await cli(['tenant', 'provision', file, '--dry-run'], {env})
    expect(human.stdout).toContain('record 3, line 6, column 60, [2].users[1].email: EMAIL_INVALID')
    expect(human.stdout).toContain('Again (record 4, line 7): DUPLICATE_IN_FILE: Subdomain "placed-one" is also in record 1')

    await writeFile(file, '[\n  {"tenant": {"name": "A", "subdomain": "a-co"}},\n  {"tenant": {"name": "B" "subdomain": "b-co"}}\n]\n')
    const syntax = await cli(['tenant', 'provision', file, '--json'], {env})
    expect(syntax.code).toBe(2)
    expect(syntax.json?.error).toMatchObject({code: 'JSON_INVALID', field: 'FILE', line: 3, column: 27})
    expect(syntax.json?.error?.message).toContain('at line 3, column 27')
  })

  it("the validation library's wording never reaches the user", async () => {
    const file = join(dir, 'unnamed.json')
    await writeFile(file, JSON.stringify([{tenant: {subdomain: 'no-name'}}, {tenant: {name: 5, subdomain: 'five'}}]))
    const r = await cli(['tenant', 'provision', file, '--dry-run', '--json'], {env})
    const errors = (r.json?.result as {errors: {code: string; message: string; field: string}[]}).errors
    expect(errors).toEqual([
      expect.objectContaining({code: 'NAME_INVALID', message: 'name is required', field: '[0].tenant.name'}),
      expect.objectContaining({code: 'NAME_INVALID', message: 'name must be a string, not a number', field: '[1].tenant.name'}),
    ])
  })

  it('tenant update with nothing to change says so, exits 0 and writes no audit row', async () => {
    const audits = async () => (await t.sql<{count: number}[]>`select count(*)::int as count from audit_log where action = 'tenant.update'`)[0]!.count
    const before = await audits()
    for (const args of [[], ['--name', 'Acme Corp', '--max-users', '25', '--setting', 'timezone=UTC'], ['--feature', 'api_access=true']]) {
      // the first run of the last two changes something; the second run the same values again
      if (args.length > 0) expect((await cli(['tenant', 'update', 'acme-corp', ...args], {env})).stdout).toContain('Updated acme-corp')
      const again = await cli(['tenant', 'update', 'acme-corp', ...args], {env})
      expect(again.code).toBe(0)
      expect(again.stdout).toContain('Nothing to change')
      expect((await cli(['tenant', 'update', 'acme-corp', ...args, '--json'], {env})).json).toMatchObject({status: 0, result: {changed: false}})
    }
    expect(await audits()).toBe(before + 2)
  })
})
