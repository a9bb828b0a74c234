import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {resolveContext} from '../../src/lib/context.js'
import {createTenant} from '../../src/lib/tenants.js'
import {BIN, cli} from '../helpers/cli.js'
import {createTestDatabase, type TestDatabase} from '../helpers/db.js'

describe('recovery procedures with the built CLI', () => {
  let t: TestDatabase
  let dir: string
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    t = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'anthias-recovery-'))
    env = {DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', CI: '1'}
    const {tenant} = await createTenant(t.sql, {name: 'Big Co', subdomain: 'big-co', ownerEmail: 'owner@big.example.com', maxAssets: 60000}, resolveContext({}))
    // as the owner: on Citus the application role cannot INSERT ... SELECT (Citus writes it with COPY, which row-level security refuses)
    await t.sql`insert into assets (tenant_id, name, uri, mimetype) select ${tenant.id}, 'Asset ' || g, 'a.png', 'image/png' from generate_series(1, 60000) g`
  })
  afterAll(async () => {
    await t?.drop()
    await rm(dir, {recursive: true, force: true})
  })

  it('delete backs up first, then deletes; a SIGKILL mid-restore leaves nothing partial; a restore brings it all back', async () => {
    const backup = join(dir, 'big.sql')
    const deleted = await cli(['tenant', 'delete', 'big-co', '--confirm-name', 'Big Co', '--backup-file', backup, '--json'], {env})
    expect(deleted.code).toBe(0)
    expect(deleted.json!.result).toMatchObject({backup, orphans: {}, deleted: {assets: 60000, tenants: 1}})
    expect(existsSync(backup)).toBe(true)

    const child = spawn(process.execPath, [BIN, 'tenant', 'restore', backup], {env: {...process.env, ...env}, stdio: 'ignore'})
    const exited = new Promise((resolve) => child.on('exit', resolve))
    for (let i = 0; i < 400; i++) {
      const busy = await t.sql`select 1 from pg_stat_activity
        where datname = current_database() and application_name = 'anthias' and state = 'active' and pid <> pg_backend_pid() and query ilike '%stage_%'`
      if (busy.length > 0) break
      await new Promise((r) => setTimeout(r, 25))
    }
    child.kill('SIGKILL')
    await exited
    await new Promise((r) => setTimeout(r, 200))
    expect(await t.sql`select 1 from tenants where subdomain = 'big-co'`).toHaveLength(0)
    expect((await t.sql`select count(*)::int as n from assets`)[0]!.n).toBe(0)

    const restored = await cli(['restore_tenant_backup', backup, '--json'], {env})
    expect(restored.json).toMatchObject({status: 0, result: {rows: {assets: 60000}}})
    const audit = await cli(['audit', 'list', '--tenant', 'big-co', '--action', 'tenant.*', '--since', '1h', '--json'], {env})
    const actions = (audit.json!.result as {items: {action: string}[]}).items.map((r) => r.action)
    expect(actions).toEqual(expect.arrayContaining(['tenant.delete', 'tenant.restore', 'tenant.create']))
  }, 180_000)

  it('monitor check exits 10 when a threshold is breached, 0 when all is clear', async () => {
    expect((await cli(['monitor', 'setup', 'big-co', '--asset-threshold', '0.5', '--channel', 'email:ops@big.example.com'], {env})).code).toBe(0)
    const breached = await cli(['monitor', 'check', '--all', '--json'], {env})
    expect(breached.code).toBe(10)
    expect(breached.json).toMatchObject({status: 10, result: {queued: 1, breaches: [expect.objectContaining({metric: 'assets', queued: ['email:ops@big.example.com']})]}})
    expect((await cli(['monitor', 'setup', 'big-co', '--asset-threshold', '1'], {env})).code).toBe(0)
    await cli(['tenant', 'update', 'big-co', '--max-assets', '100000'], {env})
    expect((await cli(['monitor', 'check', 'big-co'], {env})).code).toBe(0)
    const usage = await cli(['tenant', 'usage', 'big-co'], {env})
    expect(usage.stdout).toMatch(/assets\s+\[.*\] 60000\/100000 \(60%\)/)
  })

  it('suspend, resume, and the audit trail of it all', async () => {
    expect((await cli(['tenant', 'create', 'Audited Co', 'audited-co'], {env})).code).toBe(0)
    expect((await cli(['tenant', 'update', 'audited-co', '--max-assets', '200'], {env})).code).toBe(0)
    expect((await cli(['tenant', 'suspend', 'audited-co', '--json'], {env})).json).toMatchObject({result: {before: 'active', after: 'suspended'}})
    expect((await cli(['tenant', 'show', 'audited-co', '--json'], {env})).json).toMatchObject({result: {status: 'suspended'}})
    expect((await cli(['tenant', 'resume', 'audited-co', '--json'], {env})).json).toMatchObject({result: {after: 'active'}})
    const audit = await cli(['audit', 'list', '--tenant', 'audited-co', '--action', 'tenant.*', '--since', '1h', '--json'], {env})
    const actions = (audit.json!.result as {items: {action: string}[]}).items.map((r) => r.action)
    expect(actions).toEqual(['tenant.resume', 'tenant.suspend', 'tenant.update', 'tenant.create'])
    expect((await cli(['audit', 'list', '--since', 'yesterday-ish'], {env})).code).toBe(2)
  })
})
