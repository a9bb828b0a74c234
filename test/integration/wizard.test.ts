import {screen} from '@inquirer/testing/vitest'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {resolveContext} from '../../src/lib/context.js'
import {askPlan, createTenantWizard} from '../../src/prompts/create-tenant.js'
import {listPlans} from '../../src/lib/plans.js'
import {createTenant} from '../../src/lib/tenants.js'
import {createTestDatabase, snapshot, type TestDatabase} from '../helpers/db.js'

const ctx = resolveContext({actor: 'test'}, {ANTHIAS_BASE_DOMAIN: 'anthias.app'})

/** Wait until the prompt on screen shows `text`. */
async function until(text: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    if (screen.getScreen().includes(text)) return screen.getScreen()
    const rendered = await Promise.race([screen.next().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 5000))])
    if (!rendered) break
  }
  throw new Error(`never saw "${text}"; screen:\n${screen.getScreen()}`)
}

async function answer(prompt: string, text = ''): Promise<void> {
  await until(prompt)
  if (text) screen.type(text)
  screen.keypress('enter')
}

/** Type a refused answer, wait for the refusal, replace it with an accepted one; returns the screen with the refusal. */
async function refusedThenAccepted(prompt: string, refused: string, refusal: string, accepted: string): Promise<string> {
  await until(prompt)
  screen.type(refused)
  screen.keypress('enter')
  const shown = await until(refusal)
  for (let i = 0; i < refused.length; i++) screen.keypress('backspace')
  screen.type(accepted)
  screen.keypress('enter')
  return shown
}

describe('the create wizard', () => {
  let t: TestDatabase
  const logged: string[] = []
  const log = (line: string) => logged.push(line)

  beforeAll(async () => {
    t = await createTestDatabase()
    await createTenant(t.sql, {name: 'Acme Corp', subdomain: 'acme-corp'}, ctx)
  })
  afterAll(async () => t?.drop())

  /** Plan, limits, features, contact and default security, accepting the defaults. */
  async function middle(contact = 'billing@example.com') {
    await answer('Plan')
    for (const label of ['Max assets', 'Max users', 'Max devices', 'Storage quota']) await answer(label)
    await answer('Features')
    await answer('Contact', contact)
    await answer('Keep the default security policy')
  }

  it("tenant plan's picker marks the current plan and starts on it", async () => {
    const picked = askPlan(await listPlans(t.sql), {message: 'New plan', start: 'professional', current: 'professional'})
    const shown = await until('New plan')
    expect(shown).toMatch(/professional .*\(current\)/)
    expect(shown.match(/\(current\)/g)).toHaveLength(1)
    screen.keypress('enter')
    expect(await picked).toBe('professional')
  })

  it('happy path: every default, an invited owner, then created', async () => {
    const run = createTenantWizard(t.sql, ctx, {}, log)
    await answer('Organisation name', 'Globex Corporation')
    expect(await until('Subdomain')).toContain('globex-corporation')
    screen.keypress('enter')
    await middle()
    await answer('Owner email', 'owner@globex.example.com')
    await until('Owner password')
    screen.keypress('down')
    screen.keypress('down')
    await until('invitation')
    screen.keypress('enter')
    await answer('Custom domain')
    await answer('Create this tenant?')
    const result = await run
    // the documented default plan, basic, is the one the picker starts on
    expect(result?.input).toMatchObject({name: 'Globex Corporation', subdomain: 'globex-corporation', plan: 'basic', ownerEmail: 'owner@globex.example.com', contactEmail: 'billing@example.com'})
    expect(logged.join('\n')).toMatch(/Summary[\s\S]*globex-corporation[\s\S]*basic \(\$29\/month\)/)
    const {tenant, ownerInvitation} = await createTenant(t.sql, result!.input, ctx)
    expect(tenant).toMatchObject({subdomain: 'globex-corporation', limits: {maxAssets: 100}, owners: [{email: 'owner@globex.example.com', status: 'invited'}]})
    expect(ownerInvitation?.token).toMatch(/^inv_/)
  })

  it('a taken subdomain offers free suggestions to pick from', async () => {
    const run = createTenantWizard(t.sql, ctx, {name: 'Acme Corp'}, log)
    await until('Subdomain')
    screen.type('acme-corp')
    screen.keypress('enter')
    const pick = await until('Pick a free subdomain')
    expect(logged.at(-1)).toContain('already used by tenant "Acme Corp"')
    expect(pick).toContain('acmecorp')
    screen.keypress('enter')
    await middle('')
    await answer('Owner email')
    await answer('Custom domain')
    await answer('Create this tenant?')
    expect((await run)?.input.subdomain).toBe('acmecorp')
  })

  it('a weak password shows the unmet rules, then a good one is accepted', async () => {
    const run = createTenantWizard(t.sql, ctx, {name: 'Initech', subdomain: 'initech', plan: 'basic', maxAssets: 100, maxUsers: 10, maxDevices: 5, storageQuotaGb: 10, features: {}, contactEmail: 'a@initech.example.com'}, log)
    await answer('Keep the default security policy')
    await answer('Owner email', 'bill@initech.example.com')
    await answer('Owner password')
    expect(await refusedThenAccepted('Password (', 'weak', 'Needs', 'Str0ngEnough')).toContain('Needs at least 8 characters, an uppercase letter, a digit')
    // typed twice: a mismatch asks for both again
    await answer('The same password again', 'Str0ngEnougj')
    await answer('Password (', 'Str0ngEnough')
    expect(logged.at(-1)).toContain('The two passwords differ')
    await answer('The same password again', 'Str0ngEnough')
    await answer('Custom domain')
    await answer('Create this tenant?')
    expect((await run)?.input).toMatchObject({ownerEmail: 'bill@initech.example.com', ownerPassword: 'Str0ngEnough'})
  })

  it('an invalid CIDR is asked again', async () => {
    const run = createTenantWizard(t.sql, ctx, {name: 'Hooli', subdomain: 'hooli', plan: 'basic', maxAssets: 1, maxUsers: 1, maxDevices: 1, storageQuotaGb: 1, features: {}, contactEmail: 'x@hooli.example.com', ownerEmail: 'gavin@hooli.example.com', ownerPassword: 'Hooli1234', customDomain: 'signage.hooli.example.com'}, log)
    await until('Keep the default security policy')
    screen.type('n')
    screen.keypress('enter')
    await answer('Require two-factor')
    await answer('Session timeout')
    await answer('Minimum password length')
    await answer('Passwords must contain')
    await answer('Previous passwords')
    expect(await refusedThenAccepted('Allowed IP range', '10.0.0.1/8', 'host bits', '10.0.0.0/8')).toContain('use 10.0.0.0/8')
    await answer('empty to finish')
    await answer('Create this tenant?')
    expect((await run)?.input.allowedIpRanges).toEqual(['10.0.0.0/8'])
  })

  it('declining at the summary writes nothing', async () => {
    const before = await snapshot(t.sql)
    const run = createTenantWizard(t.sql, ctx, {name: 'Umbrella', subdomain: 'umbrella'}, log)
    await middle('')
    await answer('Owner email')
    await answer('Custom domain')
    await until('Create this tenant?')
    screen.type('n')
    screen.keypress('enter')
    expect(await run).toBeUndefined()
    expect(await snapshot(t.sql)).toEqual(before)
  })
})
