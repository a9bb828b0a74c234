import {existsSync} from 'node:fs'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {gzipSync} from 'node:zlib'

import postgres from 'postgres'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createApiKey} from '../../src/lib/api-keys.js'
import {backupInput} from '../../src/inputs.js'
import {newBackupFile, writeBackupFile} from '../../src/backup-files.js'
import {readBackup, restoreTenant} from '../../src/lib/backup.js'
import {resolveContext} from '../../src/lib/context.js'
import {streamInput} from '../../src/lib/input.js'
import {withTenant} from '../../src/lib/db/tenant-context.js'
import {inviteUser} from '../../src/lib/members.js'
import {checkMonitoring, setupMonitoring} from '../../src/lib/monitoring.js'
import {hashToken} from '../../src/lib/secrets.js'
import {deleteTenant} from '../../src/lib/tenant-delete.js'
import {createTenant} from '../../src/lib/tenants.js'
import {createTestDatabase, snapshot, type TestDatabase} from '../helpers/db.js'

const ctx = resolveContext({actor: 'test'})

/** Every link between the tenant's rows: qr_contents.asset_id and assets.created_by, row by row. */
async function links(sql: postgres.Sql, tenantId: string) {
  const qr = await sql`select id, asset_id from qr_contents where tenant_id = ${tenantId} order by id`
  const assets = await sql`select id, created_by from assets where tenant_id = ${tenantId} order by id`
  return {qr: qr.map((r) => [r.id, r.assetId]), assets: assets.map((r) => [r.id, r.createdBy])}
}

describe('restore: copies, recovery, sequences, domains', () => {
  let t: TestDatabase
  let dir: string

  beforeAll(async () => {
    t = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'anthias-restore-'))
  })
  afterAll(async () => {
    await t?.drop()
    await rm(dir, {recursive: true, force: true})
  })

  it('verifies and restores from a stream read once (an HTTP request body), gzip or plain, as from the file', async () => {
    await createTenant(t.sql, {name: 'Uploaded', subdomain: 'uploaded', ownerEmail: 'owner@uploaded.example.com'}, ctx)
    const file = join(dir, 'uploaded.sql')
    await writeBackupFile(t.sql, 'uploaded', file)
    const bytes = await readFile(file)
    // in pieces that cut the header lines, and the gzip magic itself
    const body = (data: Buffer) => Readable.from([data.subarray(0, 1), data.subarray(1, 40), data.subarray(40)])
    const plain = await streamInput('upload.sql', body(bytes), 'file')
    expect(await readBackup(plain)).toEqual(await readBackup(await backupInput(file)))
    const copy = await restoreTenant(t.sql, plain, {as: 'uploaded-copy'}, ctx)
    expect(copy).toMatchObject({subdomain: 'uploaded-copy', rows: {tenants: 1, memberships: 1}})
    const gzipped = await streamInput('upload.sql.gz', body(gzipSync(bytes)), 'file')
    await expect(restoreTenant(t.sql, gzipped, {as: 'uploaded-gz'}, ctx)).resolves.toMatchObject({subdomain: 'uploaded-gz', rows: {tenants: 1}})
    const [audit] = await t.sql`select arguments->>'file' as file from audit_log where action = 'tenant.restore' and subject = 'uploaded-gz'`
    expect(audit).toEqual({file: 'upload.sql.gz'})
    // a tampered body is refused the same way, naming the upload
    const before = await snapshot(t.sql)
    const tampered = Buffer.from(bytes.toString().replace('owner@uploaded', 'owner@uploadex'))
    await expect(restoreTenant(t.sql, await streamInput('bad.sql', body(tampered), 'file'), {as: 'uploaded-bad'}, ctx)).rejects.toMatchObject({code: 'BACKUP_INVALID', kind: 'invalid'})
    await expect(readBackup(await streamInput('empty.sql', Readable.from([]), 'file'))).rejects.toMatchObject({code: 'BACKUP_INVALID', message: expect.stringMatching(/^empty\.sql is empty/)})
    expect(await snapshot(t.sql)).toEqual(before)
  })

  it('a copy (--as) gets no credential of the original: no API keys, new invitation tokens shown once', async () => {
    const {tenant} = await createTenant(t.sql, {name: 'Keyed', subdomain: 'keyed', plan: 'professional', ownerEmail: 'owner@keyed.example.com', ownerPassword: 'Passw0rdPass'}, ctx)
    const key = await createApiKey(t.sql, 'keyed', {name: 'Deploys', permissions: ['assets.*']}, ctx)
    const invitation = await inviteUser(t.sql, 'keyed', {email: 'new@keyed.example.com', role: 'editor'}, ctx)
    const file = join(dir, 'keyed.sql')
    await writeBackupFile(t.sql, 'keyed', file)

    const copy = await restoreTenant(t.sql, await backupInput(file), {as: 'keyed-copy'}, ctx)
    // what an authenticator looks up: the original's key and token find the original only
    expect(await t.sql`select tenant_id from api_keys where key_hash = ${hashToken(key.key)}`).toEqual([{tenantId: tenant.id}])
    expect(await t.sql`select tenant_id from memberships where invitation_token_hash = ${hashToken(invitation.token!)}`).toEqual([{tenantId: tenant.id}])
    expect(await t.sql`select 1 from api_keys where tenant_id = ${copy.tenantId}`).toHaveLength(0)
    expect(copy.rows.api_keys).toBe(0)
    expect(copy.copy).toMatchObject({apiKeysDropped: 1, invitations: [{email: 'new@keyed.example.com', token: expect.stringMatching(/^inv_/)}]})
    const [reissued] = copy.copy!.invitations
    expect(reissued!.expiresAt.getTime()).toBeGreaterThan(Date.now())
    expect(await t.sql`select tenant_id, status from memberships where invitation_token_hash = ${hashToken(reissued!.token)}`).toEqual([{tenantId: copy.tenantId, status: 'invited'}])
    // the members themselves are copied, and the token is in no audit row
    expect(copy.rows.users).toBe(2)
    const audit = await t.sql`select arguments::text as a from audit_log where tenant_id = ${copy.tenantId}`
    expect(audit.map((r) => r.a).join()).not.toContain(reissued!.token)
  })

  /** A tenant whose 20 assets are made by its owner and each have a QR code, and its backup. */
  async function linkedTenant(subdomain: string): Promise<{id: string; file: string}> {
    const {tenant} = await createTenant(t.sql, {name: 'Linked', subdomain, ownerEmail: `owner@${subdomain}.example.com`, ownerPassword: 'Passw0rdPass'}, ctx)
    const id = tenant.id
    const [owner] = await t.sql`select user_id from memberships where tenant_id = ${id}`
    // as the owner (so naming the tenant's rows): on Citus the application role cannot INSERT ... SELECT
    // (Citus writes it with COPY, which row-level security refuses)
    await t.sql`insert into assets (tenant_id, name, uri, mimetype, created_by)
      select ${id}, 'Asset ' || g, 'a.png', 'image/png', ${owner!.userId}::uuid from generate_series(1, 20) g`
    await t.sql`insert into qr_contents (tenant_id, name, content, asset_id) select ${id}, 'QR ' || name, 'https://example.com', id from assets where tenant_id = ${id}`
    const file = join(dir, `${subdomain}.sql`)
    await writeBackupFile(t.sql, subdomain, file)
    return {id, file}
  }

  it('recovering assets or memberships keeps every link to them (ON DELETE SET NULL keys)', async () => {
    const {id, file} = await linkedTenant('linked')
    const before = await links(t.sql, id)
    expect(before.qr.every(([, asset]) => asset !== null) && before.assets.every(([, by]) => by !== null)).toBe(true)
    // the accident to recover from: every asset renamed
    await withTenant(t.sql, id, (tx) => tx`update assets set name = 'oops'`)

    const assets = await restoreTenant(t.sql, await backupInput(file), {table: 'assets'}, ctx)
    expect(assets.rows).toEqual({assets: 20})
    expect(await t.sql`select count(*)::int as n from assets where tenant_id = ${id} and name = 'oops'`).toEqual([{n: 0}])
    expect(await links(t.sql, id)).toEqual(before)

    const memberships = await restoreTenant(t.sql, await backupInput(file), {table: 'memberships'}, ctx)
    expect(memberships.rows).toEqual({memberships: 1})
    expect(await links(t.sql, id)).toEqual(before)
  })

  it('a row the backup lacks is still removed by a recover, and what refers to it follows its key', async () => {
    const {id, file} = await linkedTenant('linked-later')
    const [extra] = await withTenant(t.sql, id, (tx) => tx`insert into assets (tenant_id, name, uri, mimetype) values (${id}, 'Later', 'l.png', 'image/png') returning id`)
    await withTenant(t.sql, id, (tx) => tx`insert into qr_contents (tenant_id, name, content, asset_id) values (${id}, 'Later QR', 'x', ${extra!.id})`)
    await restoreTenant(t.sql, await backupInput(file), {table: 'assets'}, ctx)
    expect(await t.sql`select asset_id from qr_contents where tenant_id = ${id} and name = 'Later QR'`).toEqual([{assetId: null}])
    expect(await t.sql`select count(*)::int as n from assets where tenant_id = ${id}`).toEqual([{n: 20}])
  })

  it('after a restore into another database every identity sequence is past the restored ids', async () => {
    await createTenant(t.sql, {name: 'Watched', subdomain: 'watched', ownerEmail: 'owner@watched.example.com'}, ctx)
    await setupMonitoring(t.sql, 'watched', {userThreshold: 0.1, channels: ['email:ops@watched.example.com', 'slack:ops']}, ctx)
    expect((await checkMonitoring(t.sql, 'watched')).queued).toBe(2)
    // the breach clears: its rows stay in the outbox, cleared
    await setupMonitoring(t.sql, 'watched', {userThreshold: 1}, ctx)
    expect((await checkMonitoring(t.sql, 'watched')).cleared).toBe(2)
    const file = join(dir, 'watched.sql')
    await writeBackupFile(t.sql, 'watched', file)
    const restored = (await t.sql`select id from notification_outbox where tenant_id = (select id from tenants where subdomain = 'watched')`).map((r) => Number(r.id))

    const other = await createTestDatabase()
    try {
      await restoreTenant(other.sql, await backupInput(file), {}, ctx)
      await setupMonitoring(other.sql, 'watched', {userThreshold: 0.1}, ctx)
      const check = await checkMonitoring(other.sql)
      expect(check.queued).toBe(2)
      const ids = (await other.sql`select id from notification_outbox order by id`).map((r) => Number(r.id))
      expect(ids).toHaveLength(4)
      expect(Math.min(...ids.filter((i) => !restored.includes(i)))).toBeGreaterThan(Math.max(...restored))
    } finally {
      await other.drop()
    }
  })

  it('a custom domain now held by another tenant: CUSTOM_DOMAIN_TAKEN, exit 4, nothing restored', async () => {
    await createTenant(t.sql, {name: 'Shop', subdomain: 'shop', ownerEmail: 'owner@shop.example.com', customDomain: 'shop.example.com'}, ctx)
    const file = join(dir, 'shop.sql')
    await writeBackupFile(t.sql, 'shop', file)
    await deleteTenant(t.sql, 'shop', 'Shop', ctx)
    await createTenant(t.sql, {name: 'Shop Two', subdomain: 'shop-two', ownerEmail: 'owner@shop2.example.com', customDomain: 'shop.example.com'}, ctx)
    const before = await snapshot(t.sql)
    await expect(restoreTenant(t.sql, await backupInput(file), {}, ctx)).rejects.toMatchObject({code: 'CUSTOM_DOMAIN_TAKEN', kind: 'conflict', field: 'custom_domain'})
    expect(await snapshot(t.sql)).toEqual(before)
    // a copy has no custom domain, so it can be restored beside the new holder
    expect((await restoreTenant(t.sql, await backupInput(file), {as: 'shop-old'}, ctx)).rows.tenants).toBe(1)
  })

  it('overwriting a live tenant takes its exact name, and backs it up first in the same snapshot', async () => {
    const {tenant} = await createTenant(t.sql, {name: 'Live Co', subdomain: 'live-co', ownerEmail: 'owner@live.example.com'}, ctx)
    const file = join(dir, 'live.sql')
    await writeBackupFile(t.sql, 'live-co', file)
    await withTenant(t.sql, tenant.id, (tx) => tx`insert into devices (tenant_id, name) values (${tenant.id}, 'Added after the backup')`)
    const before = await snapshot(t.sql)
    const safety = join(dir, 'live-before.sql')
    await expect(restoreTenant(t.sql, await backupInput(file), {backup: () => newBackupFile(safety)}, ctx)).rejects.toMatchObject({code: 'CONFIRMATION_REQUIRED', kind: 'invalid', field: 'confirmName'})
    await expect(restoreTenant(t.sql, await backupInput(file), {confirmName: 'live co', backup: () => newBackupFile(safety)}, ctx)).rejects.toMatchObject({code: 'CONFIRMATION_MISMATCH', kind: 'invalid'})
    expect(await snapshot(t.sql)).toEqual(before)
    expect(existsSync(safety)).toBe(false)

    const restored = await restoreTenant(t.sql, await backupInput(file), {confirmName: 'Live Co', backup: () => newBackupFile(safety)}, ctx)
    expect(restored).toMatchObject({backup: safety, rows: {devices: 0}})
    expect((await readBackup(await backupInput(safety))).tables.find((x) => x.name === 'devices')!.rows).toBe(1)
    // the safety backup brings back what the restore overwrote
    expect((await restoreTenant(t.sql, await backupInput(safety), {confirmName: 'Live Co'}, ctx)).rows.devices).toBe(1)
  })
})
