import {writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadMigrations} from '../../src/lib/db/migrations.js'
import {cli} from '../helpers/cli.js'
import {createTestDatabase, snapshot, type TestDatabase} from '../helpers/db.js'

const LATEST = (await loadMigrations()).at(-1)!.version

describe('the built CLI against a PostgreSQL server', () => {
  let t: TestDatabase
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    t = await createTestDatabase()
    env = {DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', ANTHIAS_BASE_DOMAIN: 'anthias.app', CI: '1'}
  })
  afterAll(async () => t?.drop())

  it("runs the guide's three create_tenant lines; the second fails cleanly with exit 4", async () => {
    const first = await cli(['create_tenant', 'Acme Corp', 'acme-corp', '--plan', 'professional'], {env})
    expect(first.stderr).not.toMatch(/Error|✖/)
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('https://acme-corp.anthias.app')

    const before = await snapshot(t.sql)
    const second = await cli(
      ['create_tenant', 'Acme Corp', 'acme-corp', '--plan', 'professional', '--owner-email', 'admin@acme.com', '--owner-password', 'SecurePass123', '--contact-email', 'billing@acme.com'],
      {env},
    )
    expect(second.code).toBe(4)
    expect(second.stderr).toContain('SUBDOMAIN_TAKEN')
    expect(second.stderr).toContain('visible in shell history')
    expect(second.stderr).not.toContain('SecurePass123')
    const after = await snapshot(t.sql)
    expect({...after, audit_log: 0}).toEqual({...before, audit_log: 0})

    const third = await cli(
      ['create_tenant', 'Enterprise Client', 'enterprise-client', '--plan', 'enterprise', '--max-assets', '2000', '--max-users', '200', '--storage-quota', '500', '--custom-domain', 'client.enterprise.com'],
      {env},
    )
    expect(third.code).toBe(0)
    expect(third.stdout).toContain('CNAME app.anthias.app')
  })

  it('a tenant without an owner: the warning names the command that invites one, and --json carries it as data', async () => {
    const result = await cli(['tenant', 'create', 'Ownerless Co', 'ownerless-co', '--json'], {env})
    expect(result.code).toBe(0)
    expect(result.json!.warnings).toEqual(['The tenant has no owner yet; invite one with `anthias user invite ownerless-co EMAIL --role owner`.'])
    expect((result.json!.result as {warnings: unknown[]}).warnings).toEqual([
      {command: 'user.invite', args: {tenant: 'ownerless-co', email: null, role: 'owner'}, text: 'The tenant has no owner yet; invite one with `{command}`.'},
    ])
  })

  it('--json prints one envelope with camelCase keys', async () => {
    const pwFile = join(tmpdir(), `anthias-pw-${process.pid}`)
    await writeFile(pwFile, 'SecurePass123\n', {mode: 0o600})
    const result = await cli(
      ['tenant', 'create', 'Json Co', 'json-co', '--plan', 'basic', '--owner-email', 'owner@json.example.com', '--owner-password-file', pwFile,
        '--feature', 'analytics_dashboard=true', '--setting', 'timezone=Europe/Paris', '--allow-ip', '2001:DB8::/32', '--enable-2fa', '--json'],
      {env},
    )
    expect(result.code).toBe(0)
    expect(result.json).toMatchObject({
      status: 0,
      warnings: [],
      result: {
        tenant: {
          name: 'Json Co', subdomain: 'json-co', accessUrl: 'https://json-co.anthias.app', plan: 'basic', status: 'active',
          limits: {maxAssets: 100, maxUsers: 10, maxDevices: 5, storageQuotaGb: 10},
          features: ['analytics_dashboard', 'basic_dashboard', 'standard_support'],
          settings: {timezone: 'Europe/Paris'},
          security: {enable2fa: true, allowedIpRanges: ['2001:db8::/32']},
          owners: [{email: 'owner@json.example.com', status: 'active'}],
        },
      },
    })
    expect(result.stdout).not.toContain('SecurePass123')

    const failed = await cli(['tenant', 'create', 'Json Co', 'json-co', '--json'], {env})
    expect(failed.code).toBe(4)
    expect(failed.json).toMatchObject({status: 4, error: {code: 'SUBDOMAIN_TAKEN', field: 'SUBDOMAIN'}})
    expect(failed.json!.error!.suggestions.length).toBeGreaterThanOrEqual(5)
  })

  it('reports bad flags with their code and flag name, exit 2', async () => {
    const result = await cli(['tenant', 'create', 'Bad', 'bad-flags', '--max-assets', 'lots', '--allow-ip', '192.168.1.5/24', '--json'], {env})
    expect(result.code).toBe(2)
    expect(result.json!.error).toMatchObject({code: 'INVALID_INPUT'})
    const errors = (result.json!.error as unknown as {errors: {code: string; field: string; suggestions: string[]}[]}).errors
    expect(errors).toEqual(expect.arrayContaining([
      expect.objectContaining({code: 'LIMIT_INVALID', field: '--max-assets'}),
      expect.objectContaining({code: 'CIDR_HOST_BITS', field: '--allow-ip', suggestions: ['192.168.1.0/24']}),
    ]))
  })

  it('without a terminal, missing arguments fail with exit 2 naming them', async () => {
    const result = await cli(['tenant', 'create'], {env})
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('MISSING_INPUT')
    expect(result.stderr).toContain('NAME and SUBDOMAIN')
  })

  it('never prompts without a terminal: plan, security and delete fail naming what is missing', async () => {
    expect((await cli(['tenant', 'create', 'Prompt Co', 'prompt-co'], {env})).code).toBe(0)
    const plan = await cli(['tenant', 'plan', 'prompt-co', '--json'], {env})
    expect(plan.code).toBe(2)
    expect(plan.json!.error).toMatchObject({code: 'MISSING_INPUT', field: 'PLAN'})
    const del = await cli(['tenant', 'delete', 'prompt-co'], {env})
    expect(del.code).toBe(2)
    expect(del.stderr).toContain('--confirm-name')
    const security = await cli(['tenant', 'security', 'prompt-co', '--json'], {env})
    expect(security.json).toMatchObject({status: 0, result: {policy: {enable2fa: false, sessionTimeoutMinutes: 480}}})
  })

  it('tenant delete needs the exact name; a mismatch deletes nothing', async () => {
    expect((await cli(['tenant', 'create', 'Doomed Co', 'doomed-co', '--owner-email', 'doomed@example.com'], {env})).code).toBe(0)
    const before = await snapshot(t.sql)
    const wrong = await cli(['tenant', 'delete', 'doomed-co', '--confirm-name', 'doomed co', '--json'], {env})
    expect(wrong.code).toBe(2)
    expect(wrong.json!.error!.code).toBe('CONFIRMATION_MISMATCH')
    expect(await snapshot(t.sql)).toEqual(before)
    const right = await cli(['tenant', 'delete', 'doomed-co', '--confirm-name', 'Doomed Co', '--no-backup', '--json'], {env})
    expect(right.json).toMatchObject({status: 0, result: {subdomain: 'doomed-co', deleted: {tenants: 1, memberships: 1, users: 1}}})
    const [audit] = await t.sql`select count(*)::int as n from audit_log where subject = 'doomed-co'`
    expect(audit!.n).toBe(2)
  })

  it('two processes creating the same subdomain at once: exactly one wins, the other exits 4', async () => {
    const results = await Promise.all(
      [1, 2].map((n) => cli(['tenant', 'create', `Racer ${n}`, 'race-corp', '--owner-email', `racer${n}@example.com`, '--json'], {env})),
    )
    expect(results.map((r) => r.code).sort()).toEqual([0, 4])
    expect(results.find((r) => r.code === 4)!.json!.error!.code).toBe('SUBDOMAIN_TAKEN')
    const rows = await t.sql`select count(*)::int as n from tenants where subdomain = 'race-corp'`
    expect(rows[0]!.n).toBe(1)
  })

  it('subdomain check: exit 0 available, 4 taken, 2 invalid or reserved', async () => {
    expect((await cli(['tenant', 'create', 'Check Corp', 'check-corp'], {env})).code).toBe(0)
    expect((await cli(['subdomain', 'check', 'free-name'], {env})).code).toBe(0)
    const taken = await cli(['check_subdomain', 'CHECK-corp', '--json'], {env})
    expect(taken.code).toBe(4)
    expect(taken.json).toMatchObject({status: 4, result: {status: 'taken', available: false}})
    const reserved = await cli(['subdomain', 'check', 'www', '--json'], {env})
    expect(reserved.code).toBe(2)
    expect(reserved.json!.result).toMatchObject({status: 'reserved'})
    expect((await cli(['subdomain', 'check', 'a_b'], {env})).code).toBe(2)
  })

  it('subdomain suggest gives at least 5 valid, free names', async () => {
    expect((await cli(['tenant', 'create', 'Suggest Corp', 'suggest-corp'], {env})).code).toBe(0)
    const result = await cli(['suggest_subdomains', 'suggest corp', '--json'], {env})
    expect(result.code).toBe(0)
    const suggestions = (result.json!.result as {suggestions: string[]}).suggestions
    expect(suggestions).toHaveLength(5)
    expect(suggestions).not.toContain('suggest-corp')
    for (const s of suggestions) expect(s).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/)
  })

  it('tenant list and show, plan list and show', async () => {
    expect((await cli(['tenant', 'create', 'Listed Client', 'listed-client', '--plan', 'enterprise', '--custom-domain', 'listed.enterprise.com'], {env})).code).toBe(0)
    expect((await cli(['tenant', 'create', 'Unlisted Client', 'unlisted-client', '--plan', 'basic'], {env})).code).toBe(0)
    const list = await cli(['tenant', 'list', '--plan', 'enterprise', '--search', 'listed', '--json'], {env})
    expect((list.json!.result as {items: {subdomain: string}[]}).items.map((r) => r.subdomain)).toEqual(['listed-client'])
    const show = await cli(['tenant', 'show', 'listed-client'], {env})
    expect(show.stdout).toContain('listed.enterprise.com')
    expect((await cli(['tenant', 'show', 'nope-nope'], {env})).code).toBe(3)
    const plan = await cli(['plan', 'show', 'professional', '--json'], {env})
    expect(plan.json!.result).toMatchObject({id: 'professional', priceMonthly: '$99', limits: {maxAssets: 500, maxUsers: 50, maxDevices: 25, storageQuotaGb: 100}})
    expect((await cli(['plan', 'show', 'gold'], {env})).code).toBe(3)
  })

  it('an unreachable database exits 5 with the URL, password masked', async () => {
    const result = await cli(['tenant', 'list', '--database-url', 'postgres://anthias:s3cret@127.0.0.1:1/anthias'], {env})
    expect(result.code).toBe(5)
    expect(result.stderr).toContain('DB_UNREACHABLE')
    expect(result.stderr).toContain('postgres://anthias:***@127.0.0.1:1/anthias')
    expect(result.stderr).not.toContain('s3cret')
  })

  it('db migrate --plan lists nothing pending; db status shows the schema version', async () => {
    const plan = await cli(['db', 'migrate', '--plan', '--json'], {env})
    expect(plan.json).toMatchObject({status: 0, result: {plan: true, migrations: []}})
    const status = await cli(['db', 'status', '--json'], {env})
    expect(status.json!.result).toMatchObject({source: 'DATABASE_URL', running: true, schemaVersion: LATEST, pendingMigrations: 0})
  })
})
