/**
 * On a Citus cluster (ANTHIAS_TEST_CITUS_URL, see .ci/citus-cluster): the
 * schema distributed by db migrate, row-level security on the shards, one
 * winner of a race for a subdomain, a bulk re-run reported unchanged, db
 * status, and the README's commands. Skipped on one server.
 */
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import postgres from 'postgres'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {provisionFromSource} from '../../src/lib/bulk/provision.js'
import {csvSource} from '../../src/lib/bulk/sources.js'
import {resolveContext} from '../../src/lib/context.js'
import {citusStatus, createRolesOnWorkers, distributeTables, GLOBAL_TABLES} from '../../src/lib/db/citus.js'
import {openDatabase} from '../../src/lib/db/connect.js'
import {APP_ROLE, withTenant} from '../../src/lib/db/tenant-context.js'
import {TENANT_TABLES} from '../../src/lib/tenant-tables.js'
import {createTenant} from '../../src/lib/tenants.js'
import {fileInput} from '../../src/inputs.js'
import {cli} from '../helpers/cli.js'
import {twoTenantsWithData} from '../helpers/tenants.js'
import {createTestDatabase, onCitus, type TestDatabase} from '../helpers/db.js'

const ctx = resolveContext({actor: 'test'})

describe.skipIf(!onCitus())('on Citus', () => {
  let t: TestDatabase
  let dir: string
  let a: string
  let b: string

  beforeAll(async () => {
    t = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'anthias-citus-'))
    ;[a, b] = await twoTenantsWithData(t.sql)
  })

  afterAll(async () => {
    await t?.drop()
    if (dir) await rm(dir, {recursive: true, force: true})
  })

  it('db migrate distributed tenants and every tenant table by tenant, co-located, and made the global tables reference tables', async () => {
    const status = (await citusStatus(t.sql))!
    const placed = Object.fromEntries(status.tables.map((x) => [x.table, x]))
    expect(placed.tenants).toMatchObject({placement: 'distributed', column: 'id'})
    for (const [table, kind] of Object.entries(TENANT_TABLES)) {
      if (kind === 'audit') expect(placed[table], table).toMatchObject({placement: 'coordinator'})
      else expect(placed[table], table).toMatchObject({placement: 'distributed', column: 'tenant_id', colocationId: placed.tenants!.colocationId})
    }
    for (const [table, placement] of Object.entries(GLOBAL_TABLES)) expect(placed[table], table).toMatchObject({placement})
    expect(status.nodes.filter((n) => n.role === 'worker').length).toBeGreaterThanOrEqual(2)
    // nothing left to place: the step is idempotent
    expect(await distributeTables(t.sql)).toEqual([])
  })

  it('RLS on the shards: a tenant sees its own rows, not another tenant\'s, and none without a tenant set', async () => {
    for (const table of ['assets', 'devices', 'qr_contents']) {
      await withTenant(t.sql, a, async (tx) => {
        const rows = await tx`select tenant_id from ${tx(table)}`
        expect(new Set(rows.map((r) => r.tenantId)), table).toEqual(new Set([a]))
        expect((await tx`select 1 from ${tx(table)} where tenant_id = ${b}`).length, table).toBe(0)
        expect((await tx`update ${tx(table)} set name = name || '' where tenant_id = ${b}`).count, table).toBe(0)
      })
      const none = await t.sql.begin(async (tx) => {
        await tx.unsafe(`set local role ${APP_ROLE}`)
        return tx`select 1 from ${tx(table)}`
      })
      expect(none.length, table).toBe(0)
    }
    // another tenant's rows are refused by the policy on the shard
    await expect(withTenant(t.sql, a, (tx) => tx`insert into devices (tenant_id, name) values (${b}, 'Intruder')`)).rejects.toThrow(/row-level security/)
    const [count] = await t.sql<{n: number}[]>`select count(*)::int as n from devices where name = 'Intruder'`
    expect(count!.n).toBe(0)
  })

  it('every shard of a tenant table on the workers has RLS enabled, forced and the tenant policy', async () => {
    const status = (await citusStatus(t.sql))!
    for (const worker of status.nodes.filter((n) => n.role === 'worker')) {
      const u = new URL(t.url)
      u.hostname = worker.host
      u.port = String(worker.port)
      // shards are hidden from pg_class unless asked for
      const sql = postgres(u.toString(), {max: 1, onnotice: () => undefined, connection: {'citus.override_table_visibility': 'off'}})
      try {
        const shards = await sql<{name: string; enabled: boolean; forced: boolean; policies: number}[]>`
          select c.relname as name, c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
            (select count(*)::int from pg_policy p where p.polrelid = c.oid and p.polname = 'tenant_isolation') as policies
          from pg_class c
          where c.relkind = 'r' and c.relname ~ '^(assets|devices|qr_contents|memberships|api_keys)_[0-9]+$'`
        expect(shards.length).toBeGreaterThan(0)
        for (const shard of shards) expect(shard, shard.name).toMatchObject({enabled: true, forced: true, policies: 1})
      } finally {
        await sql.end()
      }
    }
  })

  it('concurrent creates of one subdomain across the cluster: exactly one wins', async () => {
    const pools = await Promise.all(Array.from({length: 4}, () => openDatabase({databaseUrl: t.url, dataDir: '/nonexistent', migrate: false, max: 1})))
    try {
      const outcomes = await Promise.allSettled(pools.map((pool, i) => createTenant(pool.sql, {name: `Racer ${i}`, subdomain: 'race-for-it'}, ctx)))
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
      for (const o of outcomes.filter((x) => x.status === 'rejected')) expect((o as PromiseRejectedResult).reason).toMatchObject({code: 'SUBDOMAIN_TAKEN'})
      const [n] = await t.sql<{tenants: number; names: number}[]>`
        select (select count(*)::int from tenants where lower(subdomain) = 'race-for-it') as tenants,
          (select count(*)::int from tenant_domains where subdomain = 'race-for-it') as names`
      expect(n).toEqual({tenants: 1, names: 1})
    } finally {
      await Promise.all(pools.map((p) => p.close()))
    }
  })

  it('a custom domain is unique across shards too', async () => {
    await cli(['tenant', 'update', 'tenant-a', '--custom-domain', 'shared.example.com', '--json'], {env: {DATABASE_URL: t.url}})
    const second = await cli(['tenant', 'update', 'tenant-b', '--custom-domain', 'shared.example.com', '--json'], {env: {DATABASE_URL: t.url}})
    expect(second.json?.error?.code).toBe('CUSTOM_DOMAIN_TAKEN')
  })

  it('quotas hold on the shards: the triggers refuse an insert above a limit, with its numbers', async () => {
    const env = {DATABASE_URL: t.url}
    expect((await cli(['tenant', 'update', 'tenant-b', '--max-users', '1', '--max-devices', '1', '--json'], {env})).code).toBe(0)
    const invite = await cli(['user', 'invite', 'tenant-b', 'second@b.example.com', '--role', 'viewer', '--json'], {env})
    expect(invite.json?.error).toMatchObject({code: 'QUOTA_EXCEEDED', message: expect.stringContaining('users: 1 in use of 1 allowed (max_users) in tenant-b')})
    await expect(withTenant(t.sql, b, (tx) => tx`insert into devices (tenant_id, name) values (${b}, 'One too many')`)).rejects.toMatchObject({code: 'AQ001'})
    const [n] = await t.sql<{devices: number; members: number}[]>`
      select (select count(*)::int from devices where tenant_id = ${b}) as devices, (select count(*)::int from memberships where tenant_id = ${b}) as members`
    expect(n).toEqual({devices: 1, members: 1})
  })

  it('a bulk re-run reports every row unchanged and creates no duplicate (the conflict query Citus answered wrongly)', async () => {
    const path = join(dir, 'bulk.csv')
    await writeFile(path, ['name,subdomain', ...Array.from({length: 60}, (_, i) => `Bulk ${i},bulk-${i}`)].join('\n') + '\n')
    const first = await provisionFromSource(t.sql, csvSource(await fileInput(path, 'file')), ctx)
    expect(first).toMatchObject({created: 60, unchanged: 0, failed: 0})
    const again = await provisionFromSource(t.sql, csvSource(await fileInput(path, 'file')), ctx)
    expect(again).toMatchObject({created: 0, unchanged: 60, failed: 0})
    const [n] = await t.sql<{n: number}[]>`select count(*)::int as n from tenants where subdomain like 'bulk-%'`
    expect(n!.n).toBe(60)
  })

  it('a role the coordinator had before Citus (so never propagated) is created on the workers, as db migrate needs', async () => {
    const role = `anthias_probe_${Date.now()}`
    const onWorkers = async () => (await t.sql<{result: string}[]>`
      select result from run_command_on_workers(${`select count(*) from pg_roles where rolname = '${role}' and not rolsuper and not rolinherit and rolcanlogin`})`).map((r) => r.result)
    await t.sql.begin(async (tx) => {
      await tx`set local citus.enable_create_role_propagation = off`
      await tx.unsafe(`create role ${role} login noinherit`)
    })
    try {
      expect(await onWorkers()).toEqual(['0', '0'])
      await createRolesOnWorkers(t.sql, [role, 'anthias_no_such_role'])
      expect(await onWorkers()).toEqual(['1', '1'])
      // again: nothing to do, no error
      await createRolesOnWorkers(t.sql, [role])
      expect(await onWorkers()).toEqual(['1', '1'])
    } finally {
      await t.sql`select run_command_on_workers(${`drop role if exists ${role}`})`
      await t.sql.unsafe(`drop role if exists ${role}`)
    }
  })

  it('db status shows the nodes, their shard counts and where each table is', async () => {
    const {code, json} = await cli(['db', 'status', '--json'], {env: {DATABASE_URL: t.url}})
    expect(code).toBe(0)
    const citus = (json!.result as {citus: {version: string; nodes: {role: string; shards: number}[]; tables: {table: string; placement: string; shards: number}[]}}).citus
    expect(citus.version).toMatch(/^\d+\.\d+/)
    expect(citus.nodes.filter((n) => n.role === 'worker').every((n) => n.shards > 0)).toBe(true)
    expect(citus.tables).toEqual(expect.arrayContaining([
      expect.objectContaining({table: 'tenants', placement: 'distributed', shards: expect.any(Number)}),
      expect.objectContaining({table: 'plans', placement: 'reference', shards: 1}),
      expect.objectContaining({table: 'audit_log', placement: 'coordinator', shards: 0}),
    ]))
  })

  it('the README\'s commands run', async () => {
    const env = {DATABASE_URL: t.url}
    const run = async (...args: string[]) => {
      // in the test's directory: a restore over a live tenant writes its safety backup there
      const result = await cli([...args, '--json'], {env, cwd: dir})
      expect(result.code, JSON.stringify({args, error: result.json?.error})).toBe(0)
      return result
    }
    await run('create_tenant', 'Acme Corp', 'acme-corp', '--plan', 'professional', '--owner-email', 'owner@acme.example.com')
    await run('setup_tenant_data', '--tenant', 'acme-corp')
    expect((await cli(['create_tenant', 'Acme Corp', 'acme-corp', '--json'], {env})).json?.error?.code).toBe('SUBDOMAIN_TAKEN')
    await run('suggest_subdomains', 'acme corp')
    await run('tenant', 'create', 'Client Organization', 'client-org', '--plan', 'professional', '--contact-email', 'admin@client.com')
    await run('tenant', 'update', 'client-org', '--max-assets', '1000', '--max-users', '50', '--max-devices', '25', '--storage-quota', '100')
    await run('user', 'invite', 'client-org', 'owner@client.com', '--role', 'owner', '--permission', 'admin=true')
    await run('user', 'invite', 'client-org', 'admin@client.com', '--role', 'admin')
    await run('user', 'invite', 'client-org', 'owner@client.com', '--resend')
    await run('tenant', 'update', 'client-org', '--custom-domain', 'dashboard.client.com')
    await run('apikey', 'create', 'client-org', '--name', 'Primary API Key', '--permission', 'assets.*', '--permission', 'devices.*', '--expires-days', '365')
    await run('tenant', 'security', 'client-org', '--enable-2fa', '--session-timeout', '240')
    await run('tenant', 'plan', 'client-org', 'enterprise', '--max-assets', '2000', '--max-users', '200', '--max-devices', '100', '--storage-quota', '500')
    await run('monitor', 'setup', 'client-org', '--channel', 'webhook:https://ops.example.com/quota', '--storage-threshold', '0.8')
    await run('notification', 'list')
    await run('setup_tenant_data', '--tenant', 'client-org')
    await run('setup_tenant_data', '--tenant', 'client-org')
    await run('tenant', 'usage', 'client-org')
    await run('audit', 'list', '--tenant', 'client-org', '--action', 'tenant.*', '--since', '7d')
    await run('tenant', 'plan', 'client-org', 'basic', '--force')
    await run('tenant', 'list')
    await run('tenant', 'show', 'client-org')
    await run('tenant', 'suspend', 'client-org')
    await run('tenant', 'resume', 'client-org')
    await run('user', 'remove', 'client-org', 'admin@client.com')
    await run('apikey', 'list', 'client-org')
    await run('run', 'list')
    const backup = join(dir, 'acme.sql')
    await run('tenant', 'backup', 'acme-corp', '-o', backup)
    await run('tenant', 'restore', backup, '--check')
    await run('tenant', 'restore', backup, '--confirm-name', 'Acme Corp')
    await run('tenant', 'restore', backup, '--as', 'acme-copy')
    await run('recover_tenant_data', '--tenant', 'acme-corp', '--table', 'assets', '--from', backup)
    await run('tenant', 'delete', 'acme-copy', '--confirm-name', 'Acme Corp', '--no-backup')
    await run('tenant', 'delete', 'acme-corp', '--confirm-name', 'Acme Corp', '--no-backup')
    await run('restore_tenant_backup', backup)
    const [restored] = await t.sql<{assets: number; members: number}[]>`
      select (select count(*)::int from assets a join tenant_domains d on d.tenant = a.tenant_id where d.subdomain = 'acme-corp') as assets,
        (select count(*)::int from memberships m join tenant_domains d on d.tenant = m.tenant_id where d.subdomain = 'acme-corp') as members`
    expect(restored).toEqual({assets: 1, members: 1})
    await run('webhook', 'add', 'https://billing.example.com/hooks/anthias', '--event', 'tenant.created', '--event', 'tenant.suspended')
    await run('tenant', 'create', 'Hooked Co', 'hooked-co')
    const [event] = await t.sql<{n: number}[]>`
      select count(*)::int as n from notification_outbox o join tenant_domains d on d.tenant = o.tenant_id where d.subdomain = 'hooked-co' and o.metric = 'tenant.created'`
    expect(event!.n).toBe(1)
    // tenant.deleted rows belong to no tenant, which the distributed outbox cannot hold: refused, said why
    const deleted = await cli(['webhook', 'add', 'https://billing.example.com/hooks/deleted', '--event', 'tenant.deleted', '--json'], {env})
    expect(deleted.code).toBe(2)
    expect(deleted.json?.error?.code).toBe('EVENT_UNSUPPORTED')
    await run('tenant', 'delete', 'hooked-co', '--confirm-name', 'Hooked Co', '--no-backup')
    expect((await cli(['monitor', 'check', '--all', '--json'], {env})).code).toBeOneOf([0, 10])
  }, 600_000)
})
