import {execFile, spawn} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, cli} from '../helpers/cli.js'
import {createTestDatabase, type TestDatabase} from '../helpers/db.js'

const widest = (text: string) => Math.max(...text.split('\n').map((l) => l.length))

describe('help, typos and pipes', () => {
  let t: TestDatabase
  let env: NodeJS.ProcessEnv
  let dir: string

  beforeAll(async () => {
    t = await createTestDatabase()
    env = {DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', ANTHIAS_BASE_DOMAIN: 'anthias.app', CI: '1'}
    dir = await mkdtemp(join(tmpdir(), 'anthias-help-'))
  })
  afterAll(async () => {
    await t?.drop()
    if (dir) await rm(dir, {recursive: true, force: true})
  })

  it('-h is --help, for the root and for a command', async () => {
    for (const args of [[], ['tenant', 'create'], ['plan', 'list']]) {
      const short = await cli([...args, '-h'], {env})
      expect(short.code).toBe(0)
      expect(short.stdout).toBe((await cli([...args, '--help'], {env})).stdout)
      expect(short.stdout).toContain('USAGE')
    }
  })

  it('root help: topics and commands, the guide aliases once in their own short section', async () => {
    const {stdout} = await cli(['--help'], {env})
    expect(stdout).toContain('TOPICS')
    expect(stdout).toMatch(/GUIDE ALIASES\n(  \S+ +\S.*\n)+/)
    expect(stdout.match(/\bcreate_tenant\b/g)).toHaveLength(1)
    expect(stdout).toMatch(/^ {2}create_tenant +tenant create$/m)
    expect(widest(stdout)).toBeLessThanOrEqual(80)
  })

  it('exit codes in --help: one a line, nothing wrapped, the unknown command documented', async () => {
    const {stdout} = await cli(['tenant', 'create', '--help'], {env})
    const section = stdout.slice(stdout.indexOf('EXIT CODES'))
    const lines = section.split('\n').slice(1).filter((l) => l.trim() !== '').slice(0, 9)
    expect(lines.map((l) => l.match(/^ {2}(\d+) +\S/)?.[1])).toEqual(['0', '1', '2', '3', '4', '5', '10', '68', '130'])
    expect(lines.find((l) => l.startsWith('  2 '))).toContain('unknown command')
    expect(widest(lines.join('\n'))).toBeLessThanOrEqual(80)
  })

  it('an unknown flag names the closest one', async () => {
    const human = await cli(['tenant', 'create', 'Acme', 'acme', '--plna', 'basic'], {env})
    expect(human.code).toBe(2)
    expect(human.stderr).toContain('did you mean --plan?')
    const json = await cli(['tenant', 'create', 'Acme', 'acme', '--plna', 'basic', '--json'], {env})
    expect(json.json).toMatchObject({status: 2, error: {code: 'UNKNOWN_FLAG', field: '--plna', suggestions: ['--plan', expect.any(String)]}})
  })

  it('an unknown command, in a pipe or with --json: the suggestion and exit 2', async () => {
    const piped = await cli(['tenant', 'creat', 'Acme'], {env})
    expect(piped.code).toBe(2)
    expect(piped.stderr).toContain('did you mean "tenant create"?')
    const json = await cli(['tenant', 'creat', '--json'], {env})
    expect(json.code).toBe(2)
    expect(json.json).toMatchObject({status: 2, error: {code: 'UNKNOWN_COMMAND', suggestions: ['anthias tenant create', expect.any(String)]}, warnings: []})
    const alias = await cli(['create_tenat'], {env})
    expect(alias.code).toBe(2)
    expect(alias.stderr).toContain('did you mean "create_tenant"?')
  })

  it('help for an unknown command suggests the closest one, as the command itself does', async () => {
    for (const help of ['--help', '-h']) {
      const human = await cli(['tenant', 'creat', help], {env})
      expect(human.code).toBe(2)
      expect(human.stderr).toContain('"tenant creat" is not an anthias command; did you mean "tenant create"?')
      expect(human.stderr).not.toContain('not found')
    }
    const json = await cli(['tenant', 'creat', '--help', '--json'], {env})
    expect(json.code).toBe(2)
    expect(json.json).toMatchObject({status: 2, error: {code: 'UNKNOWN_COMMAND', suggestions: ['anthias tenant create', expect.any(String)]}})
    const word = await cli(['help', 'tenant', 'creat'], {env})
    expect(word.code).toBe(2)
    expect(word.stderr).toContain('did you mean "tenant create"?')
  })

  it('a mistyped topic, with or without --help, points at the topic\'s help', async () => {
    for (const argv of [['tenannt'], ['tenannt', '--help']]) {
      const human = await cli(argv, {env})
      expect(human.code).toBe(2)
      expect(human.stderr).toContain('"tenannt" is not an anthias command; did you mean "tenant"?')
    }
    const json = await cli(['tenannt', '--json'], {env})
    expect(json.json).toMatchObject({status: 2, error: {code: 'UNKNOWN_COMMAND', suggestions: ['anthias tenant --help', expect.any(String)]}})
  })

  it('--json | head -1 exits quietly with the command\'s code', async () => {
    const csv = join(dir, 'big.csv')
    await writeFile(csv, ['name,subdomain,plan,contact_email', ...Array.from({length: 1500}, (_, i) => `Org ${i},org-${i},basic,a${i}@example.com`)].join('\n') + '\n')
    const {stdout, stderr} = await new Promise<{stdout: string; stderr: string}>((resolve, reject) => {
      execFile('bash', ['-c', `"${process.execPath}" "${BIN}" tenant bulk-create "${csv}" --dry-run --json 2>"${join(dir, 'err')}" | head -1; echo "exit \${PIPESTATUS[0]}"; cat "${join(dir, 'err')}"`], {env: {...process.env, ...env}}, (error, out, err) =>
        error ? reject(error) : resolve({stdout: out, stderr: err}))
    })
    expect(stdout).toMatch(/^\{\nexit 0\n/)
    expect(stdout + stderr).not.toMatch(/top-level await|EPIPE|Warning/)
  })

  it('a reader that closes the pipe early (after the first chunk) ends the command quietly: a streamed list and a whole document', async () => {
    const csv = join(dir, 'pipe.csv')
    await writeFile(csv, ['name,subdomain,plan,contact_email', ...Array.from({length: 1200}, (_, i) => `Pipe ${i},pipe-${i},basic,p${i}@example.com`)].join('\n') + '\n')
    expect((await cli(['tenant', 'bulk-create', csv], {env})).code).toBe(0)
    /** the first chunk of stdout, then the read end closed; the exit code and stderr after that */
    const firstChunkThenClose = (args: string[]) => new Promise<{first: string; code: number | null; signal: NodeJS.Signals | null; stderr: string}>((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], {env: {...process.env, NO_COLOR: '1', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
      let first = ''
      let stderr = ''
      child.stderr.on('data', (d) => (stderr += d))
      child.stdout.once('data', (d) => {
        first = String(d)
        child.stdout.destroy()
      })
      child.on('close', (code, signal) => resolve({first, code, signal, stderr}))
    })
    // --all --json streams page after page (well past a pipe's 64 KiB); a page of 1,000 is one document of ~300 KiB
    for (const args of [['tenant', 'list', '--all', '--limit', '100', '--json'], ['tenant', 'list', '--limit', '1000', '--json']]) {
      const r = await firstChunkThenClose(args)
      // a streamed document (--all) opens with its result and ends with its status
      expect(r.first, args.join(' ')).toMatch(args.includes('--all') ? /^\{\n {2}"result": \{/ : /^\{\n {2}"status": 0/)
      expect({code: r.code, signal: r.signal, stderr: r.stderr}, args.join(' ')).toEqual({code: 0, signal: null, stderr: ''})
    }
  })

  it('tables other than the lists fit 80 columns: plan list, monitor check, tenant plan, delete, restore', async () => {
    const sub = 'a-rather-long-tenant-subdomain'
    expect((await cli(['tenant', 'create', 'Wide Co', sub, '--plan', 'basic'], {env})).code).toBe(0)
    expect((await cli(['user', 'invite', sub, 'viewer@example.com', '--role', 'viewer'], {env})).code).toBe(0)
    const channels = ['email:operations-team@example.com', 'slack:#tenant-alerts', 'webhook:https://hooks.example.com/anthias']
    expect((await cli(['monitor', 'setup', sub, '--user-threshold', '0.05', ...channels.flatMap((c) => ['--channel', c])], {env})).code).toBe(0)
    const monitor = await cli(['monitor', 'check', sub], {env})
    expect(monitor.code).toBe(10)
    const plans = await cli(['plan', 'list'], {env})
    const plan = await cli(['tenant', 'plan', sub, 'enterprise'], {env})
    const backup = join(dir, 'wide.bak')
    expect((await cli(['tenant', 'backup', sub, '-o', backup], {env})).code).toBe(0)
    const del = await cli(['tenant', 'delete', sub, '--confirm-name', 'Wide Co', '--no-backup'], {env})
    const restore = await cli(['tenant', 'restore', backup], {env})
    for (const r of [monitor, plans, plan, del, restore]) {
      const tables = r.stdout.split('\n').filter((l) => /^[┌│└]/.test(l)).join('\n')
      expect(tables).not.toBe('')
      expect(widest(tables), r.stdout).toBeLessThanOrEqual(80)
    }
  })

  it('monitor check fits 80 columns with a 63-character subdomain, broken across lines, never cut', async () => {
    const sub = `very-long-${'x'.repeat(43)}-subdomain`
    expect(sub).toHaveLength(63)
    expect((await cli(['tenant', 'create', 'Long Co', sub, '--plan', 'basic'], {env})).code).toBe(0)
    expect((await cli(['user', 'invite', sub, 'viewer@example.com', '--role', 'viewer'], {env})).code).toBe(0)
    expect((await cli(['monitor', 'setup', sub, '--user-threshold', '0.05', '--channel', 'email:ops@example.com'], {env})).code).toBe(0)
    const monitor = await cli(['monitor', 'check', sub], {env})
    expect(monitor.code).toBe(10)
    const rows = monitor.stdout.split('\n').filter((l) => l.startsWith('│'))
    expect(widest(rows.join('\n')), monitor.stdout).toBeLessThanOrEqual(80)
    expect(monitor.stdout).not.toContain('…')
    // the tenant column, read down the rows after the header: the subdomain whole
    expect(rows.slice(1).map((l) => l.split('│')[1]!.trim()).join('')).toBe(sub)
  })
})
