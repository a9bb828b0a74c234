import {execFileSync, spawn} from 'node:child_process'
import {existsSync, statSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {BIN, cli} from '../helpers/cli.js'

/** SIGKILL as soon as all `paths` exist: the run is cut short mid-way. */
function killWhenAppear(args: string[], env: NodeJS.ProcessEnv, paths: string[]): Promise<{signal: NodeJS.Signals | null; seen: boolean}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {env: {...process.env, ...env}, stdio: 'ignore'})
    let seen = false
    const timer = setInterval(() => {
      if (!seen && paths.every((p) => existsSync(p))) {
        seen = true
        child.kill('SIGKILL')
      }
    }, 2)
    child.on('exit', (_, signal) => {
      clearInterval(timer)
      resolve({signal, seen})
    })
  })
}

describe('the embedded server after a first use cut short', () => {
  let dir: string
  let env: NodeJS.ProcessEnv

  // a new data directory for each test
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anthias-interrupted-'))
    env = {ANTHIAS_DATA_DIR: dir, DATABASE_URL: '', ANTHIAS_DATABASE_URL: '', CI: '1'}
  })
  afterEach(async () => {
    await cli(['db', 'stop'], {env})
    await rm(dir, {recursive: true, force: true})
  })

  it('killed once the server runs but before the database exists, the next command finishes the set-up and succeeds', async () => {
    // the cluster is made and recorded, its server starting (postmaster.pid), the database not yet
    // created: the command dies there, holding the lock
    const killed = await killWhenAppear(['tenant', 'list', '--json'], env, [join(dir, 'embedded.json'), join(dir, 'pg', 'postmaster.pid')])
    expect(killed).toEqual({signal: 'SIGKILL', seen: true})
    expect(existsSync(join(dir, 'embedded.lock'))).toBe(true)

    const next = await cli(['tenant', 'list', '--json'], {env})
    expect(next.code, next.stderr).toBe(0)
    expect(next.json!.result).toEqual({items: [], nextCursor: null, total: 0})
    const created = await cli(['tenant', 'create', 'After Crash', 'after-crash', '--json'], {env})
    expect(created.code, created.stderr).toBe(0)
  })

  it('keeps the log and the data directory private to the server\'s user', async () => {
    expect((await cli(['tenant', 'list', '--json'], {env})).code).toBe(0)
    const owner = process.getuid?.() === 0 ? Number(execFileSync('id', ['-u', 'postgres'], {encoding: 'utf8'}).trim()) : process.getuid?.()
    const mode = (path: string) => ({mode: (statSync(path).mode & 0o777).toString(8), uid: statSync(path).uid})
    expect(mode(dir)).toEqual({mode: '700', uid: owner})
    expect(mode(join(dir, 'postgres.log'))).toEqual({mode: '600', uid: owner})
    expect(mode(join(dir, 'pg'))).toEqual({mode: '700', uid: owner})
    expect(mode(join(dir, 'embedded.json')).mode).toBe('600')
    expect(mode(join(dir, 'leases')).mode).toBe('700')
  })
})
