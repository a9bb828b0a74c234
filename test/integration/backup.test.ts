import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import postgres from 'postgres'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {backupInput} from '../../src/inputs.js'
import {newBackupFile, writeBackupFile} from '../../src/backup-files.js'
import {orphanScan, readBackup, restoreTenant} from '../../src/lib/backup.js'
import {resolveContext} from '../../src/lib/context.js'
import {withTenant} from '../../src/lib/db/tenant-context.js'
import {checkMonitoring, setupMonitoring} from '../../src/lib/monitoring.js'
import {deleteTenant} from '../../src/lib/tenant-delete.js'
import {createTenant} from '../../src/lib/tenants.js'
import {createTestDatabase, snapshot, type TestDatabase} from '../helpers/db.js'

const ctx = resolveContext({actor: 'test'})
const TABLES = ['tenants', 'tenant_features', 'memberships', 'assets', 'devices', 'qr_contents', 'monitoring_configs']

/** A checksum of every row of the tenant, table by table. */
async function fingerprint(sql: postgres.Sql, subdomain: string): Promise<Record<string, string>> {
  const [tenant] = await sql`select id from tenants where subdomain = ${subdomain}`
  const out: Record<string, string> = {}
  for (const table of TABLES) {
    const [row] = await sql.unsafe(`select count(*)::int || ':' || coalesce(md5(string_agg(t::text, '|' order by t::text)), '') as f from ${table} t where ${table === 'tenants' ? 'id' : 'tenant_id'} = $1`, [tenant!.id])
    out[table] = row!.f
  }
  return out
}

describe('backup, restore, recovery, deletion and monitoring', () => {
  let t: TestDatabase
  let dir: string
  let id: string

  beforeEach(async () => {
    t = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'anthias-backup-'))
    id = (await createTenant(t.sql, {name: 'Backed Up', subdomain: 'backed-up', plan: 'professional', ownerEmail: 'owner@backed.example.com', ownerPassword: 'Passw0rdPass', features: {custom_branding: true}, settings: {theme: 'dark\ttab'}}, ctx)).tenant.id
    await createTenant(t.sql, {name: 'Neighbour', subdomain: 'neighbour', ownerEmail: 'owner@neighbour.example.com'}, ctx)
    // as the owner: on Citus the application role cannot INSERT ... SELECT (Citus writes it with COPY, which row-level security refuses)
    await t.sql.begin(async (tx) => {
      await tx`insert into assets (tenant_id, name, uri, mimetype, size_bytes) select ${id}, 'Asset ' || g || E'\\nline two', 'a' || g || '.png', 'image/png', g * 1000 from generate_series(1, 500) g`
      await tx`insert into devices (tenant_id, name) values (${id}, 'Lobby'), (${id}, 'Café ☕')`
      await tx`insert into qr_contents (tenant_id, name, content, asset_id) select ${id}, 'QR', 'https://example.com', id from assets where tenant_id = ${id} limit 3`
    })
    await setupMonitoring(t.sql, 'backed-up', {channels: ['email:ops@backed.example.com']}, ctx)
  })
  afterEach(async () => {
    await t?.drop()
    await rm(dir, {recursive: true, force: true})
  })

  it('backup, delete, restore: identical rows', async () => {
    const before = await fingerprint(t.sql, 'backed-up')
    const file = join(dir, 'backed.sql')
    const backup = await writeBackupFile(t.sql, 'backed-up', file)
    expect(backup.manifest.tables.find((x) => x.name === 'assets')!.rows).toBe(500)
    const deleted = await deleteTenant(t.sql, 'backed-up', 'Backed Up', ctx)
    expect(deleted.deleted).toMatchObject({assets: 500, devices: 2, qr_contents: 3, tenants: 1, users: 1})
    expect(await orphanScan(t.sql, id)).toEqual({})
    const [audit] = await t.sql`select count(*)::int as n from audit_log where tenant_id = ${id}`
    expect(audit!.n).toBeGreaterThan(1)
    const restored = await restoreTenant(t.sql, await backupInput(file), {}, ctx)
    expect(restored.rows).toMatchObject({assets: 500, devices: 2, qr_contents: 3})
    expect(await fingerprint(t.sql, 'backed-up')).toEqual(before)
  })

  it('gzip backups round-trip too, and merge adds only what is missing', async () => {
    const file = join(dir, 'backed.sql.gz')
    await writeBackupFile(t.sql, 'backed-up', file, {gzip: true})
    const before = await fingerprint(t.sql, 'backed-up')
    await withTenant(t.sql, id, (tx) => tx`delete from devices where name = 'Lobby'`)
    await restoreTenant(t.sql, await backupInput(file), {mode: 'merge'}, ctx)
    expect(await fingerprint(t.sql, 'backed-up')).toEqual(before)
  })

  it('psql restores a backup into a fresh database with the schema', async () => {
    const file = join(dir, 'for-psql.sql')
    await writeBackupFile(t.sql, 'backed-up', file)
    const before = await fingerprint(t.sql, 'backed-up')
    const fresh = await createTestDatabase()
    try {
      execFileSync('psql', [fresh.url, '-v', 'ON_ERROR_STOP=1', '-q', '-f', file], {stdio: 'pipe'})
      expect(await fingerprint(fresh.sql, 'backed-up')).toEqual(before)
    } finally {
      await fresh.drop()
    }
  })

  it('after a psql restore into a fresh database every identity sequence is past the restored ids', async () => {
    await createTenant(t.sql, {name: 'Psql Watched', subdomain: 'psql-watched', ownerEmail: 'owner@psql-watched.example.com'}, ctx)
    await setupMonitoring(t.sql, 'psql-watched', {userThreshold: 0.1, channels: ['email:ops@psql-watched.example.com', 'slack:ops']}, ctx)
    expect((await checkMonitoring(t.sql, 'psql-watched')).queued).toBe(2)
    // the breach clears: its rows stay in the outbox, cleared
    await setupMonitoring(t.sql, 'psql-watched', {userThreshold: 1}, ctx)
    expect((await checkMonitoring(t.sql, 'psql-watched')).cleared).toBe(2)
    const file = join(dir, 'psql-watched.sql')
    await writeBackupFile(t.sql, 'psql-watched', file)
    const restoredIds = (await t.sql`select id from notification_outbox where tenant_id = (select id from tenants where subdomain = 'psql-watched')`).map((r) => Number(r.id))

    const fresh = await createTestDatabase()
    try {
      execFileSync('psql', [fresh.url, '-v', 'ON_ERROR_STOP=1', '-q', '-f', file], {stdio: 'pipe'})
      await setupMonitoring(fresh.sql, 'psql-watched', {userThreshold: 0.1}, ctx)
      expect((await checkMonitoring(fresh.sql)).queued).toBe(2)
      const ids = (await fresh.sql`select id from notification_outbox order by id`).map((r) => Number(r.id))
      expect(ids).toHaveLength(4)
      expect(Math.min(...ids.filter((i) => !restoredIds.includes(i)))).toBeGreaterThan(Math.max(...restoredIds))
    } finally {
      await fresh.drop()
    }
    // into a database whose sequence is ahead, and was never called since (is_called false): never moved back
    const ahead = await createTestDatabase()
    try {
      // setval, not ALTER SEQUENCE ... RESTART: Citus cannot alter a distributed sequence
      await ahead.sql`select setval(pg_get_serial_sequence('notification_outbox', 'id'), 1000, false)`
      execFileSync('psql', [ahead.url, '-v', 'ON_ERROR_STOP=1', '-q', '-f', file], {stdio: 'pipe'})
      await setupMonitoring(ahead.sql, 'psql-watched', {userThreshold: 0.1}, ctx)
      expect((await checkMonitoring(ahead.sql)).queued).toBe(2)
      const ids = (await ahead.sql`select id from notification_outbox order by id`).map((r) => Number(r.id))
      expect(Math.min(...ids.filter((i) => !restoredIds.includes(i)))).toBeGreaterThanOrEqual(1000)
    } finally {
      await ahead.drop()
    }
  })

  it('restores a copy under a new subdomain beside the original', async () => {
    const file = join(dir, 'copy.sql')
    await writeBackupFile(t.sql, 'backed-up', file)
    const copy = await restoreTenant(t.sql, await backupInput(file), {as: 'backed-up-copy'}, ctx)
    expect(copy.tenantId).not.toBe(id)
    const original = await fingerprint(t.sql, 'backed-up')
    const copied = await fingerprint(t.sql, 'backed-up-copy')
    expect(copied.assets!.split(':')[0]).toBe('500')
    expect(original.assets).not.toBe(copied.assets)
  })

  it('refuses a tampered, re-targeted or truncated file and writes nothing', async () => {
    const file = join(dir, 'tamper.sql')
    await writeBackupFile(t.sql, 'backed-up', file)
    const text = await readFile(file, 'utf8')
    const [neighbour] = await t.sql`select id from tenants where subdomain = 'neighbour'`
    const changed = join(dir, 'changed.sql')
    await writeFile(changed, text.replace('Asset 7\\nline two', 'Asset 7\\nline 2!'))
    // another tenant's rows, with the manifest's checksums recomputed to match
    const retargeted = join(dir, 'retargeted.sql')
    const lines = text.split('\n')
    const manifest = JSON.parse(lines[1]!.slice('-- manifest: '.length))
    let table = ''
    const blocks: Record<string, string> = {}
    const out = lines.map((line, i) => {
      if (i < 2) return line
      const copy = /^COPY public\."([^"]+)"/.exec(line)
      if (copy) {
        table = copy[1]!
        blocks[table] = ''
        return line
      }
      if (line === '\\.') {
        table = ''
        return line
      }
      if (table === 'devices') line = line.replace(id, neighbour!.id)
      if (table) blocks[table] += line + '\n'
      return line
    })
    for (const t of manifest.tables) t.sha256 = (await import('node:crypto')).createHash('sha256').update(blocks[t.name] ?? '').digest('hex')
    out[1] = '-- manifest: ' + JSON.stringify(manifest)
    await writeFile(retargeted, out.join('\n'))
    // cut anywhere: mid-line a row's tenant id may be cut short too, which is refused as well
    const truncated = join(dir, 'truncated.sql')
    await writeFile(truncated, text.slice(0, Math.floor(text.length / 2)))
    const before = await snapshot(t.sql)
    // each overwrites the live tenant: confirmed, and backed up first
    const safety = join(dir, 'before-tamper.sql')
    for (const [bad, message] of [[changed, /checksum/], [retargeted, /another tenant/], [truncated, /truncated|checksum|another tenant/]] as const) {
      await expect(restoreTenant(t.sql, await backupInput(bad), {confirmName: 'Backed Up', backup: () => newBackupFile(safety)}, ctx)).rejects.toMatchObject({code: 'BACKUP_INVALID', kind: 'invalid', message: expect.stringMatching(message)})
    }
    expect(await snapshot(t.sql)).toEqual(before)
    // nothing was restored, so no backup of the tenant before it is left behind
    expect(existsSync(safety)).toBe(false)
  })

  it('recovers one table from a backup', async () => {
    const file = join(dir, 'recover.sql')
    await writeBackupFile(t.sql, 'backed-up', file)
    const before = await fingerprint(t.sql, 'backed-up')
    await withTenant(t.sql, id, (tx) => tx`delete from devices`)
    const result = await restoreTenant(t.sql, await backupInput(file), {table: 'devices'}, ctx)
    expect(result.rows).toEqual({devices: 2})
    expect(await fingerprint(t.sql, 'backed-up')).toEqual(before)
    expect((await readBackup(await backupInput(file))).tenant.subdomain).toBe('backed-up')
  })

  it('queues a breach once, and clears it when usage drops', async () => {
    await setupMonitoring(t.sql, 'backed-up', {assetThreshold: 0.5, channels: ['email:ops@backed.example.com', 'slack:alerts']}, ctx)
    const first = await checkMonitoring(t.sql, 'backed-up')
    expect(first.breaches.map((b) => [b.metric, b.used, b.limit])).toEqual([['assets', 500, 500]])
    expect(first.queued).toBe(2)
    const second = await checkMonitoring(t.sql, 'backed-up')
    expect(second.queued).toBe(0)
    const outbox = await t.sql`select metric, channel, cleared_at from notification_outbox where tenant_id = ${id} order by channel`
    expect(outbox.map((o) => [o.metric, o.channel, o.clearedAt])).toEqual([['assets', 'email:ops@backed.example.com', null], ['assets', 'slack:alerts', null]])
    await withTenant(t.sql, id, (tx) => tx`delete from assets where size_bytes > 200000`)
    const third = await checkMonitoring(t.sql, 'backed-up')
    expect(third).toMatchObject({breaches: [], cleared: 2})
  })

  it('validates monitoring input', async () => {
    await expect(setupMonitoring(t.sql, 'backed-up', {storageThreshold: 1.5, channels: ['sms:555']}, ctx)).rejects.toMatchObject({
      errors: [expect.objectContaining({code: 'THRESHOLD_INVALID'}), expect.objectContaining({code: 'CHANNEL_INVALID'})],
    })
  })
})

