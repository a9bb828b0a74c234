import {spawn} from 'node:child_process'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {resolveContext} from '../../src/lib/context.js'
import {withTenant} from '../../src/lib/db/tenant-context.js'
import {createTenant} from '../../src/lib/tenants.js'
import {BIN} from '../helpers/cli.js'
import {activityView, createTestDatabase, onCitus, type TestDatabase} from '../helpers/db.js'

describe('tenant migrate --all killed mid-run', () => {
  let t: TestDatabase
  const ids: string[] = []

  beforeAll(async () => {
    t = await createTestDatabase()
    for (let i = 0; i < 30; i++) {
      const s = `kill-${String(i).padStart(2, '0')}`
      const {tenant} = await createTenant(t.sql, {name: s, subdomain: s}, resolveContext({}))
      ids.push(tenant.id)
      await withTenant(t.sql, tenant.id, (tx) => tx`insert into assets (tenant_id, name, uri, mimetype) values (${tenant.id}, 'Logo', 'a.png', 'IMAGE/PNG')`)
    }
  })
  afterAll(async () => {
    await t?.drop()
  })

  it('leaves every tenant wholly migrated with its ledger rows, or untouched', async () => {
    // another transaction holds kill-15: the run waits on it, in its second batch (kill-10 to kill-19), with kill-10 to kill-14 done under their savepoints
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const holder = t.sql.begin(async (tx) => {
      await tx`select 1 from tenants where id = ${ids[15]!} for update`
      await held
    })
    const child = spawn(process.execPath, [BIN, 'tenant', 'migrate', '--all', '--concurrency', '1', '--batch-size', '10', '--continue-on-error'], {
      env: {...process.env, DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', ANTHIAS_LOCK_TIMEOUT: '0', CI: '1'}, stdio: 'ignore',
    })
    const exited = new Promise((resolve) => child.on('exit', resolve))
    let login: string | undefined
    for (let i = 0; i < 1200 && !login; i++) {
      const [waiting] = await t.sql<{login: string}[]>`select usename as login from ${activityView(t.sql)}
        where datname = current_database() and usename like 'anthias\\_migrate\\_%' and wait_event_type = 'Lock'`
      login = waiting?.login
      if (!login) await new Promise((r) => setTimeout(r, 25))
    }
    child.kill('SIGKILL')
    await exited
    release()
    await holder
    expect(login).toBeDefined()
    // the killed run's session ends without committing its batch; its login is dropped here (a later run would drop it once expired)
    for (let i = 0; i < 1200; i++) {
      if ((await t.sql`select 1 from ${activityView(t.sql)} where usename = ${login!}`).length === 0) break
      await new Promise((r) => setTimeout(r, 25))
    }
    await t.sql.unsafe(`drop role if exists "${login}"`)

    const tenants = await t.sql<{subdomain: string; versions: number[]; displays: number; upper: number}[]>`
      select t.subdomain,
        coalesce((select array_agg(m.version order by m.version) from tenant_migrations m where m.tenant_id = t.id), '{}') as versions,
        (select count(*)::int from devices d where d.tenant_id = t.id and d.name = 'Default display') as displays,
        (select count(*)::int from assets a where a.tenant_id = t.id and a.mimetype = 'IMAGE/PNG') as upper
      from tenants t order by t.subdomain`
    const migrated = tenants.filter((r) => r.versions.length > 0).map((r) => r.subdomain)
    // the first batch committed whole; the second, killed before its commit, left nothing, nor did the third, never begun
    // (on Citus each tenant is a batch of its own: every tenant before the locked one committed)
    const committed = onCitus() ? 15 : 10
    expect(migrated).toEqual(ids.slice(0, committed).map((_, i) => `kill-${String(i).padStart(2, '0')}`))
    for (const r of tenants) {
      expect(r).toEqual(migrated.includes(r.subdomain)
        ? {subdomain: r.subdomain, versions: [1, 2], displays: 1, upper: 0}
        : {subdomain: r.subdomain, versions: [], displays: 0, upper: 1})
    }
    const audited = await t.sql`select count(*)::int as n from audit_log where action = 'tenant.migrate'`
    expect(audited[0]!.n).toBe(2 * committed)
  })
})
