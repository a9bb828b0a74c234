import {cp, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {resolveContext} from '../../src/lib/context.js'
import {withTenant} from '../../src/lib/db/tenant-context.js'
import {repairRls} from '../../src/lib/rls.js'
import {setupTenantData} from '../../src/lib/setup-data.js'
import {loadTenantMigrations, migrateAllTenants, migrateTenant, TENANT_MIGRATIONS_DIR} from '../../src/lib/tenant-migrations.js'
import {tenantTablesChildrenFirst} from '../../src/lib/tenant-tables.js'
import {createTenant} from '../../src/lib/tenants.js'
import {verifyTenant} from '../../src/lib/verify.js'
import {activityView, createTestDatabase, type TestDatabase} from '../helpers/db.js'

const ctx = resolveContext({actor: 'test'})

describe('tenant migrations, RLS set-up and verification, initial data', () => {
  let t: TestDatabase
  let dir: string
  const ids: Record<string, string> = {}

  beforeEach(async () => {
    t = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'anthias-tmig-'))
    await cp(TENANT_MIGRATIONS_DIR, dir, {recursive: true})
    for (const s of ['mig-a', 'mig-b', 'mig-c']) {
      ids[s] = (await createTenant(t.sql, {name: s, subdomain: s, ownerEmail: `owner@${s}.example.com`}, ctx)).tenant.id
    }
  })
  afterEach(async () => {
    await t?.drop()
    await rm(dir, {recursive: true, force: true})
  })

  it('plans, applies, and records each migration per tenant, confined to that tenant', async () => {
    const plan = await migrateTenant(t.sql, 'mig-a', {plan: true}, ctx)
    expect(plan.pending.map((m) => m.version)).toEqual([1, 2])
    expect(plan.applied).toEqual([])
    await withTenant(t.sql, ids['mig-b']!, (tx) => tx`insert into assets (tenant_id, name, uri, mimetype) values (${ids['mig-b']!}, 'B', 'b.png', 'IMAGE/PNG')`)
    const result = await migrateTenant(t.sql, 'mig-a', {}, ctx)
    expect(result.applied.map((m) => [m.version, m.faked])).toEqual([[1, false], [2, false]])
    const ledger = await t.sql`select version, faked, duration_ms >= 0 as timed from tenant_migrations where tenant_id = ${ids['mig-a']!} order by version`
    expect(ledger).toEqual([{version: 1, faked: false, timed: true}, {version: 2, faked: false, timed: true}])
    const devices = await t.sql`select tenant_id from devices where name = 'Default display'`
    expect(devices.map((d) => d.tenantId)).toEqual([ids['mig-a']])
    const [b] = await t.sql`select mimetype from assets where tenant_id = ${ids['mig-b']!}`
    expect(b!.mimetype).toBe('IMAGE/PNG')
  })

  it('--fake-initial records the initial migration when its effects are present, and refuses when they are not', async () => {
    await withTenant(t.sql, ids['mig-b']!, (tx) => tx`insert into assets (tenant_id, name, uri, mimetype) values (${ids['mig-b']!}, 'B', 'b.png', 'IMAGE/PNG')`)
    await withTenant(t.sql, ids['mig-b']!, (tx) => tx`insert into devices (tenant_id, name) values (${ids['mig-b']!}, 'Default display')`)
    const faked = await migrateTenant(t.sql, 'mig-b', {fakeInitial: true}, ctx)
    expect(faked.applied.map((m) => [m.version, m.faked])).toEqual([[1, true], [2, false]])
    const [asset] = await t.sql`select mimetype from assets where tenant_id = ${ids['mig-b']!}`
    expect(asset!.mimetype).toBe('image/png')
    await expect(migrateTenant(t.sql, 'mig-c', {fakeInitial: true}, ctx)).rejects.toMatchObject({code: 'FAKE_INITIAL_NOT_PRESENT'})
    expect(await t.sql`select 1 from tenant_migrations where tenant_id = ${ids['mig-c']!}`).toHaveLength(0)
  })

  it('--backwards reverts the last migration and restores the previous state', async () => {
    await migrateTenant(t.sql, 'mig-a', {}, ctx)
    const reverted = await migrateTenant(t.sql, 'mig-a', {backwards: true, to: 0}, ctx)
    expect(reverted.reverted.map((m) => m.version)).toEqual([2, 1])
    expect(await t.sql`select 1 from devices where tenant_id = ${ids['mig-a']!}`).toHaveLength(0)
    expect(await t.sql`select 1 from tenant_migrations where tenant_id = ${ids['mig-a']!}`).toHaveLength(0)
  })

  it('a migration failing for one tenant leaves the others migrated and itself unchanged', async () => {
    await writeFile(join(dir, '0003_unique_lobby.up.sql'), "insert into devices (tenant_id, name) values (nullif(current_setting('app.current_tenant_id', true), '')::uuid, 'Lobby');\n")
    await writeFile(join(dir, '0003_unique_lobby.down.sql'), "delete from devices where name = 'Lobby';\n")
    await withTenant(t.sql, ids['mig-c']!, (tx) => tx`insert into devices (tenant_id, name) values (${ids['mig-c']!}, 'Lobby')`)
    const files = await loadTenantMigrations(dir)
    const result = await migrateAllTenants(t.sql, {files, continueOnError: true}, ctx)
    const status = Object.fromEntries(result.outcomes.map((o) => [o.subdomain, o.status]))
    expect(status).toEqual({'mig-a': 'migrated', 'mig-b': 'migrated', 'mig-c': 'failed'})
    expect(result.outcomes.find((o) => o.subdomain === 'mig-c')!.error!.message).toMatch(/duplicate key/)
    // 0001 and 0002 went through in their own transactions; 0003 left nothing behind
    expect((await t.sql`select version from tenant_migrations where tenant_id = ${ids['mig-c']!} order by version`).map((r) => r.version)).toEqual([1, 2])
    expect(await t.sql`select name from devices where tenant_id = ${ids['mig-c']!} order by name`).toEqual([{name: 'Default display'}, {name: 'Lobby'}])
    expect((await t.sql`select version from tenant_migrations where tenant_id = ${ids['mig-a']!} order by version`).map((r) => r.version)).toEqual([1, 2, 3])
    const onlyFailed = await migrateAllTenants(t.sql, {files, onlyFailed: true, plan: true}, ctx)
    expect(onlyFailed.outcomes.map((o) => o.subdomain)).toEqual(['mig-c'])
    const plan = await migrateAllTenants(t.sql, {files, plan: true}, ctx)
    expect(plan).toMatchObject({tenants: 3, pending: 1})
  })

  it('in one batch, a tenant failing in the middle is rolled back alone: the others of its batch are applied with their ledger rows', async () => {
    await writeFile(join(dir, '0003_unique_lobby.up.sql'), "insert into devices (tenant_id, name) values (nullif(current_setting('app.current_tenant_id', true), '')::uuid, 'Lobby');\n")
    await withTenant(t.sql, ids['mig-b']!, (tx) => tx`insert into devices (tenant_id, name) values (${ids['mig-b']!}, 'Lobby')`)
    const files = await loadTenantMigrations(dir)
    const ledger = async (s: string) => (await t.sql`select version from tenant_migrations where tenant_id = ${ids[s]!} order by version`).map((r) => r.version)
    const lobbies = async (s: string) => (await t.sql`select 1 from devices where tenant_id = ${ids[s]!} and name = 'Lobby'`).length

    // without --continue-on-error the tenants after the failed one are skipped, untouched
    // (one at a time: on Citus each tenant is a batch of its own, and a second worker would have started mig-c)
    const stopped = await migrateAllTenants(t.sql, {files, batchSize: 3, concurrency: 1}, ctx)
    expect(stopped.outcomes.map((o) => [o.subdomain, o.status])).toEqual([['mig-a', 'migrated'], ['mig-b', 'failed'], ['mig-c', 'skipped']])
    expect([await ledger('mig-a'), await ledger('mig-b'), await ledger('mig-c')]).toEqual([[1, 2, 3], [1, 2], []])
    expect(await t.sql`select 1 from devices where tenant_id = ${ids['mig-c']!}`).toHaveLength(0)

    const result = await migrateAllTenants(t.sql, {files, batchSize: 3, continueOnError: true}, ctx)
    expect(result.outcomes.map((o) => [o.subdomain, o.status, o.applied])).toEqual([['mig-b', 'failed', []], ['mig-c', 'migrated', [1, 2, 3]]])
    expect(result.outcomes[0]!.error).toMatchObject({message: expect.stringMatching(/duplicate key/)})
    // mig-b's 0001 and 0002 were kept in the first run, its 0003 left nothing behind; mig-c, after it in the batch, went through whole
    expect([await ledger('mig-a'), await ledger('mig-b'), await ledger('mig-c')]).toEqual([[1, 2, 3], [1, 2], [1, 2, 3]])
    expect([await lobbies('mig-a'), await lobbies('mig-b'), await lobbies('mig-c')]).toEqual([1, 1, 1])
    // each failure recorded as a failed attempt, each applied migration as a success
    const audit = await t.sql`select subject, outcome, error_code, arguments->>'version' as version from audit_log where action = 'tenant.migrate' order by id`
    expect(audit.filter((a) => a.outcome === 'failure').map((a) => [a.subject, a.errorCode])).toEqual([['mig-b', '23505'], ['mig-b', '23505']])
    expect(audit.filter((a) => a.outcome === 'success').map((a) => `${a.subject} ${a.version}`).sort()).toEqual(['mig-a 1', 'mig-a 2', 'mig-a 3', 'mig-b 1', 'mig-b 2', 'mig-c 1', 'mig-c 2', 'mig-c 3'])
    expect((await migrateAllTenants(t.sql, {files, onlyFailed: true, plan: true}, ctx)).outcomes.map((o) => o.subdomain)).toEqual(['mig-b'])
  })

  it('in one pipelined batch, each failing tenant is rolled back alone and the tenants sent after it are sent again: all of them committed with their ledger rows, each reported once', async () => {
    for (const s of ['mig-d', 'mig-e']) ids[s] = (await createTenant(t.sql, {name: s, subdomain: s, ownerEmail: `owner@${s}.example.com`}, ctx)).tenant.id
    await writeFile(join(dir, '0003_unique_lobby.up.sql'), "insert into devices (tenant_id, name) values (nullif(current_setting('app.current_tenant_id', true), '')::uuid, 'Lobby');\n")
    for (const s of ['mig-b', 'mig-d']) await withTenant(t.sql, ids[s]!, (tx) => tx`insert into devices (tenant_id, name) values (${ids[s]!}, 'Lobby')`)
    const files = await loadTenantMigrations(dir)
    const progress: number[] = []
    const result = await migrateAllTenants(t.sql, {files, batchSize: 5, continueOnError: true, onProgress: (p) => progress.push(p.rows)}, ctx)
    expect(result.outcomes.map((o) => [o.subdomain, o.status, o.applied, o.error?.code])).toEqual([
      ['mig-a', 'migrated', [1, 2, 3], undefined], ['mig-b', 'failed', [], '23505'], ['mig-c', 'migrated', [1, 2, 3], undefined],
      ['mig-d', 'failed', [], '23505'], ['mig-e', 'migrated', [1, 2, 3], undefined],
    ])
    expect(result).toMatchObject({pending: 5, migrated: 3, failed: 2, skipped: 0})
    expect(progress).toEqual([0, 1, 2, 3, 4, 5])
    const versions = await t.sql`select t.subdomain, array_agg(m.version order by m.version) as versions from tenants t join tenant_migrations m on m.tenant_id = t.id group by t.subdomain order by t.subdomain`
    // the failing tenants' 0001 and 0002 kept, their 0003 left nothing behind
    expect(versions.map((r) => [r.subdomain, r.versions])).toEqual([['mig-a', [1, 2, 3]], ['mig-b', [1, 2]], ['mig-c', [1, 2, 3]], ['mig-d', [1, 2]], ['mig-e', [1, 2, 3]]])
    const lobbies = await t.sql`select t.subdomain, count(d.*)::int as n from tenants t left join devices d on d.tenant_id = t.id and d.name = 'Lobby' group by t.subdomain order by t.subdomain`
    expect(lobbies.map((r) => r.n)).toEqual([1, 1, 1, 1, 1])
    const audit = await t.sql`select subject, outcome, error_code, arguments->>'version' as version, actor from audit_log where action = 'tenant.migrate' order by id`
    // in any order: on Citus each tenant is a transaction of its own, four at a time
    expect(audit.filter((a) => a.outcome === 'failure').map((a) => `${a.subject} ${a.errorCode}`).sort()).toEqual(['mig-b 23505', 'mig-d 23505'])
    expect(audit.filter((a) => a.outcome === 'success').map((a) => `${a.subject} ${a.version}`).sort()).toEqual(
      ['mig-a', 'mig-b', 'mig-c', 'mig-d', 'mig-e'].flatMap((s) => (s === 'mig-b' || s === 'mig-d' ? [1, 2] : [1, 2, 3]).map((v) => `${s} ${v}`)),
    )
    expect(new Set(audit.map((a) => a.actor))).toEqual(new Set(['test']))
    const durations = await t.sql`select duration_ms from tenant_migrations`
    expect(durations.every((r) => Number.isInteger(r.durationMs) && r.durationMs >= 0)).toBe(true)
  })

  it('a tenant deleted while its pipelined batch waits on its row lock is not found, rolled back alone; the others of its batch are migrated', async () => {
    const files = await loadTenantMigrations(dir)
    // 0001 applied everywhere: 0002 alone is pending, and it changes nothing of a tenant that is gone
    for (const s of ['mig-a', 'mig-b', 'mig-c']) await migrateTenant(t.sql, s, {files: files.slice(0, 1)}, ctx)
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const holder = t.sql.begin(async (tx) => {
      await tx`select 1 from tenants where id = ${ids['mig-b']!} for update`
      await held
      for (const table of await tenantTablesChildrenFirst(tx)) await tx`delete from ${tx(table)} where tenant_id = ${ids['mig-b']!}`
      await tx`delete from tenants where id = ${ids['mig-b']!}`
    })
    const run = migrateAllTenants(t.sql, {files, batchSize: 3, continueOnError: true}, ctx)
    let waiting = false
    for (let i = 0; i < 1200 && !waiting; i++) {
      // on Citus the wait is on the worker holding the tenant's shard
      waiting = (await t.sql`select 1 from ${activityView(t.sql)} where datname = current_database() and usename like 'anthias\\_migrate\\_%' and wait_event_type = 'Lock'`).length > 0
      if (!waiting) await new Promise((r) => setTimeout(r, 25))
    }
    expect(waiting).toBe(true)
    release()
    await holder
    const result = await run
    expect(result.outcomes.map((o) => [o.subdomain, o.status, o.applied, o.error?.code])).toEqual([
      ['mig-a', 'migrated', [2], undefined], ['mig-b', 'failed', [], 'TENANT_NOT_FOUND'], ['mig-c', 'migrated', [2], undefined],
    ])
    const ledger = await t.sql`select tenant_id, array_agg(version order by version) as versions from tenant_migrations group by tenant_id`
    expect(Object.fromEntries(ledger.map((r) => [r.tenantId, r.versions]))).toEqual({[ids['mig-a']!]: [1, 2], [ids['mig-c']!]: [1, 2]})
    const audited = await t.sql`select subject, outcome from audit_log where action = 'tenant.migrate' and (arguments->>'version' = '2' or outcome = 'failure') order by subject`
    expect(audited.map((a) => [a.subject, a.outcome])).toEqual([['mig-a', 'success'], ['mig-b', 'failure'], ['mig-c', 'success']])
  })

  it('refuses an edited applied migration', async () => {
    await migrateTenant(t.sql, 'mig-a', {}, ctx)
    await writeFile(join(dir, '0002_lowercase_mimetypes.up.sql'), '-- edited\n', {flag: 'a'})
    const files = await loadTenantMigrations(dir)
    await expect(migrateTenant(t.sql, 'mig-a', {files}, ctx)).rejects.toMatchObject({code: 'TENANT_MIGRATION_CHECKSUM_MISMATCH'})
    await expect(migrateAllTenants(t.sql, {files}, ctx)).rejects.toMatchObject({code: 'TENANT_MIGRATION_CHECKSUM_MISMATCH'})
  })

  it('--backwards without --to reverts the last migration only; with --to, those above it', async () => {
    await createTenant(t.sql, {name: 'mig-f', subdomain: 'mig-f'}, ctx)
    expect((await migrateTenant(t.sql, 'mig-f', {}, ctx)).applied.map((m) => m.version)).toEqual([1, 2])
    expect((await migrateTenant(t.sql, 'mig-f', {backwards: true}, ctx)).reverted).toEqual([{version: 2, name: 'lowercase_mimetypes'}])
    expect((await migrateTenant(t.sql, 'mig-f', {backwards: true, to: 1}, ctx)).reverted).toEqual([])
    expect((await migrateTenant(t.sql, 'mig-f', {backwards: true, to: 0}, ctx)).reverted).toEqual([{version: 1, name: 'default_display'}])
    expect((await migrateTenant(t.sql, 'mig-f', {plan: true}, ctx)).pending.map((m) => m.version)).toEqual([1, 2])
  })

  it('verify applies the same ledger check as migrate: an applied migration edited since is not "pending"', async () => {
    const id = (await createTenant(t.sql, {name: 'mig-e', subdomain: 'mig-e'}, ctx)).tenant.id
    await migrateTenant(t.sql, 'mig-e', {}, ctx)
    await t.sql`update tenant_migrations set checksum = ${'0'.repeat(64)} where tenant_id = ${id} and version = 1`
    const check = (await verifyTenant(t.sql, 'mig-e', ctx)).checks.find((c) => c.name === 'tenant migrations up to date')
    expect(check).toMatchObject({ok: false, detail: expect.stringMatching(/^Tenant migration 1 \(default_display\) was edited after it was applied \(checksum 000000000000 in the database, [0-9a-f]{12} on disk\)\.$/)})
    await expect(migrateTenant(t.sql, 'mig-e', {plan: true}, ctx)).rejects.toMatchObject({code: 'TENANT_MIGRATION_CHECKSUM_MISMATCH', message: check!.detail})
  })

  it('setup-data creates the welcome asset by the owner once; a second run changes nothing', async () => {
    const first = await setupTenantData(t.sql, 'mig-b', ctx)
    expect(first.created).toEqual(['asset "Welcome to Anthias"', 'setting timezone=UTC', 'setting locale=en', 'setting theme=default'])
    const [asset] = await t.sql`
      select a.uri, a.mimetype, a.is_enabled, u.email from assets a join users u on u.id = a.created_by
      where a.tenant_id = ${ids['mig-b']!} and a.name = 'Welcome to Anthias'`
    expect(asset).toEqual({uri: 'welcome-template.html', mimetype: 'text/html', isEnabled: true, email: 'owner@mig-b.example.com'})
    const second = await setupTenantData(t.sql, 'mig-b', ctx)
    expect(second.created).toEqual([])
    expect(second.welcomeAssetId).toBe(first.welcomeAssetId)
  })

  it('a table added without RLS makes verify fail, and --setup-rls fixes it', async () => {
    ids['mig-d'] = (await createTenant(t.sql, {name: 'mig-d', subdomain: 'mig-d', ownerEmail: 'owner@mig-d.example.com'}, ctx)).tenant.id
    await migrateTenant(t.sql, 'mig-d', {}, ctx)
    expect((await verifyTenant(t.sql, 'mig-d', ctx)).ok).toBe(true)
    await t.sql`create table playlists (tenant_id uuid not null references tenants (id), id uuid not null default gen_random_uuid(), name text not null, primary key (tenant_id, id))`
    await t.sql`insert into playlists (tenant_id, name) values (${ids['mig-d']!}, 'Secret playlist')`
    const broken = await verifyTenant(t.sql, 'mig-d', ctx)
    expect(broken.ok).toBe(false)
    const rls = broken.checks.find((c) => c.name.startsWith('row-level security'))!
    expect(rls).toMatchObject({ok: false})
    expect(rls.detail).toContain('playlists: row-level security is not enabled')
    const repaired = (await t.sql.begin((tx) => repairRls(tx))) as string[]
    expect(repaired).toEqual(expect.arrayContaining(['alter table "playlists" enable row level security', 'alter table "playlists" force row level security', 'grant SELECT, INSERT, UPDATE, DELETE on "playlists" to anthias_app']))
    expect((await verifyTenant(t.sql, 'mig-d', ctx)).ok).toBe(true)
    const seen = await withTenant(t.sql, ids['mig-a']!, (tx) => tx`select * from playlists`)
    expect(seen).toHaveLength(0)
  })

  it('a policy that was weakened is detected and recreated', async () => {
    await createTenant(t.sql, {name: 'mig-d', subdomain: 'mig-d', ownerEmail: 'owner@mig-d.example.com'}, ctx)
    await migrateTenant(t.sql, 'mig-d', {}, ctx)
    await t.sql`drop policy tenant_isolation on devices`
    await t.sql`create policy tenant_isolation on devices using (true)`
    expect((await verifyTenant(t.sql, 'mig-d', ctx)).checks.find((c) => c.name === 'leak probe')).toMatchObject({ok: false})
    await t.sql.begin((tx) => repairRls(tx))
    expect((await verifyTenant(t.sql, 'mig-d', ctx)).ok).toBe(true)
  })
})
