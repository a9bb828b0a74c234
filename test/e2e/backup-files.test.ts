import {execFileSync, spawn} from 'node:child_process'
import {mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {resolveContext} from '../../src/lib/context.js'
import {createTenant} from '../../src/lib/tenants.js'
import {BIN, cli} from '../helpers/cli.js'
import {createTestDatabase, snapshot, type TestDatabase} from '../helpers/db.js'

describe('backup files with the built CLI', () => {
  let t: TestDatabase
  let dir: string
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    t = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'anthias-backup-files-'))
    env = {DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', CI: '1'}
    const {tenant} = await createTenant(t.sql, {name: 'Files Co', subdomain: 'files-co', ownerEmail: 'owner@files.example.com', maxAssets: 10_000}, resolveContext({}))
    // as the owner: on Citus the application role cannot INSERT ... SELECT (Citus writes it with COPY, which row-level security refuses)
    await t.sql.begin(async (tx) => {
      await tx`insert into assets (tenant_id, name, uri, mimetype) select ${tenant.id}, 'Asset ' || g, 'a.png', 'image/png' from generate_series(1, 5000) g`
      await tx`insert into devices (tenant_id, name) values (${tenant.id}, 'Lobby')`
    })
  })
  afterAll(async () => {
    await t?.drop()
    await rm(dir, {recursive: true, force: true})
  })

  it('a truncated or damaged .gz backup is BACKUP_INVALID, exit 2, and nothing is written', async () => {
    // a small tenant too: its whole manifest arrives before the cut, so the crash came after it was read
    await createTenant(t.sql, {name: 'Tiny', subdomain: 'tiny', ownerEmail: 'owner@tiny.example.com'}, resolveContext({}))
    const bad: string[] = []
    for (const tenant of ['files-co', 'tiny']) {
      const file = join(dir, `${tenant}.sql.gz`)
      expect((await cli(['tenant', 'backup', tenant, '-o', file, '--gzip'], {env})).code).toBe(0)
      const bytes = await readFile(file)
      for (const cut of [0.5, 0.75, 0.9]) {
        bad.push(join(dir, `${tenant}-${cut}.sql.gz`))
        await writeFile(bad.at(-1)!, bytes.subarray(0, Math.floor(bytes.length * cut)))
      }
      const damaged = Buffer.from(bytes)
      for (let i = 100; i < 200; i++) damaged[i] = damaged[i]! ^ 0xff
      bad.push(join(dir, `${tenant}-damaged.sql.gz`))
      await writeFile(bad.at(-1)!, damaged)
    }
    const before = await snapshot(t.sql)
    for (const file of bad) {
      const restored = await cli(['tenant', 'restore', file, '--json'], {env})
      expect(restored, file).toMatchObject({code: 2, json: {status: 2, error: {code: 'BACKUP_INVALID'}}})
    }
    expect(await snapshot(t.sql)).toEqual(before)
  })

  it('tenant restore --check verifies a file without a database: its manifest, or BACKUP_INVALID', async () => {
    const plain = join(dir, 'checked.sql')
    const gzip = join(dir, 'checked.sql.gz')
    expect((await cli(['tenant', 'backup', 'files-co', '-o', plain], {env})).code).toBe(0)
    expect((await cli(['tenant', 'backup', 'files-co', '-o', gzip, '--gzip'], {env})).code).toBe(0)
    const [count] = await t.sql<{n: number}[]>`select count(*)::int as n from assets where tenant_id = (select id from tenants where subdomain = 'files-co')`
    const before = await snapshot(t.sql)
    // a database URL nothing answers at: the check never connects
    const nowhere = ['--database-url', 'postgres://nobody@127.0.0.1:1/nowhere']
    for (const file of [plain, gzip]) {
      const checked = await cli(['tenant', 'restore', file, '--check', '--json', ...nowhere], {env})
      expect(checked, file).toMatchObject({code: 0, json: {status: 0, result: {file, manifest: {format: 2, tenant: {subdomain: 'files-co', name: 'Files Co'}}}}})
      const {manifest} = checked.json!.result as {manifest: {schemaVersion: number; tables: {name: string; rows: number}[]}}
      expect(manifest.schemaVersion).toBeGreaterThan(0)
      expect(manifest.tables).toContainEqual(expect.objectContaining({name: 'assets', rows: count!.n}))
    }
    const human = await cli(['tenant', 'restore', plain, '--check', ...nowhere], {env})
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/a whole, untouched backup of files-co \(Files Co, [0-9a-f-]{36}\).*nothing was restored/)
    expect(human.stdout).toMatch(/schema version \d+/)
    expect(human.stdout).toMatch(/assets\s+│ 5\d{3}/)

    const text = await readFile(plain, 'utf8')
    const tampered = join(dir, 'checked-tampered.sql')
    await writeFile(tampered, text.replace('\\.\n', '\\.\nDELETE FROM assets;\n'))
    const refused = await cli(['tenant', 'restore', tampered, '--check', '--json', ...nowhere], {env})
    expect(refused).toMatchObject({code: 2, json: {status: 2, error: {code: 'BACKUP_INVALID', line: 8}}})
    // --check restores nothing, so what a restore takes does not go with it
    const mixed = await cli(['tenant', 'restore', plain, '--check', '--as', 'files-copy', '--json'], {env})
    expect(mixed).toMatchObject({code: 2, json: {error: {code: 'USAGE'}}})
    expect(await snapshot(t.sql)).toEqual(before)
  })

  it('"-o -" writes the backup to standard output, plain or gzip', async () => {
    const plain = await cli(['tenant', 'backup', 'files-co', '-o', '-'], {env})
    expect(plain.code).toBe(0)
    expect(plain.stderr).toMatch(/Backed up files-co to standard output/)
    const file = join(dir, 'from-stdout.sql')
    await writeFile(file, plain.stdout)
    const restored = await cli(['tenant', 'restore', file, '--as', 'files-copy', '--json'], {env})
    expect(restored.json).toMatchObject({status: 0, result: {rows: {assets: 5000, devices: 1}}})
    const gzipped = execFileSync(process.execPath, [BIN, 'tenant', 'backup', 'files-co', '-o', '-', '--gzip'], {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'ignore']})
    const gzipFile = join(dir, 'from-stdout.sql.gz')
    await writeFile(gzipFile, gzipped)
    expect(gunzipSync(gzipped).toString()).toMatch(/^-- anthias tenant backup\n[^]*\nCOMMIT;\n$/)
    expect(await cli(['tenant', 'restore', gzipFile, '--as', 'files-copy-gz', '--json'], {env})).toMatchObject({code: 0, json: {result: {rows: {assets: 5000}}}})
    expect(await cli(['tenant', 'backup', 'files-co', '-o', '-', '--json'], {env})).toMatchObject({code: 2, json: {error: {code: 'USAGE', field: '--output'}}})
  })

  it('an existing target is refused (exit 2); --force replaces a regular file and nothing else', async () => {
    const existing = join(dir, 'existing.sql')
    await writeFile(existing, 'an earlier backup\n')
    const fifo = join(dir, 'fifo.sql')
    execFileSync('mkfifo', [fifo])
    expect(await cli(['tenant', 'backup', 'files-co', '-o', existing, '--json'], {env})).toMatchObject({code: 2, json: {error: {code: 'BACKUP_EXISTS', field: '--output'}}})
    expect(await cli(['tenant', 'backup', 'files-co', '-o', fifo, '--force', '--json'], {env})).toMatchObject({code: 2, json: {error: {code: 'BACKUP_NOT_A_FILE'}}})
    expect((await stat(fifo)).isFIFO()).toBe(true)
    expect(await readFile(existing, 'utf8')).toBe('an earlier backup\n')
    expect((await cli(['tenant', 'backup', 'files-co', '-o', existing, '--force'], {env})).code).toBe(0)
    expect((await readFile(existing, 'utf8')).startsWith('-- anthias tenant backup\n')).toBe(true)
    const deleted = await cli(['tenant', 'delete', 'files-co', '--confirm-name', 'Files Co', '--backup-file', existing, '--json'], {env})
    expect(deleted).toMatchObject({code: 2, json: {error: {code: 'BACKUP_EXISTS'}}})
    expect(await t.sql`select 1 from tenants where subdomain = 'files-co'`).toHaveLength(1)
  })

  /** Run the CLI until its backup waits for a lock on devices (its file is open by then), then send `signal`. */
  async function stopMidBackup(args: string[], signal: NodeJS.Signals, into: string) {
    await t.sql.begin(async (tx) => {
      await tx`lock table devices in access exclusive mode`
      const child = spawn(process.execPath, [BIN, ...args], {env: {...process.env, ...env}, stdio: 'ignore'})
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (code, sig) => resolve([code, sig])))
      for (let i = 0; i < 800; i++) {
        const waiting = await t.sql`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike 'copy (%devices%'`
        if (waiting.length > 0) break
        await new Promise((r) => setTimeout(r, 25))
      }
      expect(await readdir(into)).toContainEqual(expect.stringMatching(/^b\.sql\.partial-/))
      child.kill(signal)
      return exited
    }).then((outcome) => expect(outcome).toEqual(signal === 'SIGINT' ? [130, null] : [null, signal]))
  }

  it('a backup stopped by SIGTERM or Ctrl-C (tenant delete too) leaves no partial file', async () => {
    for (const [args, signal] of [
      [['tenant', 'backup', 'files-co'], 'SIGTERM'],
      [['tenant', 'backup', 'files-co', '--gzip'], 'SIGINT'],
      [['tenant', 'delete', 'files-co', '--confirm-name', 'Files Co'], 'SIGINT'],
      [['tenant', 'delete', 'files-co', '--confirm-name', 'Files Co'], 'SIGHUP'],
    ] as const) {
      const into = join(dir, `stopped-${signal}-${args[1]}`)
      await mkdir(into, {recursive: true})
      await stopMidBackup([...args, args[1] === 'backup' ? '-o' : '--backup-file', join(into, 'b.sql')], signal, into)
      expect(await readdir(into), `${args.join(' ')} ${signal}`).toEqual([])
    }
    expect(await t.sql`select 1 from tenants where subdomain = 'files-co'`).toHaveLength(1)
  }, 120_000)
})
