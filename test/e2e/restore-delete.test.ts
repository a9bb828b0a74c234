import {existsSync, statSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import postgres from 'postgres'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {backupInput} from '../../src/inputs.js'
import {writeBackupFile} from '../../src/backup-files.js'
import {readBackup} from '../../src/lib/backup.js'
import {resolveContext} from '../../src/lib/context.js'
import {withTenant} from '../../src/lib/db/tenant-context.js'
import {createTenant} from '../../src/lib/tenants.js'
import {cli} from '../helpers/cli.js'
import {createTestDatabase, locksAwaited, snapshot, type TestDatabase} from '../helpers/db.js'
import {Terminal} from '../helpers/tmux.js'

const ctx = resolveContext({actor: 'test'})
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('tenant delete and restore over a live tenant, with the built CLI', () => {
  let t: TestDatabase
  let dir: string
  let env: NodeJS.ProcessEnv
  /** a second client, as another program writing to the same tenants */
  let writer: postgres.Sql

  async function tenantWithAssets(name: string, subdomain: string, assets: number): Promise<string> {
    const {tenant} = await createTenant(t.sql, {name, subdomain, ownerEmail: `owner@${subdomain}.example.com`, maxAssets: 10_000}, ctx)
    // as the owner: on Citus the application role cannot INSERT ... SELECT (Citus writes it with COPY, which row-level security refuses)
    await t.sql`insert into assets (tenant_id, name, uri, mimetype) select ${tenant.id}, 'Asset ' || g, 'a.png', 'image/png' from generate_series(1, ${assets}) g`
    return tenant.id
  }

  /** Until `n` CLI connections wait on a row lock (held by the writer). */
  async function cliWaitsOnALock(n = 1): Promise<void> {
    for (let i = 0; i < 600; i++) {
      const waiting = await locksAwaited(t.sql, 'anthias')
      if (waiting.length >= n) return
      await sleep(50)
    }
    throw new Error('the CLI never waited for the writer')
  }

  /** The writer's transaction, held open until release() is called. */
  function hold(statements: (tx: postgres.TransactionSql) => Promise<unknown>) {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let ready!: () => void
    const written = new Promise<void>((resolve) => (ready = resolve))
    const done = writer.begin(async (tx) => {
      await statements(tx)
      ready()
      await gate
    })
    return {written, release, done}
  }

  async function expectBackupIsWhatWasDeleted(result: {backup: string; deleted: Record<string, number>}) {
    const manifest = await readBackup(await backupInput(result.backup))
    for (const table of manifest.tables) if (table.name !== 'users') expect([table.name, result.deleted[table.name]]).toEqual([table.name, table.rows])
    return manifest
  }

  beforeAll(async () => {
    t = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'anthias-freeze-'))
    env = {DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', CI: '1'}
    writer = postgres(t.url, {max: 2, onnotice: () => undefined, connection: {application_name: 'writer'}})
  })
  afterAll(async () => {
    await writer?.end()
    await t?.drop()
    await rm(dir, {recursive: true, force: true})
  })

  it('delete: an asset and an invitation written while it starts are in its backup, and restored', async () => {
    const id = await tenantWithAssets('Frozen Co', 'frozen-co', 50)
    const late = hold(async (tx) => {
      await tx`insert into assets (tenant_id, name, uri, mimetype) values (${id}, 'Late asset', 'l.png', 'image/png')`
      await tx`with u as (insert into users (email) values ('late@frozen.example.com') returning id)
        insert into memberships (tenant_id, user_id, role, status, invitation_token_hash, invitation_expires_at)
        select ${id}, u.id, 'viewer', 'invited', 'hash', now() + interval '7 days' from u`
    })
    await late.written
    const backup = join(dir, 'frozen.sql')
    const deleting = cli(['tenant', 'delete', 'frozen-co', '--confirm-name', 'Frozen Co', '--backup-file', backup, '--json'], {env})
    await cliWaitsOnALock()
    late.release()
    await late.done
    const deleted = await deleting
    expect(deleted.json).toMatchObject({status: 0, result: {backup, deleted: {assets: 51, memberships: 2, tenants: 1}}})
    const manifest = await expectBackupIsWhatWasDeleted(deleted.json!.result as {backup: string; deleted: Record<string, number>})
    expect(manifest.tables.find((x) => x.name === 'users')!.rows).toBe(2)

    const restored = await cli(['tenant', 'restore', backup, '--json'], {env})
    expect(restored.json).toMatchObject({status: 0, result: {rows: {assets: 51, memberships: 2}}})
  }, 60_000)

  it('delete: a writer inserting in a loop meanwhile either lands in the backup or fails', async () => {
    const id = await tenantWithAssets('Busy Co', 'busy-co', 3000)
    const backup = join(dir, 'busy.sql')
    let finished = false
    const deleting = cli(['tenant', 'delete', 'busy-co', '--confirm-name', 'Busy Co', '--backup-file', backup, '--json'], {env}).finally(() => (finished = true))
    let landed = 0
    const refused = new Set<string>()
    for (let i = 0; !finished && i < 100_000; i++) {
      try {
        await writer`insert into assets (tenant_id, name, uri, mimetype) values (${id}, ${`Loop ${i}`}, 'l.png', 'image/png')`
        landed++
      } catch (error) {
        refused.add((error as {code?: string}).code ?? String(error))
      }
    }
    const deleted = await deleting
    expect(deleted.json).toMatchObject({status: 0, result: {deleted: {assets: 3000 + landed}}})
    await expectBackupIsWhatWasDeleted(deleted.json!.result as {backup: string; deleted: Record<string, number>})
    // what was refused was refused because the tenant is gone
    expect([...refused].every((code) => code === '23503')).toBe(true)
    expect((await t.sql`select count(*)::int as n from assets where tenant_id = ${id}`)[0]!.n).toBe(0)

    const restored = await cli(['tenant', 'restore', backup, '--json'], {env})
    expect(restored.json).toMatchObject({status: 0, result: {rows: {assets: 3000 + landed}}})
  }, 120_000)

  it('delete racing an invite of its last member into another tenant: the person is kept, no raw FK error', async () => {
    await tenantWithAssets('Solo Co', 'solo-co', 1)
    const {tenant: other} = await createTenant(t.sql, {name: 'Other Co', subdomain: 'other-co', ownerEmail: 'owner@other-co.example.com'}, ctx)
    const [person] = await t.sql`select id from users where email = 'owner@solo-co.example.com'`
    const invite = hold((tx) => tx`insert into memberships (tenant_id, user_id, role, status, invitation_token_hash, invitation_expires_at)
      values (${other.id}, ${person!.id}, 'viewer', 'invited', 'hash', now() + interval '7 days')`)
    await invite.written
    const deleting = cli(['tenant', 'delete', 'solo-co', '--confirm-name', 'Solo Co', '--backup-file', join(dir, 'solo.sql'), '--json'], {env})
    await cliWaitsOnALock()
    invite.release()
    await invite.done
    const deleted = await deleting
    expect(deleted.json).toMatchObject({status: 0, result: {deleted: {tenants: 1, memberships: 1, users: 0}}})
    expect(await t.sql`select tenant_id from memberships where user_id = ${person!.id}`).toEqual([{tenantId: other.id}])
  }, 60_000)

  it('delete racing `user invite` into the same tenant: the invitation is in the backup, or the invite exits 3', async () => {
    const id = await tenantWithAssets('Invited Co', 'invited-co', 5)
    // a writer holds the tenant row, so the delete and the invite both wait for it and then race
    const blocker = hold((tx) => tx`insert into assets (tenant_id, name, uri, mimetype) values (${id}, 'Blocker', 'b.png', 'image/png')`)
    await blocker.written
    const backup = join(dir, 'invited.sql')
    const deleting = cli(['tenant', 'delete', 'invited-co', '--confirm-name', 'Invited Co', '--backup-file', backup, '--json'], {env})
    await cliWaitsOnALock()
    const inviting = cli(['user', 'invite', 'invited-co', 'late@invited.example.com', '--role', 'viewer', '--json'], {env})
    await cliWaitsOnALock(2)
    blocker.release()
    await blocker.done
    const [deleted, invited] = await Promise.all([deleting, inviting])
    expect(deleted.json).toMatchObject({status: 0, result: {deleted: {assets: 6, tenants: 1}}})
    await expectBackupIsWhatWasDeleted(deleted.json!.result as {backup: string; deleted: Record<string, number>})
    if (invited.code === 0) expect((deleted.json!.result as {deleted: Record<string, number>}).deleted.memberships).toBe(2)
    else expect([invited.code, invited.json!.error!.code]).toEqual([3, 'TENANT_NOT_FOUND'])
  }, 60_000)

  it('restore over a live tenant: no terminal and no --confirm-name exits 2 naming it; a wrong name exits 2; both change nothing', async () => {
    const id = await tenantWithAssets('Live CLI', 'live-cli', 3)
    const file = join(dir, 'live-cli.sql')
    await writeBackupFile(t.sql, 'live-cli', file)
    await withTenant(t.sql, id, (tx) => tx`insert into devices (tenant_id, name) values (${id}, 'After the backup')`)
    const before = await snapshot(t.sql)
    const safety = join(dir, 'live-cli-before.sql')
    const missing = await cli(['tenant', 'restore', file, '--backup-file', safety, '--json'], {env})
    expect(missing.code).toBe(2)
    expect(missing.json!.error).toMatchObject({code: 'MISSING_INPUT', field: '--confirm-name'})
    const wrong = await cli(['tenant', 'restore', file, '--confirm-name', 'live cli', '--backup-file', safety, '--json'], {env})
    expect(wrong.code).toBe(2)
    expect(wrong.json!.error).toMatchObject({code: 'CONFIRMATION_MISMATCH', field: '--confirm-name', suggestions: [
      `Confirm with its exact name: anthias tenant restore ${file} --confirm-name 'Live CLI'`,
      `Or restore a copy beside it (anthias tenant restore ${file} --as SUBDOMAIN),`,
      `or add only the missing rows: anthias tenant restore ${file} --mode merge`,
    ]})
    expect(await snapshot(t.sql)).toEqual(before)
    expect(existsSync(safety)).toBe(false)

    const right = await cli(['tenant', 'restore', file, '--confirm-name', 'Live CLI', '--backup-file', safety, '--json'], {env})
    expect(right.json).toMatchObject({status: 0, result: {backup: safety, rows: {assets: 3, devices: 0}}})
    expect(statSync(safety).mode & 0o777).toBe(0o600)
    expect((await readBackup(await backupInput(safety))).tables.find((x) => x.name === 'devices')!.rows).toBe(1)
    // merge overwrites nothing: it asks for nothing
    expect((await cli(['tenant', 'restore', safety, '--mode', 'merge', '--json'], {env})).json).toMatchObject({status: 0, result: {rows: {devices: 1}}})
  }, 60_000)

  describe.runIf(Terminal.available() || process.env.CI)('in a real terminal', () => {
    let term: Terminal | undefined
    afterEach(() => term?.close())

    it('restore over a live tenant asks for its exact name, then backs it up and restores', async () => {
      const id = await tenantWithAssets('Asked Co', 'asked-co', 2)
      const file = join(dir, 'asked.sql')
      await writeBackupFile(t.sql, 'asked-co', file)
      await withTenant(t.sql, id, (tx) => tx`insert into devices (tenant_id, name) values (${id}, 'After the backup')`)
      const safety = join(dir, 'asked-before.sql')
      term = new Terminal(['tenant', 'restore', file, '--backup-file', safety], {DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', TERM: 'xterm-256color'})
      await term.waitFor('This overwrites the live tenant Asked Co (asked-co)')
      // the name is in quotes in the question, not in parentheses as a default would be
      const asked = await term.waitFor('to confirm')
      expect(asked).toContain('Type "Asked Co" to confirm')
      expect(asked).not.toContain('(Asked Co)')
      await term.answer('Type "Asked Co" to confirm', 'Asked Co')
      const screen = await term.waitFor(/EXIT=\d+/)
      expect(screen).toContain('EXIT=0')
      expect(screen.replace(/\n/g, '')).toContain(`Verified backup of the overwritten tenant: ${safety}`)
      expect((await t.sql`select count(*)::int as n from devices where tenant_id = ${id}`)[0]!.n).toBe(0)
      expect(existsSync(safety)).toBe(true)
    }, 60_000)
  })
})
