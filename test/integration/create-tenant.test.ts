import bcrypt from 'bcryptjs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {resolveContext} from '../../src/lib/context.js'
import {AppError, ValidationErrors} from '../../src/lib/errors.js'
import {createTenant, type TenantInput} from '../../src/lib/tenants.js'
import {createTestDatabase, snapshot, type TestDatabase} from '../helpers/db.js'

const ctx = resolveContext({actor: 'test'}, {ANTHIAS_BASE_DOMAIN: 'anthias.app'})

async function codesOf(promise: Promise<unknown>): Promise<{codes: string[]; fields: (string | undefined)[]; exit: number}> {
  try {
    await promise
  } catch (error) {
    if (error instanceof ValidationErrors) return {codes: error.errors.map((e) => e.code), fields: error.errors.map((e) => e.field), exit: error.exit}
    if (error instanceof AppError) return {codes: [error.code], fields: [error.field], exit: error.exit}
    throw error
  }
  throw new Error('expected a refusal')
}

describe('tenant create', () => {
  let t: TestDatabase

  beforeAll(async () => {
    t = await createTestDatabase()
    // what the refusals below collide with
    await createTenant(t.sql, {name: 'Taken Co', subdomain: 'taken-co', customDomain: 'taken.example.com'}, ctx)
  })
  afterAll(async () => t?.drop())

  it("applies the plan's limits and features, and flags override limits", async () => {
    const {tenant} = await createTenant(t.sql, {name: 'Enterprise Client', subdomain: 'enterprise-client', plan: 'enterprise', maxAssets: '3000', customDomain: 'client.enterprise.com'}, ctx)
    expect(tenant).toMatchObject({
      plan: 'enterprise',
      accessUrl: 'https://enterprise-client.anthias.app',
      limits: {maxAssets: 3000, maxUsers: 200, maxDevices: 100, storageQuotaGb: 500},
      customDomain: 'client.enterprise.com',
      status: 'active',
    })
    expect(tenant.features).toEqual(['advanced_analytics', 'api_access', 'custom_branding', 'dedicated_support', 'full_dashboard', 'sso_integration'])
  })

  it('stores the owner password as a bcrypt hash of cost 12 and never in the audit trail', async () => {
    const password = 'SecurePass123'
    const {tenant} = await createTenant(t.sql, {name: 'Acme Corp', subdomain: 'acme-corp', plan: 'professional', ownerEmail: 'Admin@Acme.com', ownerPassword: password, contactEmail: 'billing@acme.com'}, ctx)
    expect(tenant.owners).toEqual([{email: 'admin@acme.com', role: 'owner', status: 'active'}])
    const [user] = await t.sql`select password_hash from users where email = 'admin@acme.com'`
    expect(user!.passwordHash).toMatch(/^\$2[aby]\$12\$/)
    expect(await bcrypt.compare(password, user!.passwordHash)).toBe(true)
    const [audit] = await t.sql`select arguments::text as args from audit_log where subject = 'acme-corp' and outcome = 'success'`
    expect(audit!.args).not.toContain(password)
    expect(audit!.args).toContain('billing@acme.com')
  })

  it('features and settings: overrides on top of the plan', async () => {
    const {tenant} = await createTenant(t.sql, {
      name: 'Client Org', subdomain: 'client-org', plan: 'professional',
      features: {analytics_dashboard: true, api_access: false}, settings: {timezone: 'America/New_York', notifications: {email: true}},
    }, ctx)
    expect(tenant.features).toEqual(['advanced_dashboard', 'analytics', 'analytics_dashboard', 'priority_support'])
    expect(tenant.settings).toEqual({timezone: 'America/New_York', notifications: {email: true}})
  })

  it('invites an owner without a password, with a one-time token stored only hashed', async () => {
    const result = await createTenant(t.sql, {name: 'Invited', subdomain: 'invited-org', ownerEmail: 'boss@invited.example.com'}, ctx)
    expect(result.ownerInvitation?.token).toMatch(/^inv_/)
    const dump = await t.sql`select m::text as row from memberships m`
    expect(dump.map((r) => r.row).join()).not.toContain(result.ownerInvitation!.token)
  })

  const base: TenantInput = {name: 'Bad Input Co', subdomain: 'bad-input-co'}
  const cases: [string, TenantInput, string, string][] = [
    ['short subdomain', {...base, subdomain: 'ab'}, 'SUBDOMAIN_INVALID', 'subdomain'],
    ['underscore subdomain', {...base, subdomain: 'bad_input'}, 'SUBDOMAIN_INVALID', 'subdomain'],
    ['reserved subdomain', {...base, subdomain: 'admin'}, 'SUBDOMAIN_RESERVED', 'subdomain'],
    ['punycode subdomain', {...base, subdomain: 'xn--80ak6aa92e'}, 'SUBDOMAIN_INVALID', 'subdomain'],
    ['taken subdomain (other case)', {...base, subdomain: 'TAKEN-CO'}, 'SUBDOMAIN_TAKEN', 'subdomain'],
    ['custom domain under the base domain', {...base, customDomain: 'x.anthias.app'}, 'CUSTOM_DOMAIN_INVALID', 'customDomain'],
    ['custom domain not public', {...base, customDomain: 'printer.local'}, 'CUSTOM_DOMAIN_INVALID', 'customDomain'],
    ['custom domain taken', {...base, customDomain: 'TAKEN.example.com'}, 'CUSTOM_DOMAIN_TAKEN', 'customDomain'],
    ['bad contact email', {...base, contactEmail: 'billing@'}, 'EMAIL_INVALID', 'contactEmail'],
    ['bad owner email', {...base, ownerEmail: 'not an email'}, 'EMAIL_INVALID', 'ownerEmail'],
    ['CIDR with host bits', {...base, allowedIpRanges: ['192.168.1.5/24']}, 'CIDR_HOST_BITS', 'allowedIpRanges.0'],
    ['CIDR prefix out of range', {...base, allowedIpRanges: ['10.0.0.0/33']}, 'CIDR_INVALID', 'allowedIpRanges.0'],
    ['IPv6 prefix out of range', {...base, allowedIpRanges: ['::1/129']}, 'CIDR_INVALID', 'allowedIpRanges.0'],
    ['zero limit', {...base, maxAssets: '0'}, 'LIMIT_INVALID', 'maxAssets'],
    ['negative limit', {...base, maxUsers: -5}, 'LIMIT_INVALID', 'maxUsers'],
    ['huge limit', {...base, storageQuotaGb: '99999999999'}, 'LIMIT_INVALID', 'storageQuotaGb'],
    ['fractional limit', {...base, maxDevices: '2.5'}, 'LIMIT_INVALID', 'maxDevices'],
    ['unknown plan', {...base, plan: 'profesional'}, 'PLAN_UNKNOWN', 'plan'],
    ['unknown feature', {...base, features: {api_acess: true}}, 'FEATURE_UNKNOWN', 'features.api_acess'],
    ['weak password', {...base, ownerEmail: 'o@bad.example.com', ownerPassword: 'short'}, 'PASSWORD_WEAK', 'ownerPassword'],
    ['session timeout out of bounds', {...base, sessionTimeoutMinutes: '1'}, 'SESSION_TIMEOUT_INVALID', 'sessionTimeoutMinutes'],
    ['password policy out of bounds', {...base, passwordPolicy: {minLength: 4}}, 'POLICY_INVALID', 'passwordPolicy.minLength'],
    ['empty name', {...base, name: '   '}, 'NAME_INVALID', 'name'],
  ]

  it.each(cases)('refuses %s with its code and field, and changes nothing', async (_label, input, code, field) => {
    const before = await snapshot(t.sql)
    const {codes, fields} = await codesOf(createTenant(t.sql, input, ctx))
    expect(codes).toEqual([code])
    expect(fields).toEqual([field])
    const after = await snapshot(t.sql)
    // a refused create that reached the database leaves only its failure audit row
    expect({...after, audit_log: 0}).toEqual({...before, audit_log: 0})
    expect(after.audit_log! - before.audit_log!).toBe(code.endsWith('_TAKEN') ? 1 : 0)
  })

  it('suggests the closest plan and feature', async () => {
    await expect(createTenant(t.sql, {...base, plan: 'profesional'}, ctx)).rejects.toMatchObject({suggestions: ['professional']})
    const error = await createTenant(t.sql, {...base, features: {api_acess: true}}, ctx).catch((e) => e)
    expect(error.errors[0].suggestions[0]).toBe('api_access')
  })

  it('reports every problem at once', async () => {
    const {codes} = await codesOf(createTenant(t.sql, {name: '', subdomain: 'ab', plan: 'gold', contactEmail: 'x', allowedIpRanges: ['1.2.3.4/8']}, ctx))
    expect(codes.sort()).toEqual(['CIDR_HOST_BITS', 'EMAIL_INVALID', 'NAME_INVALID', 'PLAN_UNKNOWN', 'SUBDOMAIN_INVALID'])
  })

  it('stores SQL-looking names verbatim', async () => {
    const name = "Robert'); DROP TABLE tenants;--"
    const {tenant} = await createTenant(t.sql, {name, subdomain: 'bobby-tables'}, ctx)
    expect(tenant.name).toBe(name)
  })
})
