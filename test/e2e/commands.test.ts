import {statSync} from 'node:fs'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createApiKey} from '../../src/lib/api-keys.js'
import {backupInput} from '../../src/inputs.js'
import {readManifest} from '../../src/lib/backup.js'
import {resolveContext} from '../../src/lib/context.js'
import {withTenant} from '../../src/lib/db/tenant-context.js'
import {inviteUser} from '../../src/lib/members.js'
import {createTenant} from '../../src/lib/tenants.js'
import {cli} from '../helpers/cli.js'
import {createTestDatabase, snapshot, type TestDatabase} from '../helpers/db.js'

const ctx = resolveContext({actor: 'test'})

/**
 * tenant backup, tenant provision, tenant recover, user remove and apikey
 * revoke through the built CLI: what a user checks afterwards (the database,
 * the output, the --json document) and one refusal each. Every test makes the
 * tenants it acts on.
 */
describe('backup, provision, recover, user remove and apikey revoke with the built CLI', () => {
  let t: TestDatabase
  let dir: string
  let env: NodeJS.ProcessEnv
  const unchangedBy = async (run: () => Promise<unknown>) => {
    const before = await snapshot(t.sql)
    await run()
    expect(await snapshot(t.sql)).toEqual(before)
  }

  /** A tenant with an owner, `assets` assets and one device. */
  async function tenantWithData(name: string, subdomain: string, assets: number): Promise<string> {
    const {tenant} = await createTenant(t.sql, {name, subdomain, plan: 'professional', ownerEmail: `owner@${subdomain}.example.com`}, ctx)
    // as the owner: on Citus the application role cannot INSERT ... SELECT (Citus writes it with COPY, which row-level security refuses)
    await t.sql.begin(async (tx) => {
      await tx`insert into assets (tenant_id, name, uri, mimetype) select ${tenant.id}, 'Asset ' || g, 'a.png', 'image/png' from generate_series(1, ${assets}::int) g`
      await tx`insert into devices (tenant_id, name) values (${tenant.id}, 'Lobby')`
    })
    return tenant.id
  }

  beforeAll(async () => {
    t = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'anthias-commands-'))
    env = {DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', ANTHIAS_BASE_DOMAIN: 'anthias.app', CI: '1'}
  })
  afterAll(async () => {
    await t?.drop()
    await rm(dir, {recursive: true, force: true})
  })

  it('tenant backup writes a private file of the tenant, changes nothing, and says what it holds; an unknown tenant exits 3', async () => {
    await tenantWithData('Backup Co', 'backup-co', 7)
    const file = join(dir, 'backup-co.sql')
    let human!: Awaited<ReturnType<typeof cli>>
    await unchangedBy(async () => {
      human = await cli(['tenant', 'backup', 'backup-co', '-o', file], {env})
    })
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toMatch(new RegExp(`Backed up backup-co to ${file} \\(\\d[\\d.]* (B|kB|MB), \\d+ ms\\)`))
    expect(human.stdout).toMatch(/\bdevices 1, assets 7\b/)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const manifest = await readManifest(await backupInput(file))
    expect(manifest.tenant).toMatchObject({subdomain: 'backup-co', name: 'Backup Co'})
    expect(manifest.tables).toEqual(expect.arrayContaining([expect.objectContaining({name: 'assets', rows: 7}), expect.objectContaining({name: 'devices', rows: 1})]))

    const gz = join(dir, 'backup-co.sql.gz')
    const json = await cli(['tenant', 'backup', 'backup-co', '-o', gz, '--gzip', '--json'], {env})
    expect(json).toMatchObject({code: 0, json: {status: 0, warnings: [], result: {path: gz, bytes: statSync(gz).size, durationMs: expect.any(Number), manifest: {tenant: {subdomain: 'backup-co'}}}}})
    expect((await readFile(gz)).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]))

    const missing = join(dir, 'nobody.sql')
    const unknown = await cli(['tenant', 'backup', 'no-such-co', '-o', missing, '--json'], {env})
    expect(unknown).toMatchObject({code: 3, json: {status: 3, error: {code: 'TENANT_NOT_FOUND'}}})
    expect(() => statSync(missing)).toThrow()
  })

  it('tenant provision creates the configured tenants with their members, features and settings; --json counts them, without tokens', async () => {
    const config = join(dir, 'provision.json')
    await writeFile(config, JSON.stringify([
      {
        tenant: {name: 'Provisioned Co', subdomain: 'provisioned-co', plan_type: 'professional', contact_email: 'billing@provisioned.example.com', max_assets: 750},
        users: [{email: 'owner@provisioned.example.com', role: 'owner'}, {email: 'editor@provisioned.example.com', role: 'editor'}],
        features: {custom_branding: true},
        settings: {timezone: 'Europe/Paris'},
      },
    ]))
    const result = await cli(['tenant', 'provision', config, '--json'], {env})
    expect(result.code, result.stderr).toBe(0)
    expect(result.json).toMatchObject({
      status: 0,
      result: {total: 1, created: 1, failed: 0, unchanged: 0, rows: [{line: 1, outcome: 'created', subdomain: 'provisioned-co', invitations: 2}]},
    })
    expect(result.stdout).not.toMatch(/inv_/)
    const [tenant] = await t.sql`select id, plan_id, max_assets, contact_email, settings from tenants where subdomain = 'provisioned-co'`
    expect(tenant).toMatchObject({planId: 'professional', maxAssets: 750, contactEmail: 'billing@provisioned.example.com', settings: {timezone: 'Europe/Paris'}})
    const members = await t.sql`select u.email, m.role, m.status from memberships m join users u on u.id = m.user_id where m.tenant_id = ${tenant!.id} order by u.email`
    expect(members).toEqual([{email: 'editor@provisioned.example.com', role: 'editor', status: 'invited'}, {email: 'owner@provisioned.example.com', role: 'owner', status: 'invited'}])
    expect(await t.sql`select feature, enabled from tenant_features where tenant_id = ${tenant!.id}`).toEqual([{feature: 'custom_branding', enabled: true}])

    // the same file again: nothing new, and the human summary says so
    const again = await cli(['tenant', 'provision', config], {env})
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/unchanged/i)
    expect((await t.sql`select count(*)::int as n from tenants where subdomain = 'provisioned-co'`)[0]!.n).toBe(1)

    // a file that is not a configuration: exit 2, no tenant
    const broken = join(dir, 'broken.json')
    await writeFile(broken, '{"tenant": ')
    const refused = await cli(['tenant', 'provision', broken, '--json'], {env})
    expect(refused.code).toBe(2)
    expect(refused.json!.status).toBe(2)
    expect(refused.json!.error!.code).toMatch(/^[A-Z_]+$/)
  })

  it('tenant recover puts one table back as the backup has it and leaves the others; a backup of another tenant is refused', async () => {
    const id = await tenantWithData('Recover Co', 'recover-co', 5)
    await tenantWithData('Bystander Co', 'bystander-co', 2)
    const file = join(dir, 'recover-co.sql')
    expect((await cli(['tenant', 'backup', 'recover-co', '-o', file], {env})).code).toBe(0)
    const other = join(dir, 'bystander-co.sql')
    expect((await cli(['tenant', 'backup', 'bystander-co', '-o', other], {env})).code).toBe(0)
    // the accident: assets renamed and one deleted; a device added since the backup
    await withTenant(t.sql, id, async (tx) => {
      await tx`update assets set name = 'oops'`
      await tx`delete from assets where id = (select id from assets limit 1)`
      await tx`insert into devices (tenant_id, name) values (${id}, 'Added later')`
    })
    const human = await cli(['tenant', 'recover', '--tenant', 'recover-co', '--table', 'assets', '--from', file], {env})
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toContain('Recovered assets of recover-co (replace): 5 rows')
    const names = await t.sql`select name from assets where tenant_id = ${id} order by name`
    expect(names.map((r) => r.name)).toEqual(['Asset 1', 'Asset 2', 'Asset 3', 'Asset 4', 'Asset 5'])
    // only that table: the device added since the backup stays
    expect((await t.sql`select name from devices where tenant_id = ${id} order by name`).map((r) => r.name)).toEqual(['Added later', 'Lobby'])
    const [audit] = await t.sql`select count(*)::int as n from audit_log where tenant_id = ${id} and action = 'tenant.recover'`
    expect(audit!.n).toBe(1)

    await withTenant(t.sql, id, (tx) => tx`delete from devices where name = 'Lobby'`)
    const merged = await cli(['recover_tenant_data', '--tenant', 'recover-co', '--table', 'devices', '--from', file, '--mode', 'merge', '--json'], {env})
    // the table's rows afterwards: the one put back and the one added since the backup
    expect(merged.json).toMatchObject({status: 0, result: {mode: 'merge', rows: {devices: 2}}})
    expect((await t.sql`select name from devices where tenant_id = ${id} order by name`).map((r) => r.name)).toEqual(['Added later', 'Lobby'])

    await unchangedBy(async () => {
      const wrong = await cli(['tenant', 'recover', '--tenant', 'recover-co', '--table', 'assets', '--from', other, '--json'], {env})
      expect(wrong).toMatchObject({code: 2, json: {status: 2, error: {code: 'BACKUP_OTHER_TENANT', field: '--from'}}})
    })
  })

  it('user remove takes the member out of the tenant only; a non-member exits 3', async () => {
    await createTenant(t.sql, {name: 'Members Co', subdomain: 'members-co', ownerEmail: 'owner@members.example.com'}, ctx)
    await createTenant(t.sql, {name: 'Elsewhere Co', subdomain: 'elsewhere-co', ownerEmail: 'owner@elsewhere.example.com'}, ctx)
    await inviteUser(t.sql, 'members-co', {email: 'editor@members.example.com', role: 'editor'}, ctx)
    await inviteUser(t.sql, 'members-co', {email: 'viewer@members.example.com', role: 'viewer'}, ctx)
    await inviteUser(t.sql, 'elsewhere-co', {email: 'editor@members.example.com', role: 'admin'}, ctx)
    const memberships = async (email: string) =>
      (await t.sql`select t.subdomain from memberships m join users u on u.id = m.user_id join tenants t on t.id = m.tenant_id where u.email = ${email} order by t.subdomain`).map((r) => r.subdomain)

    const human = await cli(['user', 'remove', 'members-co', 'Editor@Members.example.com'], {env})
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toContain('Removed editor@members.example.com (editor) from members-co')
    expect(await memberships('editor@members.example.com')).toEqual(['elsewhere-co'])
    const [audit] = await t.sql`select count(*)::int as n from audit_log where action = 'user.remove' and subject = 'editor@members.example.com'`
    expect(audit!.n).toBe(1)

    const json = await cli(['user', 'remove', 'members-co', 'viewer@members.example.com', '--json'], {env})
    expect(json.json).toEqual({status: 0, result: {email: 'viewer@members.example.com', role: 'viewer'}, warnings: []})
    expect(await memberships('viewer@members.example.com')).toEqual([])

    await unchangedBy(async () => {
      const gone = await cli(['user', 'remove', 'members-co', 'viewer@members.example.com', '--json'], {env})
      expect(gone).toMatchObject({code: 3, json: {status: 3, error: {code: 'MEMBER_NOT_FOUND', suggestions: ['anthias user list members-co']}}})
    })
  })

  it('apikey revoke stops a key by prefix or id, once; again it warns and changes nothing; an unknown key exits 3', async () => {
    await createTenant(t.sql, {name: 'Revoke Co', subdomain: 'revoke-co', plan: 'professional'}, ctx)
    const kept = await createApiKey(t.sql, 'revoke-co', {name: 'Kept', permissions: ['assets.read']}, ctx)
    const key = await createApiKey(t.sql, 'revoke-co', {name: 'Leaked', permissions: ['assets.*']}, ctx)
    const revokedAt = async (id: string) => (await t.sql<{revokedAt: Date | null}[]>`select revoked_at from api_keys where id = ${id}`)[0]!.revokedAt

    const human = await cli(['apikey', 'revoke', 'revoke-co', key.prefix], {env})
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toContain(`Revoked API key "Leaked" (${key.prefix})`)
    const at = await revokedAt(key.id)
    expect(at).toBeInstanceOf(Date)
    expect(await revokedAt(kept.id)).toBeNull()
    const [audit] = await t.sql`select count(*)::int as n from audit_log where action = 'apikey.revoke' and subject = ${key.prefix}`
    expect(audit!.n).toBe(1)

    let again!: Awaited<ReturnType<typeof cli>>
    await unchangedBy(async () => {
      again = await cli(['apikey', 'revoke', 'revoke-co', key.id, '--json'], {env})
    })
    expect(again.json).toMatchObject({status: 0, result: {id: key.id, prefix: key.prefix, name: 'Leaked', alreadyRevoked: true, revokedAt: at!.toISOString()}})
    expect(again.json!.warnings).toEqual([expect.stringContaining(`API key ${key.prefix} was already revoked`)])
    expect(again.stdout).not.toContain(key.key)
    expect(await revokedAt(key.id)).toEqual(at)

    await unchangedBy(async () => {
      const unknown = await cli(['apikey', 'revoke', 'revoke-co', 'ak_000000000000', '--json'], {env})
      expect(unknown).toMatchObject({code: 3, json: {status: 3, error: {code: 'APIKEY_NOT_FOUND', suggestions: ['anthias apikey list revoke-co']}}})
    })
  })
})
