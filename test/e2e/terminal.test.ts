import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {createApiKey} from '../../src/lib/api-keys.js'
import {resolveContext} from '../../src/lib/context.js'
import {createTenant} from '../../src/lib/tenants.js'
import {createTestDatabase, snapshot, type TestDatabase} from '../helpers/db.js'
import {Terminal} from '../helpers/tmux.js'

/** The built CLI's create wizard, driven through a real pseudo-terminal. */
// CI installs tmux; a developer machine without it skips these, CI never does
describe.runIf(Terminal.available() || process.env.CI)('the create and plan wizards in a real terminal', () => {
  let t: TestDatabase
  let term: Terminal | undefined
  let env: Record<string, string>

  beforeAll(async () => {
    t = await createTestDatabase()
    env = {DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', ANTHIAS_BASE_DOMAIN: 'anthias.app', TERM: 'xterm-256color'}
  })
  afterEach(() => term?.close())
  afterAll(async () => t?.drop())

  it('walks through every question and creates the tenant', async () => {
    term = new Terminal(['tenant', 'create'], env)
    await term.answer('Organisation name', 'Stark Industries')
    await term.waitFor('Subdomain (stark-industries)')
    term.send('', 'Enter')
    await term.waitFor('Plan')
    term.send('', 'Down', 'Down', 'Enter') // from basic, the default, to enterprise
    await term.answer('Max assets', '3000')
    for (const label of ['Max users', 'Max devices', 'Storage quota']) await term.answer(label)
    await term.answer('Features')
    await term.answer('Contact', 'nope@')
    await term.waitFor('Not a valid email address')
    term.send('', 'C-u')
    term.send('billing@stark.example.com', 'Enter')
    await term.answer('Keep the default security policy')
    await term.answer('Owner email', 'tony@stark.example.com')
    await term.waitFor('Owner password')
    term.send('', 'Enter') // type a password
    await term.answer('Password (', 'weak')
    await term.waitFor('Needs at least 8 characters')
    term.send('', 'C-u')
    term.send('Jarvis-Mark42', 'Enter')
    await term.answer('The same password again', 'Jarvis-Mark42')
    await term.answer('Custom domain', 'dashboard.stark.example.com')
    const summary = await term.waitFor('Create this tenant?')
    expect(summary).toMatch(/Summary[\s\S]*stark-industries[\s\S]*enterprise \(\$299\/month\)[\s\S]*3000 assets/)
    term.send('', 'Enter')
    const done = await term.waitFor('EXIT=')
    expect(done).toContain('Create tenant, features, owner and audit row in one transaction')
    expect(done).toContain('EXIT=0')
    expect(done).not.toContain('Jarvis-Mark42')
    const [row] = await t.sql`
      select t.plan_id, t.max_assets, t.custom_domain, m.status, u.password_hash like '$2%' as hashed
      from tenants t join memberships m on m.tenant_id = t.id join users u on u.id = m.user_id
      where t.subdomain = 'stark-industries'`
    expect(row).toEqual({planId: 'enterprise', maxAssets: 3000, customDomain: 'dashboard.stark.example.com', status: 'active', hashed: true})
  })

  it('Ctrl-C in the middle leaves no tenant and exits 130', async () => {
    term = new Terminal(['tenant', 'create'], env)
    await term.answer('Organisation name', 'Wayne Enterprises')
    await term.answer('Subdomain')
    await term.waitFor('Plan')
    term.send('', 'C-c')
    const screen = await term.waitFor('EXIT=')
    expect(screen).toContain('Interrupted; nothing was written.')
    expect(screen).toContain('EXIT=130')
    const rows = await t.sql`select 1 from tenants where name = 'Wayne Enterprises'`
    expect(rows).toHaveLength(0)
  })

  it('the plan wizard previews the overrides kept and the API keys a downgrade would revoke; declining changes nothing', async () => {
    const ctx = resolveContext({actor: 'test'})
    await createTenant(t.sql, {name: 'Oscorp', subdomain: 'oscorp', plan: 'professional', features: {custom_branding: true}}, ctx)
    const key = await createApiKey(t.sql, 'oscorp', {name: 'Integration', permissions: ['assets.read']}, ctx)
    const before = await snapshot(t.sql)
    term = new Terminal(['tenant', 'plan', 'oscorp'], env, {columns: 120, rows: 50})
    expect(await term.waitFor('New plan')).toMatch(/professional .*\(current\)/)
    term.send('', 'Up', 'Enter') // from professional, the current plan, to basic
    const preview = await term.waitFor('Apply anyway (--force, audited)?')
    expect(preview).toMatch(/overrides \(kept\)\s*│\s*custom_branding=true\s*│\s*custom_branding=true/)
    expect(preview).toContain(`api_access is off on basic but in use: 1 active API key (${key.prefix}), revoked if applied`)
    term.send('', 'Enter') // the default: no
    const done = await term.waitFor('EXIT=')
    expect(done).toContain('Cancelled; nothing was changed.')
    expect(await snapshot(t.sql)).toEqual(before)
  })
})
