import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {ReservedSql, Sql} from 'postgres'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {backupInput} from '../../src/inputs.js'
import {writeBackupFile} from '../../src/backup-files.js'
import {restoreTenant} from '../../src/lib/backup.js'
import {resolveContext} from '../../src/lib/context.js'
import {withTenant} from '../../src/lib/db/tenant-context.js'
import {inviteUser, listMembers} from '../../src/lib/members.js'
import {setupTenantData} from '../../src/lib/setup-data.js'
import {updateTenant} from '../../src/lib/tenant-update.js'
import {createTenant} from '../../src/lib/tenants.js'
import {tenantUsage} from '../../src/lib/usage.js'
import {verifyTenant} from '../../src/lib/verify.js'
import {activityView, createTestDatabase, type TestDatabase} from '../helpers/db.js'

const ctx = resolveContext({actor: 'test'})

const caught = (promise: Promise<unknown>) => promise.then(() => undefined, (e) => e)

/** Wait until some session of this database waits for a lock (the interleaving a race test needs). */
async function someoneWaits(sql: Sql): Promise<void> {
  for (;;) {
    const [row] = await sql<{n: number}[]>`
      select count(*)::int as n from ${activityView(sql)} where datname = current_database() and wait_event_type = 'Lock'`
    if (row!.n > 0) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** A transaction held open on a connection of its own, as the application role in the tenant's context. */
async function openAsApp(sql: Sql, tenantId: string): Promise<ReservedSql> {
  const c = await sql.reserve()
  await c`begin`
  await c`set local role anthias_app`
  // SET LOCAL, as withTenant sets it (on Citus set_config() does not reach the shards)
  await c.unsafe(`set local app.current_tenant_id = '${tenantId}'`)
  return c
}

async function close(c: ReservedSql, how: 'commit' | 'rollback') {
  await c.unsafe(how)
  c.release()
}

describe('quotas, enforced by the database', () => {
  let t: TestDatabase
  let dir: string

  beforeAll(async () => {
    t = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'anthias-quotas-'))
  })
  afterAll(async () => {
    await t?.drop()
    await rm(dir, {recursive: true, force: true})
  })

  const tenant = async (subdomain: string, limits: {maxAssets?: number; maxUsers?: number; maxDevices?: number; storageQuotaGb?: number}) =>
    (await createTenant(t.sql, {name: subdomain, subdomain, plan: 'basic', ownerEmail: `owner@${subdomain}.example.com`, ...limits}, ctx)).tenant.id

  it('refuses, as anthias_app and bypassing the CLI, inserts above max_assets, max_devices and the storage quota', async () => {
    const id = await tenant('app-role', {maxAssets: 2, maxDevices: 1, storageQuotaGb: 1})
    const asApp = (fn: Parameters<typeof withTenant>[2]) => caught(withTenant(t.sql, id, fn))
    // three rows in one statement, as VALUES: Citus writes an INSERT ... SELECT into a distributed table with COPY, which row-level security refuses
    expect(await asApp((tx) => tx`insert into assets ${tx(['a1', 'a2', 'a3'].map((name) => ({tenantId: id, name, uri: 'a.png', mimetype: 'image/png'})))}`))
      .toMatchObject({code: 'AQ001', message: 'assets: 0 in use of 2 allowed (max_assets) in app-role; 3 more refused'})
    await withTenant(t.sql, id, (tx) => tx`insert into assets (tenant_id, name, uri, mimetype, size_bytes) values (${id}, 'a', 'a.png', 'image/png', ${1024 ** 3 - 1})`)
    expect(await asApp((tx) => tx`insert into assets (tenant_id, name, uri, mimetype, size_bytes) values (${id}, 'b', 'b.png', 'image/png', 2)`))
      .toMatchObject({code: 'AQ001', message: expect.stringMatching(/^storage: 1.00 GB in use of 1 GB allowed \(storage_quota_gb\) in app-role; 2 bytes more refused$/)})
    expect(await asApp((tx) => tx`update assets set size_bytes = size_bytes + 2`)).toMatchObject({code: 'AQ001'})
    expect(await asApp((tx) => tx`insert into devices (tenant_id, name) values (${id}, 'one'), (${id}, 'two')`)).toMatchObject({code: 'AQ001'})
    expect(await tenantUsage(t.sql, id)).toMatchObject({assets: 1, devices: 0, storageBytes: 1024 ** 3 - 1})
    // members: as the owner connection too (anthias_app has no grant on memberships)
    const [user] = await t.sql<{id: string}[]>`insert into users (email) values ('extra@app-role.example.com') returning id`
    await t.sql`update tenants set max_users = 1 where id = ${id}`
    expect(await caught(t.sql`insert into memberships (tenant_id, user_id, role, status) values (${id}, ${user!.id}, 'viewer', 'active')`))
      .toMatchObject({code: 'AQ001', message: 'users: 1 in use of 1 allowed (max_users) in app-role; 1 more refused'})
  })

  it('a limit lowered while an insert waits: the insert is refused once the change commits, never above the new limit', async () => {
    const id = await tenant('lowered', {maxAssets: 3})
    await withTenant(t.sql, id, (tx) => tx`insert into assets (tenant_id, name, uri, mimetype) values (${id}, 'one', 'a.png', 'image/png'), (${id}, 'two', 'a.png', 'image/png')`)
    // the downgrade holds the tenant row, as tenant plan and tenant update do
    const downgrade = await t.sql.reserve()
    await downgrade`begin`
    await downgrade`select id from tenants where id = ${id} for update`
    await downgrade`update tenants set max_assets = 2 where id = ${id}`
    const insert = caught(withTenant(t.sql, id, (tx) => tx`insert into assets (tenant_id, name, uri, mimetype) values (${id}, 'three', 'a.png', 'image/png')`))
    await someoneWaits(t.sql)
    await close(downgrade, 'commit')
    expect(await insert).toMatchObject({code: 'AQ001', message: 'assets: 2 in use of 2 allowed (max_assets) in lowered; 1 more refused'})
    expect((await tenantUsage(t.sql, id)).assets).toBe(2)
  })

  it('an insert not yet committed when a downgrade starts: the downgrade waits, then counts it and is refused', async () => {
    const id = await tenant('pending-insert', {maxAssets: 3, maxDevices: 3})
    const app = await openAsApp(t.sql, id)
    await app`insert into devices (tenant_id, name) values (${id}, 'one'), (${id}, 'two'), (${id}, 'three')`
    const downgrade = caught(updateTenant(t.sql, 'pending-insert', {maxDevices: 2}, ctx))
    await someoneWaits(t.sql)
    await close(app, 'commit')
    expect(await downgrade).toMatchObject({code: 'LIMIT_BELOW_USAGE', kind: 'conflict', message: expect.stringContaining('devices: 3 in use > 2')})
    const [row] = await t.sql`select max_devices from tenants where id = ${id}`
    expect(row).toEqual({maxDevices: 3})
  })

  it('two inserts for the last asset slot, each in its own open transaction: the second waits and is refused', async () => {
    const id = await tenant('last-slot', {maxAssets: 1})
    const first = await openAsApp(t.sql, id)
    const second = await openAsApp(t.sql, id)
    await first`insert into assets (tenant_id, name, uri, mimetype) values (${id}, 'first', 'a.png', 'image/png')`
    const racing = caught(second`insert into assets (tenant_id, name, uri, mimetype) values (${id}, 'second', 'a.png', 'image/png')`)
    await someoneWaits(t.sql)
    await close(first, 'commit')
    expect(await racing).toMatchObject({code: 'AQ001', message: 'assets: 1 in use of 1 allowed (max_assets) in last-slot; 1 more refused'})
    await close(second, 'rollback')
    expect((await tenantUsage(t.sql, id)).assets).toBe(1)
  })

  it('inviteUser maps the refusal to QUOTA_EXCEEDED with the numbers and a limit that fits', async () => {
    await tenant('full-house', {maxUsers: 1})
    const error = await caught(inviteUser(t.sql, 'full-house', {email: 'late@full-house.example.com', role: 'viewer'}, ctx))
    expect(error).toMatchObject({
      code: 'QUOTA_EXCEEDED', kind: 'conflict', field: 'max_users',
      message: 'users: 1 in use of 1 allowed (max_users) in full-house; 1 more refused',
      details: {resource: 'users', used: 1, adding: 1, limit: 1},
      // as data; the CLI renders them 'Raise the limit: anthias tenant update full-house --max-users 2' (test/unit/hints.test.ts)
      suggestions: [
        {command: 'tenant.update', args: {tenant: 'full-house', maxUsers: 2}, text: 'Raise the limit: {command}'},
        {command: 'user.remove', args: {tenant: 'full-house', email: null}, text: 'Or remove a member: {command}'},
      ],
    })
    expect((await listMembers(t.sql, 'full-house')).items).toHaveLength(1)
    const [user] = await t.sql`select count(*)::int as n from users where email = 'late@full-house.example.com'`
    expect(user).toEqual({n: 0})
  })

  it('after a forced downgrade the tenant may shrink and edit but not grow; setup-data gets QUOTA_EXCEEDED', async () => {
    const id = await tenant('forced-over', {maxAssets: 3})
    await t.sql`insert into assets (tenant_id, name, uri, mimetype) select ${id}, 'a' || g, 'a.png', 'image/png' from generate_series(1, 3) g`
    const forced = await updateTenant(t.sql, 'forced-over', {maxAssets: 1}, ctx).then(() => 'applied', (e) => e.code)
    expect(forced).toBe('LIMIT_BELOW_USAGE')
    await updateTenant(t.sql, 'forced-over', {maxAssets: 1, force: true}, ctx)
    await withTenant(t.sql, id, async (tx) => {
      await tx`update assets set name = name || ' (renamed)', play_order = 2`
      await tx`delete from assets where name = 'a1 (renamed)'`
    })
    expect(await caught(setupTenantData(t.sql, 'forced-over', ctx))).toMatchObject({code: 'QUOTA_EXCEEDED', kind: 'conflict', details: {resource: 'assets', used: 2, limit: 1}})
    expect((await tenantUsage(t.sql, id)).assets).toBe(2)
  })

  it('an invite waiting on a limit change: it is judged by the new limit', async () => {
    const id = await tenant('plan-race', {maxUsers: 2})
    const change = await t.sql.reserve()
    await change`begin`
    await change`select id from tenants where id = ${id} for update`
    const invite = caught(inviteUser(t.sql, 'plan-race', {email: 'second@plan-race.example.com', role: 'viewer'}, ctx))
    await someoneWaits(t.sql)
    await change`update tenants set max_users = 1 where id = ${id}`
    await close(change, 'commit')
    expect(await invite).toMatchObject({code: 'QUOTA_EXCEEDED'})
    expect((await tenantUsage(t.sql, id)).users).toBe(1)
  })

  it('refuses quota-checked writes at REPEATABLE READ from an application login, whose snapshot could miss a concurrent insert', async () => {
    const id = await tenant('snapshot', {})
    const app = await t.sql.reserve()
    await app`set session authorization anthias_app`
    await app`begin isolation level repeatable read`
    await app.unsafe(`set local app.current_tenant_id = '${id}'`)
    expect(await caught(app`insert into devices (tenant_id, name) values (${id}, 'd')`))
      .toMatchObject({code: '0A000', message: expect.stringContaining('READ COMMITTED or SERIALIZABLE')})
    await app`rollback`
    await app`reset session authorization`
    app.release()
    // the control plane (this superuser login) may, as restore does, holding the tenant row
    await t.sql.begin('isolation level repeatable read', async (tx) => {
      await tx`select id from tenants where id = ${id} for update`
      await tx`insert into devices (tenant_id, name) values (${id}, 'd')`
    })
    expect((await tenantUsage(t.sql, id)).devices).toBe(1)
  })

  it('restores a backup of a tenant above its limits (forced downgrade): the rows and limits come back together', async () => {
    const id = await tenant('over-backup', {maxAssets: 3})
    await t.sql`insert into assets (tenant_id, name, uri, mimetype) select ${id}, 'a' || g, 'a.png', 'image/png' from generate_series(1, 3) g`
    await updateTenant(t.sql, 'over-backup', {maxAssets: 2, force: true}, ctx)
    const file = join(dir, 'over.sql')
    await writeBackupFile(t.sql, 'over-backup', file)
    await restoreTenant(t.sql, await backupInput(file), {confirmName: 'over-backup'}, ctx)
    const copy = await restoreTenant(t.sql, await backupInput(file), {as: 'over-copy'}, ctx)
    expect(copy.rows).toMatchObject({assets: 3})
    expect((await tenantUsage(t.sql, copy.tenantId)).assets).toBe(3)
    const check = (await verifyTenant(t.sql, 'over-copy', ctx)).checks.find((c) => c.name === 'usage within quota')
    expect(check).toMatchObject({ok: false, detail: 'assets: 3 in use > 2'})
  })
})
