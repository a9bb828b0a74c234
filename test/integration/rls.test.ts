import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {APP_ROLE, withTenant} from '../../src/lib/db/tenant-context.js'
import {twoTenantsWithData} from '../helpers/tenants.js'
import {createTestDatabase, onCitus, type TestDatabase} from '../helpers/db.js'

const TENANT_TABLES = ['assets', 'devices', 'qr_contents']

describe('row-level security', () => {
  let t: TestDatabase
  let a: string
  let b: string

  beforeAll(async () => {
    t = await createTestDatabase()
    ;[a, b] = await twoTenantsWithData(t.sql)
  })

  afterAll(async () => t?.drop())

  it('every table with a tenant_id column has RLS enabled, forced and a tenant policy', async () => {
    const rows = await t.sql<{table: string; enabled: boolean; forced: boolean; policies: string[]}[]>`
      select c.relname as table, c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
        coalesce((select array_agg(p.polname::text) from pg_policy p where p.polrelid = c.oid), '{}') as policies
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
      join pg_attribute att on att.attrelid = c.oid and att.attname = 'tenant_id' and not att.attisdropped
      where c.relkind in ('r', 'p')
      order by 1`
    expect(rows.map((r) => r.table)).toEqual(expect.arrayContaining([...TENANT_TABLES, 'api_keys', 'memberships', 'audit_log']))
    for (const row of rows) {
      expect(row, row.table).toMatchObject({enabled: true, forced: true, policies: ['tenant_isolation']})
    }
  })

  it('the application role is not the owner and has no BYPASSRLS', async () => {
    const [role] = await t.sql`select rolsuper, rolbypassrls from pg_roles where rolname = ${APP_ROLE}`
    expect(role).toEqual({rolsuper: false, rolbypassrls: false})
    const owned = await t.sql`select tablename from pg_tables where schemaname = 'public' and tableowner = ${APP_ROLE}`
    expect(owned).toHaveLength(0)
  })

  it.each(TENANT_TABLES)('%s: a tenant sees and changes only its own rows', async (table) => {
    await withTenant(t.sql, a, async (tx) => {
      const rows = await tx`select tenant_id from ${tx(table)}`
      expect(rows.length).toBeGreaterThan(0)
      expect(new Set(rows.map((r) => r.tenantId))).toEqual(new Set([a]))
      const updated = await tx`update ${tx(table)} set name = name || '' where tenant_id = ${b}`
      expect(updated.count).toBe(0)
      const deleted = await tx`delete from ${tx(table)} where tenant_id = ${b}`
      expect(deleted.count).toBe(0)
    })
  })

  it.each(TENANT_TABLES)('%s: select, insert, update and delete work inside the own tenant', async (table) => {
    await withTenant(t.sql, a, async (tx) => {
      const values = {assets: {uri: 'x.png', mimetype: 'image/png'}, devices: {}, qr_contents: {content: 'https://example.com'}}[table]!
      const [row] = await tx`insert into ${tx(table)} ${tx({tenantId: a, name: 'Own row', ...values})} returning id`
      expect((await tx`select name from ${tx(table)} where id = ${row!.id}`)[0]!.name).toBe('Own row')
      expect((await tx`update ${tx(table)} set name = 'Renamed' where id = ${row!.id}`).count).toBe(1)
      expect((await tx`delete from ${tx(table)} where id = ${row!.id}`).count).toBe(1)
    })
  })

  it('refuses inserting or moving rows into another tenant', async () => {
    await expect(
      withTenant(t.sql, a, (tx) => tx`insert into devices (tenant_id, name) values (${b}, 'Sneaky')`),
    ).rejects.toThrow(/row-level security/)
    // on Citus the update is refused before row-level security is asked: a row cannot change the
    // distribution column, so it cannot move to another tenant's shard at all
    await expect(
      withTenant(t.sql, a, (tx) => tx`update devices set tenant_id = ${b}`),
    ).rejects.toThrow(onCitus() ? /modifying the partition value of rows/ : /row-level security/)
    expect(await withTenant(t.sql, b, (tx) => tx`select name from devices where name = 'Sneaky' or tenant_id = ${a}`)).toHaveLength(0)
  })

  it('with no tenant set, the application role sees zero rows', async () => {
    const counts = await t.sql.begin(async (tx) => {
      await tx.unsafe(`set local role ${APP_ROLE}`)
      return Promise.all(TENANT_TABLES.map(async (table) => (await tx`select count(*)::int as n from ${tx(table)}`)[0]!.n))
    })
    expect(counts).toEqual([0, 0, 0])
  })

  it('the tenant setting does not survive the transaction on a pooled connection', async () => {
    const reserved = await t.sql.reserve()
    try {
      await reserved`begin`
      await reserved.unsafe(`set local role ${APP_ROLE}`)
      // SET LOCAL, as withTenant sets it (on Citus set_config() does not reach the shards)
      await reserved.unsafe(`set local app.current_tenant_id = '${a}'`)
      expect((await reserved`select count(*)::int as n from assets`)[0]!.n).toBe(1)
      await reserved`commit`
      const [row] = await reserved`select nullif(current_setting('app.current_tenant_id', true), '') as tenant`
      expect(row!.tenant).toBeNull()
      await reserved.unsafe(`set role ${APP_ROLE}`)
      const [count] = await reserved`select count(*)::int as n from assets`
      expect(count!.n).toBe(0)
      await reserved.unsafe('reset role')
    } finally {
      reserved.release()
    }
  })

  it('the audit trail is append-only, for the application role and for everyone', async () => {
    await expect(withTenant(t.sql, a, (tx) => tx`update audit_log set actor = 'x'`)).rejects.toThrow(/permission denied/)
    await expect(withTenant(t.sql, a, (tx) => tx`delete from audit_log`)).rejects.toThrow(/permission denied/)
    await expect(t.sql`update audit_log set actor = 'x'`).rejects.toThrow(/append-only/)
    await expect(t.sql`delete from audit_log`).rejects.toThrow(/append-only/)
    await expect(t.sql`truncate audit_log`).rejects.toThrow(/append-only/)
  })
})
