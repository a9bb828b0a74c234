import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {APP_ROLE} from '../../src/lib/db/tenant-context.js'
import {inspectRls, rlsProblems} from '../../src/lib/rls.js'
import {TENANT_TABLES, tenantTablesChildrenFirst} from '../../src/lib/tenant-tables.js'
import {createTestDatabase, type TestDatabase} from '../helpers/db.js'

/** The tables of the migrated schema with a tenant_id column, read here without the module under test. */
const tenantIdTables = async (t: TestDatabase) =>
  (await t.sql<{name: string}[]>`
    select table_name as name from information_schema.columns
    where table_schema = 'public' and column_name = 'tenant_id'
      and table_name in (select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE')
    order by 1`).map((r) => r.name)

describe('the tenant table catalog', () => {
  let t: TestDatabase

  beforeAll(async () => {
    t = await createTestDatabase()
  })

  afterAll(async () => t?.drop())

  it('names exactly the tables with a tenant_id column that the migrations create', async () => {
    // a migration that adds a tenant table must say in TENANT_TABLES what it is
    expect(Object.keys(TENANT_TABLES).sort()).toEqual(await tenantIdTables(t))
  })

  it('gives the application role DML on the data tables and on no other', async () => {
    const grants = await t.sql<{name: string; privileges: string[]}[]>`
      select table_name as name, array_agg(privilege_type::text order by privilege_type) as privileges
      from information_schema.role_table_grants
      where table_schema = 'public' and grantee = ${APP_ROLE} and privilege_type in ('INSERT', 'UPDATE', 'DELETE')
      group by table_name`
    const writable = grants.filter((g) => g.privileges.length === 3).map((g) => g.name)
    const data = Object.entries(TENANT_TABLES).filter(([, kind]) => kind === 'data').map(([name]) => name)
    expect(writable.filter((name) => Object.hasOwn(TENANT_TABLES, name)).sort()).toEqual(data.sort())
    expect(rlsProblems(await inspectRls(t.sql))).toEqual([])
  })

  it('orders every tenant table but the audit trail children first', async () => {
    const order = await tenantTablesChildrenFirst(t.sql)
    expect([...order].sort()).toEqual(Object.keys(TENANT_TABLES).filter((name) => name !== 'audit_log').sort())
    const references = await t.sql<{child: string; parent: string}[]>`
      select c.relname as child, p.relname as parent from pg_constraint fk
      join pg_class c on c.oid = fk.conrelid join pg_class p on p.oid = fk.confrelid
      where fk.contype = 'f' and c.oid <> p.oid`
    for (const {child, parent} of references) {
      if (order.includes(child) && order.includes(parent)) expect(order.indexOf(child), `${child} before ${parent}`).toBeLessThan(order.indexOf(parent))
    }
  })

  it('a tenant table added without being named is found, and taken for tenant data', async () => {
    await t.sql`create table playlists (tenant_id uuid not null references tenants (id), id uuid primary key default gen_random_uuid())`
    expect(await tenantIdTables(t)).toContain('playlists')
    expect(Object.keys(TENANT_TABLES)).not.toContain('playlists')
    expect(await tenantTablesChildrenFirst(t.sql)).toContain('playlists')
    expect(rlsProblems(await inspectRls(t.sql))).toEqual(expect.arrayContaining([
      'playlists: row-level security is not enabled',
      `playlists: ${APP_ROLE} lacks SELECT, INSERT, UPDATE, DELETE`,
    ]))
    await t.sql`drop table playlists`
  })
})
