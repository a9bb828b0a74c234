import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

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

  it('hints name the command that works: ./bin/run.js in the clone without anthias on PATH, else anthias', async () => {
    const clone = {env: {...env, PATH: process.env.PATH}, cwd: fileURLToPath(new URL('../..', import.meta.url))}
    const json = await cli(['tenant', 'show', 'nobody-here', '--json'], clone)
    expect(json.json?.error).toMatchObject({code: 'TENANT_NOT_FOUND', suggestions: ['List tenants with `./bin/run.js tenant list`.']})
    const human = await cli(['tenant', 'creat'], clone)
    expect(human.stderr).toContain('./bin/run.js tenant create | Run "./bin/run.js --help" for the topics and commands.')
    const installed = await cli(['tenant', 'show', 'nobody-here', '--json'], {env})
    expect(installed.json?.error?.suggestions).toEqual(['List tenants with `anthias tenant list`.'])
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
