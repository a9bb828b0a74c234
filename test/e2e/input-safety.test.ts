import {execFile} from 'node:child_process'
import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {resolveContext} from '../../src/lib/context.js'
import {createTenant} from '../../src/lib/tenants.js'
import {BIN, cli, type CliResult} from '../helpers/cli.js'
import {createTestDatabase, snapshot, type TestDatabase} from '../helpers/db.js'

/** The CLI with arguments as a shell passes them: those with a backslash are printf formats, for bytes that are not UTF-8 (\377). */
function cliBytes(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const script = `exec "${process.execPath}" "${BIN}" ${args.map((a) => (a.includes('\\') ? `"$(printf '${a}')"` : `'${a}'`)).join(' ')}`
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', script], {env: {...process.env, NO_COLOR: '1', ...env}}, (error, stdout, stderr) => {
      let json: CliResult['json']
      try {
        json = JSON.parse(stdout)
      } catch {
        json = undefined
      }
      resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr, json})
    })
  })
}

describe('input the CLI refuses, and output it escapes (issue 11)', () => {
  let t: TestDatabase
  let env: NodeJS.ProcessEnv
  let dir: string
  const file = async (name: string, content: string | Buffer) => {
    const path = join(dir, name)
    await writeFile(path, content)
    return path
  }
  const unchanged = async (run: () => Promise<CliResult>) => {
    const before = await snapshot(t.sql)
    const result = await run()
    expect({...(await snapshot(t.sql)), audit_log: 0}).toEqual({...before, audit_log: 0})
    return result
  }

  beforeAll(async () => {
    t = await createTestDatabase()
    env = {DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', ANTHIAS_BASE_DOMAIN: 'anthias.app', CI: '1', ANTHIAS_ACTOR: 'tester'}
    dir = await mkdtemp(join(tmpdir(), 'anthias-input-e2e-'))
    // the tenants the tests below act on
    const ctx = resolveContext({actor: 'tester'})
    await createTenant(t.sql, {name: 'Ok Co', subdomain: 'ok-co'}, ctx)
    await createTenant(t.sql, {name: 'Key Co', subdomain: 'key-co', plan: 'professional'}, ctx)
  })
  afterAll(async () => t?.drop())

  it('refuses settings keys that would reach a prototype: CSV header, --setting, --settings-file, JSON config', async () => {
    const csv = await file('proto.csv', 'name,subdomain,settings.__proto__.plan\nAcme,acme-proto,enterprise\n')
    const bulk = await unchanged(() => cli(['tenant', 'bulk-create', csv, '--json'], {env}))
    expect(bulk.code).toBe(2)
    expect(bulk.json?.error).toMatchObject({code: 'SETTING_KEY_FORBIDDEN', field: 'settings.__proto__.plan'})

    const flag = await unchanged(() => cli(['tenant', 'create', 'Acme', 'acme-proto', '--setting', 'constructor.prototype.plan=enterprise', '--json'], {env}))
    expect(flag.code).toBe(2)
    expect(flag.json?.error).toMatchObject({code: 'SETTING_KEY_FORBIDDEN', field: '--setting'})

    const settingsFile = await file('proto.json', '{"theme": "dark", "__proto__": {"plan": "enterprise"}}')
    const fromFile = await unchanged(() => cli(['tenant', 'create', 'Acme', 'acme-proto', '--settings-file', settingsFile, '--json'], {env}))
    expect(fromFile.code).toBe(2)
    expect(fromFile.json?.error).toMatchObject({code: 'SETTING_KEY_FORBIDDEN', field: '--settings-file'})

    const config = await file('config.json', '[{"tenant": {"name": "Acme", "subdomain": "acme-proto", "constructor": "x"}}, {"tenant": {"name": "Beta", "subdomain": "beta-proto"}, "settings": {"__proto__": {"plan": "enterprise"}}}]')
    // the run is recorded (provisioning_runs); no tenant is made
    const provision = await cli(['tenant', 'provision', config, '--json'], {env})
    expect(await t.sql`select 1 from tenants where subdomain in ('acme-proto', 'beta-proto')`).toHaveLength(0)
    expect(JSON.stringify(provision.json)).toContain('CONFIG_UNKNOWN_KEY')
    expect(JSON.stringify(provision.json)).toContain('SETTING_KEY_FORBIDDEN')
  })

  it('refuses text that is not UTF-8: arguments, --settings-file, --owner-password-file', async () => {
    const arg = await unchanged(() => cliBytes(['tenant', 'create', 'Acme \\377', 'acme-utf', '--json'], env))
    expect(arg.code).toBe(2)
    expect(arg.json?.error).toMatchObject({code: 'TEXT_ENCODING', field: 'NAME'})
    const flag = await unchanged(() => cliBytes(['tenant', 'create', 'Acme', 'acme-utf', '--setting', 'theme=\\377', '--json'], env))
    expect(flag.json?.error).toMatchObject({code: 'TEXT_ENCODING', field: '--setting'})

    const settingsFile = await file('latin1.json', Buffer.from('{"theme": "caf\xe9"}', 'latin1'))
    const fromFile = await unchanged(() => cli(['tenant', 'create', 'Acme', 'acme-utf', '--settings-file', settingsFile, '--json'], {env}))
    expect(fromFile.code).toBe(2)
    expect(fromFile.json?.error).toMatchObject({code: 'FILE_ENCODING', field: '--settings-file'})

    const password = await file('owner.pw', Buffer.concat([Buffer.from('SecurePass123'), Buffer.from([0xff, 0x0a])]))
    const pw = await unchanged(() => cli(['tenant', 'create', 'Acme', 'acme-utf', '--owner-email', 'owner@acme.example.com', '--owner-password-file', password, '--json'], {env}))
    expect(pw.code).toBe(2)
    expect(pw.json?.error).toMatchObject({code: 'FILE_ENCODING', field: '--owner-password-file'})
    expect(await t.sql`select 1 from users where email = 'owner@acme.example.com'`).toHaveLength(0)
  })

  it('NUL, 20,000 levels and a settings.a/settings.a.b header: codes, not raw errors', async () => {
    const nul = await file('nul.json', '{"motd": "hi\\u0000there"}')
    const one = await unchanged(() => cli(['tenant', 'create', 'Acme', 'acme-nul', '--settings-file', nul, '--json'], {env}))
    expect(one.code).toBe(2)
    expect(one.json?.error).toMatchObject({code: 'SETTING_NUL', field: '--settings-file'})

    const config = await file('nul-config.json', JSON.stringify([{tenant: {name: 'Nul Co', subdomain: 'nul-co'}, settings: {motd: 'a\u0000b'}}, {tenant: {name: 'Not Nul Co', subdomain: 'not-nul-co'}}]))
    const bulk = await cli(['tenant', 'provision', config, '--json'], {env})
    expect(bulk.code).toBe(68)
    const report = bulk.json?.result as {rows: {record: number; outcome: string; error?: {code: string; field?: string}}[]}
    expect(report.rows.find((r) => r.record === 1)).toMatchObject({outcome: 'failed', error: {code: 'SETTING_NUL', field: '[0].settings.motd'}})
    expect(await t.sql`select subdomain from tenants where subdomain like '%nul-co' order by subdomain`).toEqual([{subdomain: 'not-nul-co'}])

    const deep = await file('deep.json', `{"a": ${'['.repeat(20_000)}${']'.repeat(20_000)}}`)
    const tooDeep = await unchanged(() => cli(['tenant', 'create', 'Acme', 'acme-deep', '--settings-file', deep, '--json'], {env}))
    expect(tooDeep.code).toBe(2)
    expect(tooDeep.json?.error).toMatchObject({code: 'SETTINGS_TOO_DEEP', field: '--settings-file'})

    const csv = await file('conflict.csv', 'name,subdomain,settings.a,settings.a.b\nAcme,acme-conflict,1,2\n')
    const header = await unchanged(() => cli(['tenant', 'bulk-create', csv, '--json'], {env}))
    expect(header.code).toBe(2)
    expect(header.json?.error).toMatchObject({code: 'SETTING_PATH_CONFLICT', field: 'settings.a.b', line: 1})

    const flags = await unchanged(() => cli(['tenant', 'create', 'Acme', 'acme-conflict', '--setting', 'a=1', '--setting', 'a.b=2', '--json'], {env}))
    expect(flags.json?.error).toMatchObject({code: 'SETTING_PATH_CONFLICT', field: '--setting'})
  })

  it('audit list: a malformed tenant id and a --since beyond 100 years are usage errors', async () => {
    const id = await cli(['audit', 'list', '--tenant', '------------------------------------', '--json'], {env})
    expect(id.code).toBe(2)
    expect(id.json?.error).toMatchObject({code: 'TENANT_ID_INVALID', field: '--tenant'})
    const since = await cli(['audit', 'list', '--since', '99999999999d', '--json'], {env})
    expect(since.code).toBe(2)
    expect(since.json?.error).toMatchObject({code: 'TIME_INVALID', field: '--since'})
    expect((await cli(['audit', 'list', '--tenant', 'ok-co', '--since', '36500d'], {env})).code).toBe(0)
  })

  it('refuses control characters in names, the actor and channels', async () => {
    const name = await unchanged(() => cli(['tenant', 'create', 'Evil\u001b[2J', 'evil-co', '--json'], {env}))
    expect(name.json?.error).toMatchObject({code: 'TEXT_CONTROL_CHARACTER', field: 'NAME'})
    const bidi = await unchanged(() => cli(['tenant', 'create', 'Evil \u202eoC', 'evil-co', '--json'], {env}))
    expect(bidi.json?.error).toMatchObject({code: 'TEXT_CONTROL_CHARACTER'})
    const actor = await unchanged(() => cli(['tenant', 'create', 'Fine Co', 'fine-co', '--actor', 'mallory\u0007', '--json'], {env}))
    expect(actor.json?.error).toMatchObject({code: 'TEXT_CONTROL_CHARACTER', field: '--actor'})
    const key = await unchanged(() => cli(['apikey', 'create', 'key-co', '--name', 'ci\u009b2J', '--permission', 'assets.read', '--json'], {env}))
    expect(key.json?.error).toMatchObject({code: 'TEXT_CONTROL_CHARACTER', field: '--name'})
    const channel = await unchanged(() => cli(['monitor', 'setup', 'ok-co', '--channel', 'webhook:https://hooks.example.com/\u001b]0;pwned\u0007', '--json'], {env}))
    expect(channel.json?.error).toMatchObject({code: 'TEXT_CONTROL_CHARACTER', field: '--channel'})
  })

  it('prints control characters stored before the rule escaped, in tables and key-value blocks', async () => {
    expect((await cli(['apikey', 'create', 'key-co', '--name', 'ci', '--permission', 'assets.read'], {env})).code).toBe(0)
    await t.sql`update api_keys set name = ${'ci\u001b[2J\u0007\u009b\u202e'}`
    await t.sql`update tenants set name = ${'Ok\u001b[31m Co\u202e'} where subdomain = 'ok-co'`
    await t.sql`insert into audit_log (actor, action, outcome) values (${'mallory\u001b[2K\r'}, 'tenant.create', 'success')`
    for (const args of [['apikey', 'list', 'key-co'], ['audit', 'list'], ['tenant', 'list'], ['tenant', 'show', 'ok-co']]) {
      const out = await cli(args, {env})
      expect(out.code, args.join(' ')).toBe(0)
      expect(out.stdout, args.join(' ')).not.toMatch(/[\u0007\u001b\u202e]/)
    }
    expect((await cli(['apikey', 'list', 'key-co'], {env})).stdout).toContain('ci\\x1B[2J\\x07\\x9B\\u202E')
    expect((await cli(['audit', 'list'], {env})).stdout).toContain('mallory\\x1B[2K\\x0D')
    expect((await cli(['tenant', 'show', 'ok-co'], {env})).stdout).toContain('Ok\\x1B[31m Co\\u202E')
    const json = await cli(['apikey', 'list', 'key-co', '--json'], {env})
    // JSON escapes C0 itself; DEL, C1 and bidi controls are escaped too
    expect(json.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/)
    expect(json.stdout).toContain('\\u009b\\u202e')
    expect((json.json?.result as {items: {name: string}[]}).items[0]!.name).toBe('ci\u001b[2J\u0007\u009b\u202e')
    await t.sql`update tenants set name = 'Ok Co' where subdomain = 'ok-co'`
  })

  it('tenant delete prints a stored name with control characters escaped', async () => {
    expect((await cli(['tenant', 'create', 'Gone Co', 'gone-co'], {env})).code).toBe(0)
    const name = 'Gone\u001b[2J Co\u202e'
    await t.sql`update tenants set name = ${name} where subdomain = 'gone-co'`
    const deleted = await cli(['tenant', 'delete', 'gone-co', '--confirm-name', name, '--no-backup'], {env})
    expect(deleted.code).toBe(0)
    expect(deleted.stdout + deleted.stderr).not.toMatch(/[\u001b\u202e]/)
    expect(deleted.stdout).toContain('Deleted Gone\\x1B[2J Co\\u202E (gone-co)')
  })

  it('--search matches % and _ literally', async () => {
    for (const [name, subdomain] of [['A_b Co', 'ab-under'], ['Axb Co', 'axb-co'], ['Hundred% Co', 'hundred-co']]) {
      expect((await cli(['tenant', 'create', name!, subdomain!], {env})).code).toBe(0)
    }
    const names = async (search: string) => ((await cli(['tenant', 'list', '--search', search, '--json'], {env})).json?.result as {items: {name: string}[]}).items.map((r) => r.name)
    expect(await names('a_b')).toEqual(['A_b Co'])
    expect(await names('%')).toEqual(['Hundred% Co'])
    expect(await names('\\')).toEqual([])
  })

  it('writes report cells that start with = + - @ as text', async () => {
    const csv = await file('formula.csv', 'name,subdomain\n"=HYPERLINK(""http://evil.example"",""x"")",formula-co\n@SUM(A1),formula-two\n')
    const reportPath = join(dir, 'report.csv')
    expect((await cli(['tenant', 'bulk-create', csv, '--report', reportPath], {env})).code).toBe(0)
    const report = await readFile(reportPath, 'utf8')
    expect(report).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`)
    expect(report).toContain(`,'@SUM(A1),`)
    expect(report).not.toMatch(/(^|,)[=+@-]/m)
  })

  it('SETTING_NOT_FOUND names the setting keys, not their values; --unset refuses prototype keys', async () => {
    expect((await cli(['tenant', 'update', 'ok-co', '--setting', 'integrations.apiToken=SECRET-123', '--setting', 'theme=dark'], {env})).code).toBe(0)
    const missing = await cli(['tenant', 'update', 'ok-co', '--unset', 'nope', '--json'], {env})
    expect(missing.code).toBe(2)
    expect(missing.json?.error).toMatchObject({code: 'SETTING_NOT_FOUND', field: '--unset'})
    expect(missing.json?.error?.message).toMatch(/Settings: .*integrations\.apiToken/)
    expect(missing.json?.error?.message).toMatch(/Settings: .*theme/)
    expect(missing.stdout).not.toContain('SECRET-123')
    const proto = await cli(['tenant', 'update', 'ok-co', '--unset', '__proto__.hasOwnProperty', '--json'], {env})
    expect(proto.json?.error).toMatchObject({code: 'SETTING_KEY_FORBIDDEN', field: '--unset'})
  })
})
