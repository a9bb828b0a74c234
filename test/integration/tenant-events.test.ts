/**
 * tenant.deleted: queued in the deletion's transaction for the endpoints
 * subscribed to it, and kept when the tenant's own rows go (the delivery by
 * a worker is test/e2e/notify.test.ts).
 */
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {writeBackupFile} from '../../src/backup-files.js'
import {backupInput} from '../../src/inputs.js'
import {restoreTenant} from '../../src/lib/backup.js'
import {resolveContext} from '../../src/lib/context.js'
import {addWebhook} from '../../src/lib/notify/webhooks.js'
import {deleteTenant} from '../../src/lib/tenant-delete.js'
import {createTenant} from '../../src/lib/tenants.js'
import {tenantTablesChildrenFirst} from '../../src/lib/tenant-tables.js'
import {createTestDatabase, onCitus, snapshot, type TestDatabase} from '../helpers/db.js'

const ctx = resolveContext({actor: 'ops@example.com'})
const DELETIONS = 'https://deletions.example.com/hooks'
const CREATIONS = 'https://creations.example.com/hooks'

// on Citus the event is not sent (yet): its outbox rows would belong to no tenant, which a table
// distributed by tenant cannot hold, so db migrate drops its trigger and webhook add refuses it
describe.runIf(onCitus())('tenant.deleted events on Citus', () => {
  let t: TestDatabase

  beforeAll(async () => {
    t = await createTestDatabase()
  })
  afterAll(async () => t?.drop())

  it('an endpoint cannot subscribe to it, and a delete queues none', async () => {
    const before = await snapshot(t.sql)
    await expect(addWebhook(t.sql, DELETIONS, ['tenant.deleted', 'tenant.created'], ctx)).rejects.toMatchObject({code: 'EVENT_UNSUPPORTED', field: '--event'})
    expect(await snapshot(t.sql)).toEqual(before)
    await createTenant(t.sql, {name: 'Gone Soon', subdomain: 'gone-soon'}, ctx)
    await deleteTenant(t.sql, 'gone-soon', 'Gone Soon', ctx)
    expect(await t.sql`select 1 from notification_outbox where metric = 'tenant.deleted'`).toHaveLength(0)
  })
})

describe.skipIf(onCitus())('tenant.deleted events', () => {
  let t: TestDatabase
  let dir: string
  let secrets: string[]

  beforeAll(async () => {
    t = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'anthias-events-'))
    secrets = [
      (await addWebhook(t.sql, DELETIONS, ['tenant.deleted', 'tenant.created'], ctx)).secret!,
      (await addWebhook(t.sql, CREATIONS, ['tenant.created'], ctx)).secret!,
    ]
  })
  afterAll(async () => {
    await rm(dir, {recursive: true, force: true})
    await t?.drop()
  })

  const deletions = (tenantId: string) => t.sql<{tenantId: string | null; channel: string; payload: Record<string, unknown>}[]>`
    select tenant_id, channel, payload from notification_outbox where metric = 'tenant.deleted' and payload->>'tenantId' = ${tenantId}`

  it('tenant delete queues one row per subscribed endpoint, owned by no tenant, that outlives the tenant', async () => {
    const {tenant: {id: tenantId}} = await createTenant(t.sql, {name: 'Gone Corp', subdomain: 'gone-corp', ownerEmail: 'owner@gone.example.com'}, ctx)
    const result = await deleteTenant(t.sql, 'gone-corp', 'Gone Corp', ctx)
    expect(result.orphans).toEqual({})
    const rows = await deletions(tenantId)
    expect(rows).toEqual([{
      tenantId: null,
      channel: `webhook:${DELETIONS}`,
      payload: {tenantId, name: 'Gone Corp', subdomain: 'gone-corp', deletedAt: expect.any(String), actor: 'ops@example.com'},
    }])
    expect(Number.isNaN(Date.parse(rows[0]!.payload.deletedAt as string))).toBe(false)
    for (const secret of secrets) expect(JSON.stringify(rows)).not.toContain(secret)
    // the tenant's own rows went with it
    expect(await t.sql`select count(*)::int as n from notification_outbox where tenant_id = ${tenantId}`).toEqual([{n: 0}])
  })

  it('a refused delete queues nothing', async () => {
    const {tenant: {id: tenantId}} = await createTenant(t.sql, {name: 'Kept Corp', subdomain: 'kept-corp', ownerEmail: 'owner@kept.example.com'}, ctx)
    const before = await snapshot(t.sql)
    await expect(deleteTenant(t.sql, 'kept-corp', 'Not Kept Corp', ctx)).rejects.toMatchObject({code: 'CONFIRMATION_MISMATCH'})
    expect(await snapshot(t.sql)).toEqual(before)
    expect(await deletions(tenantId)).toEqual([])
  })

  it('a delete by plain SQL queues it too, with the database user as actor', async () => {
    const {tenant: {id: tenantId}} = await createTenant(t.sql, {name: 'Raw Corp', subdomain: 'raw-corp', ownerEmail: 'owner@raw.example.com'}, ctx)
    await t.sql.begin(async (tx) => {
      for (const table of await tenantTablesChildrenFirst(tx)) await tx`delete from ${tx(table)} where tenant_id = ${tenantId}`
      await tx`delete from tenants where id = ${tenantId}`
    })
    const [user] = await t.sql<{user: string}[]>`select session_user as user`
    expect((await deletions(tenantId)).map((r) => r.payload.actor)).toEqual([user!.user])
  })

  it('the event triggers work with an empty search_path, as psql loading a pg_dump runs them', async () => {
    const {tenant: {id: tenantId}} = await createTenant(t.sql, {name: 'Dump Corp', subdomain: 'dump-corp', ownerEmail: 'owner@dump.example.com'}, ctx)
    const [{schema} = {schema: 'public'}] = await t.sql<{schema: string}[]>`select current_schema() as schema`
    await t.sql.begin(async (tx) => {
      const tables = await tenantTablesChildrenFirst(tx)
      await tx`set local search_path = ''`
      await tx`update ${tx(schema + '.tenants')} set name = 'Dump Corp Renamed' where id = ${tenantId}`
      for (const table of tables) await tx`delete from ${tx(schema + '.' + table)} where tenant_id = ${tenantId}`
      await tx`delete from ${tx(schema + '.tenants')} where id = ${tenantId}`
    })
    expect((await deletions(tenantId)).map((r) => r.payload.name)).toEqual(['Dump Corp Renamed'])
  })

  it('a restore neither deletes the event nor sends another: over the live tenant, or after its deletion', async () => {
    const {tenant: {id: tenantId}} = await createTenant(t.sql, {name: 'Back Corp', subdomain: 'back-corp', ownerEmail: 'owner@back.example.com'}, ctx)
    const file = join(dir, 'back-corp.sql')
    await writeBackupFile(t.sql, 'back-corp', file)
    await restoreTenant(t.sql, await backupInput(file), {confirmName: 'Back Corp'}, ctx)
    expect(await deletions(tenantId)).toEqual([])
    await deleteTenant(t.sql, 'back-corp', 'Back Corp', ctx)
    // the tenant is back: its backed-up outbox rows, and a tenant.created per endpoint queued by the restore itself
    const restored = await restoreTenant(t.sql, await backupInput(file), {}, ctx)
    expect(restored.rows.notification_outbox).toBe(4)
    expect(await t.sql`select channel, count(*)::int as n from notification_outbox where tenant_id = ${tenantId} and metric = 'tenant.created' group by channel order by channel`)
      .toEqual([CREATIONS, DELETIONS].map((url) => ({channel: `webhook:${url}`, n: 2})))
    expect(await deletions(tenantId)).toHaveLength(1)
  })
})
