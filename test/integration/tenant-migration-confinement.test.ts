import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {resolveContext} from '../../src/lib/context.js'
import {openDatabase} from '../../src/lib/db/connect.js'
import {withTenant} from '../../src/lib/db/tenant-context.js'
import {loadTenantMigrations, migrateAllTenants, migrateTenant} from '../../src/lib/tenant-migrations.js'
import {createTenant} from '../../src/lib/tenants.js'
import {createTestDatabase, onCitus, type TestDatabase} from '../helpers/db.js'

const ctx = resolveContext({actor: 'test'})

/** A tenant migration trying to reach every tenant's rows, and the line of the statement that must be refused. */
const ESCAPES: Record<string, {script: string; line: number}> = {
  commit: {script: "update devices set name = name;\ncommit;\nupdate devices set name = 'pwned';\n", line: 2},
  'reset role': {script: "reset role;\nupdate devices set name = 'pwned';\n", line: 1},
  'set role': {script: "SET LOCAL ROLE postgres;\nupdate devices set name = 'pwned';\n", line: 1},
  'set session authorization': {script: "set session authorization default; update devices set name = 'pwned';\n", line: 1},
  'set_config role': {script: "select set_config('role', 'postgres', true);\nupdate devices set name = 'pwned';\n", line: 1},
  'set_config tenant': {script: "with t as (select id from tenants) update devices set name = 'pwned'\n  where pg_catalog.\"set_config\"('app.current_tenant_id', (select id::text from t limit 1), true) is not null;\n", line: 1},
  'set tenant': {script: "select 1;\n\nset app.current_tenant_id = '00000000-0000-0000-0000-000000000000';\n", line: 3},
  'reset all': {script: 'RESET ALL;\n', line: 1},
  discard: {script: 'discard all;\n', line: 1},
  begin: {script: "begin; update devices set name = 'pwned'; end;\n", line: 1},
  savepoint: {script: 'savepoint a;\nrelease a;\n', line: 1},
  'prepare transaction': {script: "prepare transaction 'x';\n", line: 1},
  'do block': {script: "do $$ begin execute 'reset ' || 'role'; update devices set name = 'pwned'; end $$;\n", line: 1},
  'hidden after a comment': {script: "/* a comment /* nested */ still a comment */ select 1; -- ; commit\n/* x */ commit /* y */;\n", line: 2},
  'after an E string': {script: "select E'it\\'s'; commit;\n", line: 1},
  'query_to_xml': {script: "select query_to_xml('reset role', true, true, '');\n", line: 1},
  'select into': {script: 'select * into temp stash from devices;\n', line: 1},
  'the ledger': {script: "select 1;\ndelete from \"tenant_migrations\";\n", line: 2},
}

describe('a tenant migration cannot leave its tenant', () => {
  let t: TestDatabase
  let dir: string
  const ids: Record<string, string> = {}
  let before: Awaited<ReturnType<typeof state>>

  const state = async () => ({
    devices: [...(await t.sql<{tenantId: string; name: string}[]>`select tenant_id, name from devices order by tenant_id, name`)],
    ledger: [...(await t.sql<{tenantId: string; version: number}[]>`select tenant_id, version from tenant_migrations order by tenant_id, version`)],
  })

  beforeEach(async () => {
    t = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'anthias-confine-'))
    for (const s of ['conf-a', 'conf-b']) {
      ids[s] = (await createTenant(t.sql, {name: s, subdomain: s, ownerEmail: `owner@${s}.example.com`}, ctx)).tenant.id
      await withTenant(t.sql, ids[s]!, (tx) => tx`insert into devices (tenant_id, name) values (${ids[s]!}, ${`${s} screen`})`)
    }
    before = await state()
  })
  afterEach(async () => {
    await t?.drop()
    await rm(dir, {recursive: true, force: true})
  })

  it.each(Object.entries(ESCAPES))('refuses %s before any tenant is touched, naming the file and line', async (name, {script, line}) => {
    const sub = join(dir, name.replaceAll(/\W/g, '_'))
    await mkdir(sub)
    await writeFile(join(sub, '0001_innocent.up.sql'), "update devices set location = 'Hall';\n")
    await writeFile(join(sub, '0002_escape.up.sql'), script)
    const files = await loadTenantMigrations(sub)
    const refusal = {code: 'TENANT_MIGRATION_FORBIDDEN', line, details: expect.objectContaining({file: '0002_escape.up.sql', line})}
    await expect(migrateTenant(t.sql, 'conf-a', {files}, ctx)).rejects.toMatchObject(refusal)
    await expect(migrateAllTenants(t.sql, {files, continueOnError: true}, ctx)).rejects.toMatchObject(refusal)
    await expect(migrateTenant(t.sql, 'conf-a', {files, plan: true}, ctx)).rejects.toMatchObject(refusal)
    // 0001 was not applied either: nothing ran anywhere
    expect(await state()).toEqual(before)
  })

  it('refuses a down script and a present-if check that would escape', async () => {
    const sub = join(dir, 'down')
    await mkdir(sub)
    await writeFile(join(sub, '0001_x.up.sql'), "-- a comment\n-- present-if: true) as present; commit; select (true\nselect 1;\n")
    await writeFile(join(sub, '0001_x.down.sql'), "select 'COMMIT; RESET ROLE';\nreset role;\n")
    const files = await loadTenantMigrations(sub)
    const error = await migrateTenant(t.sql, 'conf-a', {files, fakeInitial: true}, ctx).catch((e: unknown) => e)
    expect(error).toMatchObject({code: 'TENANT_MIGRATION_FORBIDDEN', line: 2, details: expect.objectContaining({file: '0001_x.up.sql'})})
    const problems = (error as {details: {problems: {file: string; line: number}[]}}).details.problems
    expect(problems.map((p) => [p.file, p.line])).toEqual(expect.arrayContaining([['0001_x.up.sql', 2], ['0001_x.down.sql', 2]]))
    expect(await state()).toEqual(before)
  })

  it('takes data in strings, comments, quoted identifiers and dollar quotes for data', async () => {
    const sub = join(dir, 'innocent')
    await mkdir(sub)
    await writeFile(join(sub, '0001_names.up.sql'), [
      '-- commit; reset role; set role postgres',
      "/* begin; set_config('role', 'postgres', false) */",
      "update devices set location = 'commit; reset role' where name <> $$set role postgres; $$;",
      "update devices set location = E'\\'; set role postgres; \\'' || $tag$ $$ ; commit $tag$ where \"name\" is not null;",
      'update devices as "commit" set location = U&\'\\0041\' where "commit".name is not null;',
      "SET CONSTRAINTS ALL DEFERRED;",
      "insert into devices (tenant_id, name) select tenant_id, 'Second ' || name from devices;",
      '',
    ].join('\n'))
    const files = await loadTenantMigrations(sub)
    const result = await migrateAllTenants(t.sql, {files}, ctx)
    expect(result).toMatchObject({migrated: 2, failed: 0})
    const rows = await t.sql`select tenant_id, name, location from devices order by tenant_id, name`
    expect(rows).toHaveLength(4)
    expect(new Set(rows.map((r) => r.location))).toEqual(new Set(['A', null]))
    expect(rows.filter((r) => r.name.startsWith('Second')).map((r) => r.name).sort()).toEqual(['Second conf-a screen', 'Second conf-b screen'])
    await t.sql`delete from tenant_migrations`
    await t.sql`delete from devices where name like 'Second %'`
    await t.sql`update devices set location = null`
  })

  it('a case the check cannot see (a function changing the tenant) is caught after the script and rolled back', async () => {
    await t.sql.unsafe(`create function hop() returns text language sql as $$ select set_config('app.current_tenant_id', '${ids['conf-b']}', true) $$;
      grant execute on function hop() to anthias_app`)
    const sub = join(dir, 'hop')
    await mkdir(sub)
    await writeFile(join(sub, '0001_hop.up.sql'), "select hop();\nupdate devices set name = 'pwned';\n")
    const files = await loadTenantMigrations(sub)
    await expect(migrateTenant(t.sql, 'conf-a', {files}, ctx)).rejects.toMatchObject({code: 'TENANT_MIGRATION_ESCAPED', details: expect.objectContaining({login: expect.stringMatching(/^anthias_migrate_/)})})
    const all = await migrateAllTenants(t.sql, {files, continueOnError: true}, ctx)
    expect(all.outcomes.map((o) => [o.subdomain, o.status, o.error?.code])).toEqual([['conf-a', 'failed', 'TENANT_MIGRATION_ESCAPED'], ['conf-b', 'migrated', undefined]])
    // conf-b's own run hopped to itself; conf-a's rows and the other tenant's are as they were
    const after = await state()
    expect(after.devices.filter((d) => d.tenantId === ids['conf-a'])).toEqual(before.devices.filter((d) => d.tenantId === ids['conf-a']))
    expect(after.ledger.map((r) => r.tenantId)).toEqual([ids['conf-b']])
  })

  it('inside one batch, a migration reaching another tenant\'s rows fails for that tenant only', async () => {
    ids['conf-c'] = (await createTenant(t.sql, {name: 'conf-c', subdomain: 'conf-c'}, ctx)).tenant.id
    await withTenant(t.sql, ids['conf-c']!, (tx) => tx`insert into devices (tenant_id, name) values (${ids['conf-c']!}, 'conf-c screen')`)
    const sub = join(dir, 'reach')
    await mkdir(sub)
    // every tenant renames the devices it sees, then adds one to conf-b
    await writeFile(join(sub, '0001_reach.up.sql'), `update devices set name = name || ' (renamed)';\ninsert into devices (tenant_id, name) values ('${ids['conf-b']}', 'intruder');\n`)
    const files = await loadTenantMigrations(sub)
    const all = await migrateAllTenants(t.sql, {files, batchSize: 10, continueOnError: true}, ctx)
    expect(all.outcomes.map((o) => [o.subdomain, o.status])).toEqual([['conf-a', 'failed'], ['conf-b', 'migrated'], ['conf-c', 'failed']])
    expect(all.outcomes[0]!.error!.message).toMatch(/row-level security/)
    // conf-b's rows renamed once, by its own run only; the others as they were, without ledger rows
    const devices = await t.sql`select tenant_id, name from devices order by name`
    expect(devices.map((d) => d.name)).toEqual(['conf-a screen', 'conf-b screen (renamed)', 'conf-c screen', 'intruder'])
    expect(devices.find((d) => d.name === 'intruder')!.tenantId).toBe(ids['conf-b'])
    expect((await t.sql`select tenant_id from tenant_migrations`).map((r) => r.tenantId)).toEqual([ids['conf-b']])
  })

  it('a script sees its own tenant\'s row of tenants only, and can change none', async () => {
    const sub = join(dir, 'tenants')
    await mkdir(sub)
    await writeFile(join(sub, '0001_seen.up.sql'), "insert into devices (tenant_id, name) select id, 'sees ' || subdomain from tenants;\n")
    expect(await migrateAllTenants(t.sql, {files: await loadTenantMigrations(sub), batchSize: 10}, ctx)).toMatchObject({migrated: 2, failed: 0})
    const seen = await t.sql`select tenant_id, name from devices where name like 'sees %' order by name`
    expect(seen.map((d) => [d.tenantId, d.name])).toEqual([[ids['conf-a'], 'sees conf-a'], [ids['conf-b'], 'sees conf-b']])

    await writeFile(join(sub, '0002_touch.up.sql'), "update tenants set id = id;\n")
    const all = await migrateAllTenants(t.sql, {files: await loadTenantMigrations(sub), batchSize: 10, continueOnError: true}, ctx)
    expect(all.outcomes.map((o) => [o.subdomain, o.status])).toEqual([['conf-a', 'failed'], ['conf-b', 'failed']])
    expect(all.outcomes[0]!.error!.message).toMatch(/row-level security/)
    expect((await t.sql`select tenant_id, version from tenant_migrations order by tenant_id, version`).map((r) => r.version)).toEqual([1, 1])
  })

  // on Citus a transaction keeps one role: a connecting role that would switch is refused (TENANT_MIGRATION_LOGIN_REQUIRED)
  it.skipIf(onCitus())('connected as a role without superuser or BYPASSRLS, a script still runs as the application role', async () => {
    const role = `h_conf_${Math.random().toString(36).slice(2, 10)}`
    // the table owner's rights on what has no row-level security (tenants, users) are not the script's
    await t.sql.unsafe(`create role "${role}" login password 'h-conf-secret' nosuperuser nobypassrls in role anthias_app`)
    try {
      await t.sql.unsafe(`grant select, update on tenants, users to "${role}"`)
      await t.sql.unsafe(`grant select, insert, delete on tenant_migrations to "${role}"`)
      await t.sql.unsafe(`grant insert on audit_log to "${role}"`)
      const url = new URL(t.url)
      url.username = role
      url.password = 'h-conf-secret'
      const db = await openDatabase({databaseUrl: url.toString(), dataDir: '/nonexistent', migrate: false})
      try {
        const sub = join(dir, 'connecting')
        await mkdir(sub)
        await writeFile(join(sub, '0001_who.up.sql'), "insert into devices (tenant_id, name) values (nullif(current_setting('app.current_tenant_id', true), '')::uuid, 'ran as ' || current_user);\n")
        await writeFile(join(sub, '0002_users.up.sql'), "update users set email = email;\n")
        const result = await migrateTenant(db.sql, 'conf-a', {files: await loadTenantMigrations(sub)}, ctx).catch((e: unknown) => e)
        expect(result).toMatchObject({message: expect.stringContaining('permission denied for table users')})
      } finally {
        await db.close()
      }
      // 0001 ran as anthias_app; 0002, refused, rolled back alone
      expect((await t.sql`select tenant_id, name from devices where name like 'ran as %'`).map((d) => [d.tenantId, d.name])).toEqual([[ids['conf-a'], 'ran as anthias_app']])
      expect((await t.sql`select version from tenant_migrations where tenant_id = ${ids['conf-a']!}`).map((r) => r.version)).toEqual([1])
    } finally {
      await t.sql.unsafe(`drop owned by "${role}"; drop role "${role}"`)
    }
  })

  it('on a login of its own a script cannot become another role, even by a way the check does not know', async () => {
    await t.sql.unsafe(`create function sneak() returns void language plpgsql as $$
      begin
        perform set_config('role', 'postgres', true);
        update devices set name = 'pwned';
        perform set_config('role', 'anthias_app', true);
      end $$;
      grant execute on function sneak() to anthias_app`)
    const sub = join(dir, 'sneak')
    await mkdir(sub)
    await writeFile(join(sub, '0001_sneak.up.sql'), 'select sneak();\n')
    const files = await loadTenantMigrations(sub)
    await t.sql`delete from tenant_migrations`
    const before = await state()
    await expect(migrateTenant(t.sql, 'conf-a', {files}, ctx)).rejects.toMatchObject({message: expect.stringContaining('permission denied to set role')})
    const all = await migrateAllTenants(t.sql, {files, continueOnError: true}, ctx)
    expect(all).toMatchObject({failed: 2, migrated: 0, warnings: []})
    expect(await state()).toEqual(before)
  })
})
