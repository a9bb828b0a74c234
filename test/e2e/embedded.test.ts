import {existsSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadMigrations} from '../../src/lib/db/migrations.js'
import {cli} from '../helpers/cli.js'
import {contractProblems} from '../helpers/contract.js'

/** The zero-setup path: no URL anywhere, the CLI runs its own PostgreSQL in ANTHIAS_DATA_DIR. */
const LATEST = (await loadMigrations()).at(-1)!.version

describe('the embedded server', () => {
  let dir: string
  let env: NodeJS.ProcessEnv

  // a new data directory for each test
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anthias-embedded-'))
    env = {ANTHIAS_DATA_DIR: dir, DATABASE_URL: '', ANTHIAS_DATABASE_URL: '', CI: '1'}
  })
  afterEach(async () => {
    await cli(['db', 'stop'], {env})
    await rm(dir, {recursive: true, force: true})
  })

  it('two commands started at once on a new data directory both succeed and share one server', async () => {
    const [a, b] = await Promise.all([
      cli(['tenant', 'create', 'First Co', 'first-co', '--json'], {env}),
      cli(['tenant', 'create', 'Second Co', 'second-co', '--json'], {env}),
    ])
    expect([a.code, a.stderr], a.stderr).toEqual([0, expect.any(String)])
    expect(b.code, b.stderr).toBe(0)
    expect(a.stderr + b.stderr).not.toMatch(/lock file|already exists|ELOCKED/i)
    const list = await cli(['tenant', 'list', '--json'], {env})
    expect((list.json!.result as {items: {subdomain: string}[]}).items.map((t) => t.subdomain)).toEqual(['first-co', 'second-co'])
  })

  it('stops the server after a command unless db start pinned it', async () => {
    expect((await cli(['tenant', 'list', '--json'], {env})).code).toBe(0)
    const stopped = await cli(['db', 'status', '--json'], {env})
    expect(stopped.json!.result).toMatchObject({source: 'embedded', pinned: false, schemaVersion: LATEST})
    expect(existsSync(join(dir, 'pg', 'postmaster.pid'))).toBe(false)

    const start = await cli(['db', 'start', '--json'], {env})
    expect(start.code).toBe(0)
    expect(contractProblems('db:start', start.json)).toEqual([])
    expect(existsSync(join(dir, 'pg', 'postmaster.pid'))).toBe(true)
    const status = await cli(['db', 'status', '--json'], {env})
    expect(contractProblems('db:status', status.json)).toEqual([])
    expect(status.json!.result).toMatchObject({pinned: true, running: true, serverVersion: expect.stringMatching(/^\d+/), url: expect.stringContaining(':***@127.0.0.1:')})
    expect(existsSync(join(dir, 'pg', 'postmaster.pid'))).toBe(true)

    const stop = await cli(['db', 'stop', '--json'], {env})
    expect(contractProblems('db:stop', stop.json)).toEqual([])
    expect(stop.json!.result).toMatchObject({stopped: true})
    expect(existsSync(join(dir, 'pg', 'postmaster.pid'))).toBe(false)
  })
})
