import postgres, {type ReservedSql} from 'postgres'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {resolveContext} from '../../src/lib/context.js'
import {createTenant} from '../../src/lib/tenants.js'
import {cli} from '../helpers/cli.js'
import {createTestDatabase, onCitus, snapshot, type TestDatabase} from '../helpers/db.js'

const ctx = resolveContext({actor: 'test'})

/** An application transaction holding a lock on a tenant's row: the CLI gives up instead of waiting for ever. */
describe('commands behind another transaction\'s lock', () => {
  let t: TestDatabase
  let holder: postgres.Sql
  let held: ReservedSql
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    t = await createTestDatabase()
    for (const s of ['locked-co', 'free-co']) await createTenant(t.sql, {name: s, subdomain: s, ownerEmail: `owner@${s}.example.com`}, ctx)
    holder = postgres(t.url, {max: 1, onnotice: () => undefined})
    held = await holder.reserve()
    await held`begin`
    // by id: on Citus a row lock must go to one shard
    const [locked] = await t.sql<{id: string}[]>`select id from tenants where subdomain = 'locked-co'`
    await held`select 1 from tenants where id = ${locked!.id} for key share`
    env = {ANTHIAS_DATABASE_URL: t.url, ANTHIAS_LOCK_TIMEOUT: '300ms', CI: '1'}
  })
  afterAll(async () => {
    await held`rollback`
    held.release()
    await holder.end()
    await t?.drop()
  })

  // Not on Citus: there the wait is on the worker holding the tenant's shard, and lock_timeout
  // (a startup parameter of the coordinator's session) does not reach it (README, Running on Citus)
  it.skipIf(onCitus()).each([
    ['tenant suspend', ['tenant', 'suspend', 'locked-co', '--json']],
    ['user invite', ['user', 'invite', 'locked-co', 'new@locked-co.example.com', '--role', 'editor', '--json']],
  ])('%s exits 1 with LOCK_TIMEOUT naming the tenant, and changes nothing', async (_, args) => {
    const before = await snapshot(t.sql)
    const result = await cli(args, {env})
    expect(result.code, result.stdout + result.stderr).toBe(1)
    expect(result.json!.error).toMatchObject({code: 'LOCK_TIMEOUT', message: expect.stringContaining('locked-co')})
    expect(result.json!.error!.suggestions.join(' ')).toContain(`anthias ${args[0]} ${args[1]}`)
    expect(await snapshot(t.sql)).toEqual(before)
    const [tenant] = await t.sql`select status from tenants where subdomain = 'locked-co'`
    expect(tenant!.status).toBe('active')
  })

  it('with no lock timeout, the statement timeout cancels the wait: STATEMENT_TIMEOUT, exit 1', async () => {
    const result = await cli(['tenant', 'suspend', 'locked-co', '--json'], {env: {...env, ANTHIAS_LOCK_TIMEOUT: '0', ANTHIAS_STATEMENT_TIMEOUT: '300ms'}})
    expect(result.code).toBe(1)
    expect(result.json!.error).toMatchObject({code: 'STATEMENT_TIMEOUT'})
    const [tenant] = await t.sql`select status from tenants where subdomain = 'locked-co'`
    expect(tenant!.status).toBe('active')
  })

  it('a malformed timeout is refused, naming the variable', async () => {
    const result = await cli(['tenant', 'list', '--json'], {env: {...env, ANTHIAS_LOCK_TIMEOUT: 'soon'}})
    expect(result.code).toBe(2)
    expect(result.json!.error).toMatchObject({code: 'TIMEOUT_INVALID', field: 'ANTHIAS_LOCK_TIMEOUT'})
  })

  // Not on Citus: there the wait is on the worker holding the tenant's shard, and lock_timeout
  // (a startup parameter of the coordinator's session) does not reach it (README, Running on Citus)
  it.skipIf(onCitus())('tenant migrate --all: the locked tenant fails with LOCK_TIMEOUT, the others are migrated (exit 68)', async () => {
    const result = await cli(['tenant', 'migrate', '--all', '--continue-on-error', '--json'], {env})
    expect(result.code, result.stderr).toBe(68)
    const outcomes = (result.json!.result as {outcomes: {subdomain: string; status: string; error?: {code: string}}[]}).outcomes
    expect(outcomes.map((o) => [o.subdomain, o.status, o.error?.code])).toEqual([['free-co', 'migrated', undefined], ['locked-co', 'failed', 'LOCK_TIMEOUT']])
    const ledger = await t.sql`select t.subdomain from tenant_migrations m join tenants t on t.id = m.tenant_id group by t.subdomain`
    expect(ledger.map((r) => r.subdomain)).toEqual(['free-co'])
  })
})
