import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'
import {createTestDatabase, type TestDatabase} from '../helpers/db.js'

/** The guide's steps 2-4 and its API-key, plan-upgrade and security examples, as commands; each on a database of its own with the guide's tenant. */
describe("the guide's examples as commands", () => {
  let t: TestDatabase
  let env: NodeJS.ProcessEnv
  const run = (...args: string[]) => cli([...args, '--json'], {env})

  beforeEach(async () => {
    t = await createTestDatabase()
    env = {DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', ANTHIAS_BASE_DOMAIN: 'yourdomain.com', CI: '1'}
    expect((await run('tenant', 'create', 'Client Organization', 'client-org', '--plan', 'professional', '--contact-email', 'admin@client.com')).code).toBe(0)
  })
  afterEach(async () => t?.drop())

  it('step 2: custom limits and features', async () => {
    const r = await run('tenant', 'update', 'client-org', '--max-assets', '1000', '--max-users', '50', '--max-devices', '25', '--storage-quota', '100',
      '--feature', 'analytics_dashboard=true', '--feature', 'api_access=true', '--feature', 'custom_branding=true')
    expect(r.code).toBe(0)
    expect(r.json!.result).toMatchObject({after: {limits: {maxAssets: 1000, maxUsers: 50, maxDevices: 25, storageQuotaGb: 100}, features: expect.arrayContaining(['analytics_dashboard', 'api_access', 'custom_branding'])}})
  })

  it('step 3: the owner and an administrator', async () => {
    const owner = await run('user', 'invite', 'client-org', 'owner@client.com', '--role', 'owner', '--permission', 'admin=true')
    expect(owner.json).toMatchObject({status: 0, result: {role: 'owner', permissions: {admin: true}, status: 'invited'}})
    expect((await run('invite_user', 'client-org', 'admin@client.com', '--role', 'admin')).code).toBe(0)
    const list = await run('user', 'list', 'client-org')
    expect((list.json!.result as {items: {email: string}[]}).items.map((m) => m.email)).toEqual(['owner@client.com', 'admin@client.com'])
    const dup = await run('user', 'invite', 'client-org', 'admin@client.com', '--role', 'admin')
    expect(dup.code).toBe(4)
  })

  it('custom domain: prints the DNS record', async () => {
    const r = await cli(['tenant', 'update', 'client-org', '--custom-domain', 'dashboard.client.com'], {env})
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('dashboard.client.com.  CNAME  app.yourdomain.com.')
  })

  it('the primary API key, shown once and never listed', async () => {
    const r = await run('generate_api_key', 'client-org', '--name', 'Primary API Key', '--permission', 'assets.*', '--permission', 'devices.*', '--expires-days', '365')
    expect(r.code).toBe(0)
    const key = (r.json!.result as {key: string}).key
    expect(key).toMatch(/^ak_/)
    const list = await run('apikey', 'list', 'client-org')
    expect(list.stdout).not.toContain(key)
    const bad = await run('apikey', 'create', 'client-org', '--name', 'x', '--permission', 'screens.*')
    expect(bad.code).toBe(2)
    expect(bad.json!.error).toMatchObject({code: 'PERMISSION_UNKNOWN', suggestions: expect.arrayContaining(['assets'])})
  })

  it('upgrade to enterprise with the guide limits', async () => {
    const r = await run('upgrade_tenant_plan', 'client-org', 'enterprise', '--max-assets', '2000', '--max-users', '200', '--max-devices', '100', '--storage-quota', '500')
    expect(r.json).toMatchObject({status: 0, result: {before: {plan: 'professional'}, after: {plan: 'enterprise', limits: {maxAssets: 2000, maxUsers: 200, maxDevices: 100, storageQuotaGb: 500}}}})
  })

  it('the security policy in one command', async () => {
    const r = await run('tenant', 'security', 'client-org', '--enable-2fa', '--session-timeout', '240', '--password-min-length', '12',
      '--require-uppercase', '--require-lowercase', '--require-numbers', '--require-symbols', '--password-history', '5',
      '--allow-ip', '192.168.1.0/24', '--allow-ip', '10.0.0.0/8')
    expect(r.json).toMatchObject({status: 0, result: {after: {enable2fa: true, sessionTimeoutMinutes: 240, allowedIpRanges: ['192.168.1.0/24', '10.0.0.0/8'],
      passwordPolicy: {minLength: 12, requireUppercase: true, requireLowercase: true, requireNumbers: true, requireSymbols: true, passwordHistory: 5}}}})
    const bad = await run('tenant', 'security', 'client-org', '--allow-ip', '192.168.1.5/24')
    expect(bad.code).toBe(2)
    expect(bad.json!.error).toMatchObject({code: 'CIDR_HOST_BITS', field: '--allow-ip', suggestions: ['192.168.1.0/24']})
  })

  it('step 4: tenant migrations with RLS set-up, initial data, then the checklist passes', async () => {
    expect((await run('user', 'invite', 'client-org', 'owner@client.com', '--role', 'owner')).code).toBe(0)
    const before = await run('tenant', 'verify', 'client-org')
    expect(before.code).toBe(1)
    expect(before.json).toMatchObject({status: 1, result: {ok: false}})
    const migrate = await run('migrate_tenant', '--tenant', 'client-org', '--setup-rls')
    expect(migrate.json).toMatchObject({status: 0, result: {applied: [{version: 1}, {version: 2}], rls: {repaired: [], leaks: 0}}})
    expect((await run('migrate_tenant', '--tenant', 'client-org', '--plan')).json).toMatchObject({result: {pending: []}})
    const data = await run('setup_tenant_data', '--tenant', 'client-org')
    expect(data.json).toMatchObject({status: 0, result: {created: expect.arrayContaining(['asset "Welcome to Anthias"'])}})
    expect((await run('setup_tenant_data', '--tenant', 'client-org')).json).toMatchObject({result: {created: []}})
    const after = await run('tenant', 'verify', 'client-org')
    expect(after.code).toBe(0)
    expect((after.json!.result as {checks: {name: string; ok: boolean}[]}).checks.every((c) => c.ok)).toBe(true)
    const all = await run('tenant', 'migrate', '--all')
    expect(all.json).toMatchObject({status: 0, result: {pending: 0}})
  })
})
