import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'
import {createTestDatabase, snapshot, type TestDatabase} from '../helpers/db.js'

type Check = {name: string; ok: boolean; detail: string}

/** tenant plan keeps feature overrides and refuses to turn off a feature in use; user remove keeps an active owner. */
describe('plan changes, features in use and owners, through the built CLI', () => {
  let t: TestDatabase
  let env: NodeJS.ProcessEnv
  let dir: string
  const run = (...args: string[]) => cli([...args, '--json'], {env})
  const featureCheck = async (tenant: string) =>
    ((await run('tenant', 'verify', tenant)).json!.result as {checks: Check[]}).checks.find((c) => c.name === 'features consistent with plan')

  /** A professional tenant with one active API key, "Primary"; its prefix. */
  const tenantWithKey = async (name: string, subdomain: string) => {
    expect((await run('tenant', 'create', name, subdomain, '--plan', 'professional')).code).toBe(0)
    const key = await run('apikey', 'create', subdomain, '--name', 'Primary', '--permission', 'assets.*')
    expect(key.code).toBe(0)
    return (key.json!.result as {prefix: string}).prefix
  }

  beforeAll(async () => {
    t = await createTestDatabase()
    env = {DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', ANTHIAS_BASE_DOMAIN: 'anthias.app', CI: '1'}
    dir = await mkdtemp(join(tmpdir(), 'anthias-plan-'))
  })
  afterAll(async () => {
    await t?.drop()
    await rm(dir, {recursive: true, force: true})
  })

  it('an upgrade keeps the feature overrides, on and off', async () => {
    expect((await run('tenant', 'create', 'Upgrade Co', 'upgrade-co', '--plan', 'professional', '--feature', 'custom_branding=true', '--feature', 'analytics=false')).code).toBe(0)
    const r = await run('tenant', 'plan', 'upgrade-co', 'enterprise')
    expect(r.code).toBe(0)
    expect(r.json!.result).toMatchObject({after: {plan: 'enterprise', overrides: {analytics: false, custom_branding: true}}})
    const rows = await t.sql`select feature, enabled from tenant_features f join tenants t on t.id = f.tenant_id where t.subdomain = 'upgrade-co' order by feature`
    expect(rows).toEqual([{feature: 'analytics', enabled: false}, {feature: 'custom_branding', enabled: true}])
  })

  it('a downgrade that turns off api_access while API keys are active is refused (FEATURE_IN_USE, exit 4), changing nothing', async () => {
    const prefix = await tenantWithKey('Keys Co', 'keys-co')
    const before = await snapshot(t.sql)
    const r = await run('tenant', 'plan', 'keys-co', 'basic')
    expect(r.code).toBe(4)
    expect(r.json!.error).toMatchObject({code: 'FEATURE_IN_USE', message: expect.stringContaining(`1 active API key (${prefix})`)})
    expect(r.json!.error!.suggestions).toContain('Keep it on: anthias tenant plan keys-co basic --feature api_access=true')
    expect(r.json!.error!.suggestions).toContain('or revoke them with the change (audited): anthias tenant plan keys-co basic --force')
    expect(await snapshot(t.sql)).toEqual(before)
    const [tenant] = await t.sql`select plan_id from tenants where subdomain = 'keys-co'`
    expect(tenant).toEqual({planId: 'professional'})
  })

  it('keeping api_access as an add-on lets the downgrade through with the keys, and verify agrees', async () => {
    await tenantWithKey('Add-on Co', 'addon-co')
    const r = await run('tenant', 'plan', 'addon-co', 'basic', '--feature', 'api_access=true')
    expect(r.code).toBe(0)
    expect(r.json!.result).toMatchObject({after: {plan: 'basic', overrides: {api_access: true}, features: expect.arrayContaining(['api_access'])}, revokedApiKeys: []})
    expect(await featureCheck('addon-co')).toMatchObject({ok: true})
    const off = await run('tenant', 'update', 'addon-co', '--feature', 'api_access=false')
    expect(off.code).toBe(4)
    expect(off.json!.error!.code).toBe('FEATURE_IN_USE')
    const forced = await run('tenant', 'update', 'addon-co', '--feature', 'api_access=false', '--force')
    expect(forced.json).toMatchObject({status: 0, result: {revokedApiKeys: [{name: 'Primary'}], after: {featureOverrides: {api_access: false}}}})
    expect(await featureCheck('addon-co')).toMatchObject({ok: true})
  })

  it('--force downgrades, revokes the active API keys in the same transaction, audits them, and tenant verify passes', async () => {
    expect((await run('tenant', 'create', 'Force Co', 'force-co', '--plan', 'professional')).code).toBe(0)
    const prefixes = []
    for (const name of ['one', 'two']) prefixes.push(((await run('apikey', 'create', 'force-co', '--name', name, '--permission', 'assets.read')).json!.result as {prefix: string}).prefix)
    const r = await run('tenant', 'plan', 'force-co', 'basic', '--force')
    expect(r.code).toBe(0)
    expect(r.json).toMatchObject({
      result: {forced: true, after: {plan: 'basic'}, revokedApiKeys: [{prefix: prefixes[0], name: 'one'}, {prefix: prefixes[1], name: 'two'}]},
      warnings: [`revoked API key ${prefixes[0]} (one): api_access is off on basic`, `revoked API key ${prefixes[1]} (two): api_access is off on basic`],
    })
    const keys = await t.sql`select prefix from api_keys k join tenants t on t.id = k.tenant_id where t.subdomain = 'force-co' and revoked_at is null`
    expect(keys).toEqual([])
    const audit = await t.sql`select action, subject, arguments from audit_log where action in ('tenant.plan', 'apikey.revoke') and tenant_id = (select id from tenants where subdomain = 'force-co') order by id`
    expect(audit.map((a) => [a.action, a.subject])).toEqual([['apikey.revoke', prefixes[0]], ['apikey.revoke', prefixes[1]], ['tenant.plan', 'force-co']])
    expect(audit[2]!.arguments).toMatchObject({force: true, featuresInUse: [expect.stringContaining('api_access: 2 active API keys')], revokedApiKeys: [{prefix: prefixes[0]}, {prefix: prefixes[1]}]})
    expect(await featureCheck('force-co')).toMatchObject({ok: true})
  })

  it('user remove refuses the last active owner when the other owner has only been invited (LAST_OWNER, exit 4)', async () => {
    const password = join(dir, 'pw')
    await writeFile(password, 'Passw0rdPass\n')
    expect((await run('tenant', 'create', 'Owners Co', 'owners-co', '--owner-email', 'active@owners.example.com', '--owner-password-file', password)).code).toBe(0)
    expect((await run('user', 'invite', 'owners-co', 'pending@owners.example.com', '--role', 'owner')).code).toBe(0)
    const r = await run('user', 'remove', 'owners-co', 'active@owners.example.com')
    expect(r.code).toBe(4)
    expect(r.json!.error).toMatchObject({code: 'LAST_OWNER', message: expect.stringContaining('last active owner')})
    const members = ((await run('user', 'list', 'owners-co')).json!.result as {items: {email: string}[]}).items.map((m) => m.email)
    expect(members).toEqual(['active@owners.example.com', 'pending@owners.example.com'])
    expect((await run('user', 'remove', 'owners-co', 'pending@owners.example.com')).code).toBe(0)
  })
})
