import {mkdir, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {backupInput} from '../../src/inputs.js'
import {readManifest} from '../../src/lib/backup.js'
import {resolveContext} from '../../src/lib/context.js'
import {createTenant} from '../../src/lib/tenants.js'
import {cli} from '../helpers/cli.js'
import {activityView, createTestDatabase, type TestDatabase} from '../helpers/db.js'
import {Terminal} from '../helpers/tmux.js'

const ctx = resolveContext({actor: 'test'})
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** the lines of one phase's progress on stderr, e.g. "backup: 2104 rows, 312 kB" */
const linesOf = (stderr: string, phase: string) => stderr.split('\n').filter((l) => l.startsWith(`${phase}: `))
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/

describe('progress of long work and Ctrl-C during it, with the built CLI', () => {
  let t: TestDatabase
  let dir: string
  let term: Terminal | undefined

  beforeAll(async () => {
    t = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'anthias-progress-'))
    const {tenant} = await createTenant(t.sql, {name: 'Big Co', subdomain: 'big-co', ownerEmail: 'owner@big-co.example.com', maxAssets: 10_000}, ctx)
    // as the owner: on Citus the application role cannot INSERT ... SELECT (Citus writes it with COPY, which row-level security refuses)
    await t.sql`insert into assets (tenant_id, name, uri, mimetype) select ${tenant.id}, 'Asset ' || g, 'https://cdn.example.com/' || g || '.png', 'image/png' from generate_series(1, 5000) g`
  })
  afterEach(() => term?.close())
  afterAll(async () => {
    await t?.drop()
    await rm(dir, {recursive: true, force: true})
  })

  const env = () => ({DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', CI: '1'})
  const terminalEnv = () => ({DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', ANTHIAS_BASE_DOMAIN: 'anthias.app', TERM: 'xterm-256color'})

  it('without a terminal: backup, restore, delete and migrate --all write progress lines on stderr, the last with the totals', async () => {
    const file = join(dir, 'big.sql.gz')
    const backup = await cli(['tenant', 'backup', 'big-co', '-o', file, '--gzip'], {env: env()})
    expect(backup.code, backup.stderr).toBe(0)
    // every table's rows, users among them
    const rows = (await readManifest(await backupInput(file))).tables.reduce((n, table) => n + table.rows, 0)
    expect(rows).toBeGreaterThan(5000)
    expect(linesOf(backup.stderr, 'backup').at(-1)).toMatch(new RegExp(`^backup: ${rows} rows, [\\d.]+ (kB|MB)`))
    expect(linesOf(backup.stderr, 'compress').at(-1)).toMatch(new RegExp(`^compress: ${rows}/${rows} rows, ([\\d.]+ (kB|MB)) of \\1`))
    // sizes human-readable in the summary too
    expect(backup.stdout).toMatch(/\(\d[\d.]* (kB|MB), \d+ ms\)/)
    expect(backup.stdout).not.toMatch(/bytes/)

    const restored = await cli(['tenant', 'restore', file, '--as', 'big-copy'], {env: env()})
    expect(restored.code, restored.stderr).toBe(0)
    expect(linesOf(restored.stderr, 'read').at(-1)).toMatch(new RegExp(`^read: ${rows}/${rows} rows, `))
    expect(linesOf(restored.stderr, 'write').at(-1)).toMatch(/^write: (\d+)\/\1 rows/)

    const deleted = await cli(['tenant', 'delete', 'big-copy', '--confirm-name', 'Big Co', '--backup-file', join(dir, 'copy.sql')], {env: env()})
    expect(deleted.code, deleted.stderr).toBe(0)
    expect(linesOf(deleted.stderr, 'backup').at(-1)).toMatch(/^backup: \d+ rows, /)
    expect(linesOf(deleted.stderr, 'verify').at(-1)).toMatch(/^verify: (\d+)\/\1 rows, ([\d.]+ (kB|MB)) of \2/)
    const [left] = await t.sql`select count(*)::int as n from assets`
    expect(linesOf(deleted.stderr, 'delete').at(-1)).toMatch(/^delete: (\d+)\/\1 rows/)
    expect(left!.n).toBe(5000)

    await createTenant(t.sql, {name: 'Small Co', subdomain: 'small-co'}, ctx)
    // big-co, small-co and those the other tests made
    const [{n: all}] = (await t.sql`select count(*)::int as n from tenants`) as unknown as [{n: number}]
    const migrated = await cli(['tenant', 'migrate', '--all'], {env: env()})
    expect(migrated.code, migrated.stderr).toBe(0)
    expect(all).toBeGreaterThanOrEqual(2)
    expect(linesOf(migrated.stderr, 'migrate').at(-1)).toBe(`migrate: ${all}/${all} tenants`)

    // --json: the document alone on stdout, progress lines on stderr as without it (as bulk does)
    const json = await cli(['tenant', 'backup', 'big-co', '-o', join(dir, 'json.sql'), '--json'], {env: env()})
    expect(json.json).toMatchObject({status: 0, result: {path: join(dir, 'json.sql')}})
    const now = (await readManifest(await backupInput(join(dir, 'json.sql')))).tables.reduce((n, table) => n + table.rows, 0)
    expect(linesOf(json.stderr, 'backup').at(-1)).toMatch(new RegExp(`^backup: ${now} rows`))
  }, 120_000)

  describe.runIf(Terminal.available() || process.env.CI)('in a real terminal', () => {
    it('tenant backup: a task list; Ctrl-C closes it, says no backup was written and exits 130', async () => {
      const into = join(dir, 'stopped')
      await mkdir(into)
      await t.sql.begin(async (tx) => {
        // the backup waits on this lock mid-way, its task list on screen
        await tx`lock table devices in access exclusive mode`
        term = new Terminal(['tenant', 'backup', 'big-co', '-o', join(into, 'b.sql')], terminalEnv())
        await term.waitFor('Back up big-co')
        for (let i = 0; i < 400; i++) {
          const waiting = await t.sql`select 1 from ${activityView(t.sql)} where datname = current_database() and wait_event_type = 'Lock' and query ilike 'copy (%devices%'`
          if (waiting.length > 0) break
          await sleep(25)
        }
        term.send('', 'C-c')
        const screen = await term.waitFor('EXIT=')
        expect(screen).toContain('Interrupted: no backup written (partial file removed).')
        expect(screen).toContain('EXIT=130')
        expect(screen).not.toMatch(SPINNER)
        expect(term.cursorShown()).toBe(true)
      })
      expect(await readdir(into)).toEqual([])
    }, 60_000)

    it('tenant bulk-create: Ctrl-C says how many were created and to re-run the same file', async () => {
      const csv = join(dir, 'tenants.csv')
      await writeFile(csv, `name,subdomain\n${Array.from({length: 20}, (_, i) => `Bulk ${i},bulk-${i}`).join('\n')}\n`)
      // one tenant a second: the run is under way for long enough to be stopped
      term = new Terminal(['tenant', 'bulk-create', csv, '--rate', '1', '--batch-size', '1', '--concurrency', '1'], terminalEnv(), {columns: 100, rows: 40})
      for (let i = 0; i < 400; i++) {
        const [row] = await t.sql`select count(*)::int as n from tenants where subdomain like 'bulk-%'`
        if (row!.n > 0) break
        await sleep(50)
      }
      await term.waitFor('Provision tenants')
      term.send('', 'C-c')
      const screen = await term.waitFor('EXIT=')
      const [line] = screen.match(/Interrupted: (\d+) created, re-run the same file to finish\./) ?? []
      expect(line, screen).toBeDefined()
      expect(screen).toContain('EXIT=130')
      expect(screen).not.toMatch(SPINNER)
      expect(term.cursorShown()).toBe(true)
      const [row] = await t.sql`select count(*)::int as n from tenants where subdomain like 'bulk-%'`
      expect(line).toContain(`Interrupted: ${row!.n} created`)
      expect(row!.n).toBeLessThan(20)
    }, 60_000)
  })
})
