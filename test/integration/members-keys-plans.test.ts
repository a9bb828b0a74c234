import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createApiKey, listApiKeys, revokeApiKey} from '../../src/lib/api-keys.js'
import {exitCodeOf} from '../../src/exit-codes.js'
import {resolveContext} from '../../src/lib/context.js'
import {inviteUser, listMembers, removeMember, resendInvitation} from '../../src/lib/members.js'
import {changeTenantPlan} from '../../src/lib/plan-change.js'
import {hashToken} from '../../src/lib/secrets.js'
import {updateSecurity} from '../../src/lib/security.js'
import {updateTenant} from '../../src/lib/tenant-update.js'
import {createTenant} from '../../src/lib/tenants.js'
import {createTestDatabase, snapshot, type TestDatabase} from '../helpers/db.js'

const ctx = resolveContext({actor: 'test'}, {ANTHIAS_BASE_DOMAIN: 'anthias.app'})

/** Every row of every table as text, like a data dump. */
async function dump(t: TestDatabase): Promise<string> {
  const tables = await t.sql<{name: string}[]>`select tablename as name from pg_tables where schemaname = 'public'`
  const parts = await Promise.all(tables.map(async ({name}) => (await t.sql`select t::text as row from ${t.sql(name)} t`).map((r) => r.row).join('\n')))
  return parts.join('\n')
}

async function refusal(promise: Promise<unknown>): Promise<{code: string; codes: string[]; exit: number; message: string}> {
  const error = await promise.then(() => {
    throw new Error('expected a refusal')
  }, (e) => e)
  return {code: error.code, codes: error.errors?.map((e: {code: string}) => e.code) ?? [error.code], exit: exitCodeOf(error), message: error.message}
}

describe('members, API keys, plan changes and security', () => {
  let t: TestDatabase

  beforeAll(async () => {
    t = await createTestDatabase()
    await createTenant(t.sql, {name: 'Client Organization', subdomain: 'client-org', plan: 'professional', contactEmail: 'admin@client.com', ownerEmail: 'owner@client.com'}, ctx)
    await createTenant(t.sql, {name: 'Basic Co', subdomain: 'basic-co', plan: 'basic', maxUsers: 2, ownerEmail: 'owner@basic.example.com'}, ctx)
  })
  afterAll(async () => t?.drop())

  it("invites the guide's admin and lists members with status", async () => {
    // a tenant of its own: the other tests invite into client-org
    await createTenant(t.sql, {name: 'Invite Org', subdomain: 'invite-org', plan: 'professional', ownerEmail: 'owner@client.com'}, ctx)
    const invitation = await inviteUser(t.sql, 'invite-org', {email: 'admin@client.com', role: 'admin'}, ctx)
    expect(invitation).toMatchObject({email: 'admin@client.com', role: 'admin', status: 'invited', token: expect.stringMatching(/^inv_/)})
    const members = (await listMembers(t.sql, 'invite-org')).items
    expect(members.map((m) => [m.email, m.role, m.status])).toEqual([
      ['owner@client.com', 'owner', 'invited'],
      ['admin@client.com', 'admin', 'invited'],
    ])
    expect(await refusal(inviteUser(t.sql, 'invite-org', {email: 'ADMIN@client.com', role: 'viewer'}, ctx))).toMatchObject({code: 'MEMBER_EXISTS', exit: 4})
  })

  it('sends an invitation again: a new token and expiry, the old token stops working; not to a member who accepted', async () => {
    const first = await inviteUser(t.sql, 'client-org', {email: 'late@client.com', role: 'editor'}, ctx)
    const hashOf = async () => (await t.sql<{hash: string; expires: Date}[]>`
      select m.invitation_token_hash as hash, m.invitation_expires_at as expires from memberships m join users u on u.id = m.user_id
      where u.email = 'late@client.com'`)[0]!
    expect((await hashOf()).hash).toBe(hashToken(first.token!))
    const again = await resendInvitation(t.sql, 'client-org', 'LATE@client.com', {expiresDays: 30}, ctx)
    expect(again).toMatchObject({email: 'late@client.com', role: 'editor', status: 'invited', token: expect.stringMatching(/^inv_/)})
    const stored = await hashOf()
    expect(stored.hash).toBe(hashToken(again.token!))
    expect(stored.hash).not.toBe(hashToken(first.token!))
    expect(stored.expires.getTime() - Date.now()).toBeGreaterThan(29 * 86_400_000)
    const [audit] = await t.sql`select subject from audit_log where action = 'user.reinvite'`
    expect(audit).toEqual({subject: 'late@client.com'})

    await t.sql`update memberships set status = 'active', accepted_at = now() where user_id = (select id from users where email = 'late@client.com')`
    expect(await refusal(resendInvitation(t.sql, 'client-org', 'late@client.com', {}, ctx))).toMatchObject({code: 'MEMBER_ACTIVE', exit: 4})
    expect(await refusal(resendInvitation(t.sql, 'client-org', 'nobody@client.com', {}, ctx))).toMatchObject({code: 'MEMBER_NOT_FOUND', exit: 3})
    expect(await refusal(resendInvitation(t.sql, 'client-org', 'late@client.com', {expiresDays: 365}, ctx))).toMatchObject({code: 'EXPIRY_INVALID', exit: 2})
    await t.sql`delete from memberships where user_id = (select id from users where email = 'late@client.com')`
  })

  it('two invites at once for the last seat: exactly one succeeds, the other gets QUOTA_EXCEEDED with the numbers', async () => {
    const results = await Promise.allSettled([
      inviteUser(t.sql, 'basic-co', {email: 'one@basic.example.com', role: 'editor'}, ctx),
      inviteUser(t.sql, 'basic-co', {email: 'two@basic.example.com', role: 'editor'}, ctx),
    ])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect(rejected.reason).toMatchObject({code: 'QUOTA_EXCEEDED', kind: 'conflict', details: {used: 2, limit: 2}})
    expect(rejected.reason.message).toContain('2 in use of 2')
    expect((await listMembers(t.sql, 'basic-co')).items).toHaveLength(2)
  })

  it('refuses to remove the last owner, removes others', async () => {
    expect(await refusal(removeMember(t.sql, 'client-org', 'owner@client.com', ctx))).toMatchObject({code: 'LAST_OWNER', exit: 4})
    await inviteUser(t.sql, 'client-org', {email: 'temp@client.com', role: 'viewer'}, ctx)
    expect(await removeMember(t.sql, 'client-org', 'temp@client.com', ctx)).toEqual({email: 'temp@client.com', role: 'viewer'})
  })

  it('two removals at once of the last two active owners (a third only invited): one succeeds, the other gets LAST_OWNER', async () => {
    const {tenant} = await createTenant(t.sql, {name: 'Two Owners', subdomain: 'two-owners', ownerEmail: 'a@two.example.com'}, ctx)
    for (const email of ['b@two.example.com', 'c@two.example.com']) await inviteUser(t.sql, 'two-owners', {email, role: 'owner'}, ctx)
    await t.sql`update memberships set status = 'active', accepted_at = now()
      where tenant_id = ${tenant.id} and user_id in (select id from users where email in ('a@two.example.com', 'b@two.example.com'))`
    const results = await Promise.allSettled(['a@two.example.com', 'b@two.example.com'].map((email) => removeMember(t.sql, 'two-owners', email, ctx)))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect(rejected.reason).toMatchObject({code: 'LAST_OWNER', kind: 'conflict', message: expect.stringContaining('have not accepted their invitations yet')})
    const owners = (await listMembers(t.sql, 'two-owners')).items
    expect(owners.map((m) => m.status).sort()).toEqual(['active', 'invited'])
  })

  it("creates the guide's primary API key; the key and tokens never appear in the database or audit log", async () => {
    const key = await createApiKey(t.sql, 'client-org', {name: 'Primary API Key', permissions: ['assets.*', 'devices.*'], expiresDays: 365}, ctx)
    expect(key.key).toMatch(/^ak_[0-9a-f]{12}\.[A-Za-z0-9_-]{43}$/)
    expect(key.key.startsWith(key.prefix)).toBe(true)
    const invitation = await inviteUser(t.sql, 'client-org', {email: 'secret-check@client.com', role: 'viewer'}, ctx)
    const text = await dump(t)
    expect(text).not.toContain(key.key)
    expect(text).not.toContain(key.key.split('.')[1])
    expect(text).not.toContain(invitation.token)
    const listed = (await listApiKeys(t.sql, 'client-org')).items
    expect(JSON.stringify(listed)).not.toContain(key.key)
    expect(listed.find((k) => k.prefix === key.prefix)).toMatchObject({prefix: key.prefix, name: 'Primary API Key', permissions: ['assets.*', 'devices.*'], revokedAt: null})
    const revoked = await revokeApiKey(t.sql, 'client-org', key.prefix, ctx)
    expect(revoked.revokedAt).toBeInstanceOf(Date)
    expect((await revokeApiKey(t.sql, 'client-org', key.id, ctx)).alreadyRevoked).toBe(true)
  })

  it('two API key creates with the same name at once: one wins, the other gets APIKEY_NAME_TAKEN', async () => {
    const results = await Promise.allSettled([1, 2].map(() => createApiKey(t.sql, 'client-org', {name: 'Race', permissions: ['*']}, ctx)))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({code: 'APIKEY_NAME_TAKEN', kind: 'conflict'})
  })

  it('needs api_access: basic gets FEATURE_DISABLED naming the plans that include it', async () => {
    const r = await refusal(createApiKey(t.sql, 'basic-co', {name: 'k', permissions: ['assets.read']}, ctx))
    expect(r).toMatchObject({code: 'FEATURE_DISABLED', exit: 4})
    expect(r.message).toContain('professional and enterprise')
  })

  it('upgrades to enterprise with the guide limits, showing before and after', async () => {
    const result = await changeTenantPlan(t.sql, 'client-org', {plan: 'enterprise', maxAssets: 2000, maxUsers: 200, maxDevices: 100, storageQuotaGb: 500}, ctx)
    expect(result.before).toMatchObject({plan: 'professional', limits: {maxAssets: 500}})
    expect(result.after).toMatchObject({plan: 'enterprise', limits: {maxAssets: 2000, maxUsers: 200, maxDevices: 100, storageQuotaGb: 500}})
    expect(result.after.features).toContain('sso_integration')
  })

  it('refuses a downgrade below real usage, listing each violation; --force applies it and is audited', async () => {
    const {tenant} = await createTenant(t.sql, {name: 'Busy Co', subdomain: 'busy-co', plan: 'professional'}, ctx)
    // as the owner: on Citus the application role cannot INSERT ... SELECT (Citus writes it with COPY, which row-level security refuses)
    await t.sql.begin(async (tx) => {
      await tx`insert into assets (tenant_id, name, uri, mimetype, size_bytes)
        select ${tenant.id}, 'a' || g, 'a.png', 'image/png', 200 * 1024 * 1024 from generate_series(1, 101) g`
      await tx`insert into devices (tenant_id, name) select ${tenant.id}, 'd' || g from generate_series(1, 6) g`
    })
    const before = await snapshot(t.sql)
    const r = await refusal(changeTenantPlan(t.sql, 'busy-co', {plan: 'basic'}, ctx))
    expect(r).toMatchObject({code: 'LIMIT_BELOW_USAGE', exit: 4})
    expect(r.message).toContain('assets: 101 in use > 100')
    expect(r.message).toContain('devices: 6 in use > 5')
    expect(r.message).toContain('storage: 19.73 GB in use > 10 GB')
    expect(await snapshot(t.sql)).toEqual(before)
    const forced = await changeTenantPlan(t.sql, 'busy-co', {plan: 'basic', force: true}, ctx)
    expect(forced).toMatchObject({forced: true, after: {plan: 'basic'}})
    const [audit] = await t.sql`select arguments from audit_log where action = 'tenant.plan' and subject = 'busy-co'`
    expect(audit!.arguments).toMatchObject({force: true, violations: expect.arrayContaining(['assets: 101 in use > 100'])})
  })

  it("sets the guide's security policy in one call and reports overlapping ranges", async () => {
    const result = await updateSecurity(t.sql, 'client-org', {
      enable2fa: true, sessionTimeoutMinutes: 240,
      passwordPolicy: {minLength: 12, requireUppercase: true, requireLowercase: true, requireNumbers: true, requireSymbols: true, passwordHistory: 5},
      allowIps: ['192.168.1.0/24', '10.0.0.0/8', '10.20.0.0/16', '10.0.0.0/8'],
    }, ctx)
    expect(result.after).toEqual({
      enable2fa: true, sessionTimeoutMinutes: 240,
      passwordPolicy: {minLength: 12, requireUppercase: true, requireLowercase: true, requireNumbers: true, requireSymbols: true, passwordHistory: 5},
      allowedIpRanges: ['192.168.1.0/24', '10.0.0.0/8', '10.20.0.0/16'],
    })
    expect(result.warnings).toEqual(['10.20.0.0/16 overlaps 10.0.0.0/8, which already contains it', '10.0.0.0/8 is already allowed (duplicate ignored)'])
    const removed = await updateSecurity(t.sql, 'client-org', {removeIps: ['10.20.0.0/16']}, ctx)
    expect(removed.after.allowedIpRanges).toEqual(['192.168.1.0/24', '10.0.0.0/8'])
    expect((await updateSecurity(t.sql, 'client-org', {clearIps: true}, ctx)).after.allowedIpRanges).toEqual([])
  })

  it('deep-merges settings, unsets keys, and sets a unique custom domain', async () => {
    await updateTenant(t.sql, 'client-org', {settings: {theme: 'corporate', notifications: {email: true, in_app: true}}}, ctx)
    const result = await updateTenant(t.sql, 'client-org', {settings: {notifications: {email: false}}, unset: ['theme'], customDomain: 'Dashboard.Client.com'}, ctx)
    expect(result.after.settings).toEqual({notifications: {email: false, in_app: true}})
    expect(result.dns).toEqual({type: 'CNAME', name: 'dashboard.client.com', value: 'app.anthias.app'})
    expect(await refusal(updateTenant(t.sql, 'basic-co', {customDomain: 'dashboard.client.com'}, ctx))).toMatchObject({code: 'CUSTOM_DOMAIN_TAKEN', exit: 4})
    expect((await updateTenant(t.sql, 'client-org', {customDomain: null}, ctx)).after.customDomain).toBeNull()
  })

  const bad: [string, () => Promise<unknown>, string][] = [
    ['bad email', () => inviteUser(t.sql, 'client-org', {email: 'nope@', role: 'admin'}, ctx), 'EMAIL_INVALID'],
    ['bad role', () => inviteUser(t.sql, 'client-org', {email: 'x@client.com', role: 'superuser' as never}, ctx), 'ROLE_INVALID'],
    ['bad member permission', () => inviteUser(t.sql, 'client-org', {email: 'x@client.com', role: 'admin', permissions: {'assets.fly': true}}, ctx), 'PERMISSION_UNKNOWN'],
    ['bad invitation expiry', () => inviteUser(t.sql, 'client-org', {email: 'x@client.com', role: 'admin', expiresDays: 0}, ctx), 'EXPIRY_INVALID'],
    ['unknown resource', () => createApiKey(t.sql, 'client-org', {name: 'k', permissions: ['asset.*']}, ctx), 'PERMISSION_UNKNOWN'],
    ['unknown action', () => createApiKey(t.sql, 'client-org', {name: 'k', permissions: ['devices.fly']}, ctx), 'PERMISSION_UNKNOWN'],
    ['malformed permission', () => createApiKey(t.sql, 'client-org', {name: 'k', permissions: ['assets']}, ctx), 'PERMISSION_INVALID'],
    ['CIDR host bits', () => updateSecurity(t.sql, 'client-org', {allowIps: ['192.168.1.5/24']}, ctx), 'CIDR_HOST_BITS'],
    ['CIDR /33', () => updateSecurity(t.sql, 'client-org', {allowIps: ['10.0.0.0/33']}, ctx), 'CIDR_INVALID'],
    ['CIDR ::1/129', () => updateSecurity(t.sql, 'client-org', {allowIps: ['::1/129']}, ctx), 'CIDR_INVALID'],
    ['removing an absent range', () => updateSecurity(t.sql, 'client-org', {removeIps: ['172.16.0.0/12']}, ctx), 'IP_RANGE_NOT_FOUND'],
    ['timeout too short', () => updateSecurity(t.sql, 'client-org', {sessionTimeoutMinutes: 1}, ctx), 'SESSION_TIMEOUT_INVALID'],
    ['timeout too long', () => updateSecurity(t.sql, 'client-org', {sessionTimeoutMinutes: 50_000}, ctx), 'SESSION_TIMEOUT_INVALID'],
    ['min length out of bounds', () => updateSecurity(t.sql, 'client-org', {passwordPolicy: {minLength: 4}}, ctx), 'POLICY_INVALID'],
    ['history out of bounds', () => updateSecurity(t.sql, 'client-org', {passwordPolicy: {passwordHistory: 99}}, ctx), 'POLICY_INVALID'],
    ['unknown plan', () => changeTenantPlan(t.sql, 'client-org', {plan: 'platinum'}, ctx), 'PLAN_UNKNOWN'],
    ['bad limit', () => updateTenant(t.sql, 'client-org', {maxUsers: 'many'}, ctx), 'LIMIT_INVALID'],
    ['unknown tenant', () => inviteUser(t.sql, 'no-such-tenant', {email: 'x@client.com', role: 'admin'}, ctx), 'TENANT_NOT_FOUND'],
  ]

  it.each(bad)('refuses %s with its own code and changes nothing', async (_label, run, code) => {
    const before = await snapshot(t.sql)
    expect((await refusal(run())).codes).toEqual([code])
    expect(await snapshot(t.sql)).toEqual(before)
  })
})
