/**
 * Row-level security from the catalog: what every table with a tenant_id
 * column (tenant-tables.ts) must have, what is wrong with it, how to repair it,
 * and a leak probe. New tables are found from the catalog, so a table added
 * without RLS is seen.
 */
import type {Sql, TransactionSql} from 'postgres'

import {quoteIdent} from './db/sql-scan.js'
import {APP_ROLE, TENANT_SETTING, withTenant} from './db/tenant-context.js'
import {isTenantData, tenantTableRelations} from './tenant-tables.js'

export const POLICY = 'tenant_isolation'
export const POLICY_EXPRESSION = `(tenant_id = (NULLIF(current_setting('${TENANT_SETTING}'::text, true), ''::text))::uuid)`
const POLICY_SQL = `tenant_id = nullif(current_setting('${TENANT_SETTING}', true), '')::uuid`

const DML = ['SELECT', 'INSERT', 'UPDATE', 'DELETE']

export interface TableSecurity {
  table: string
  enabled: boolean
  forced: boolean
  /** tenant_isolation present, for all commands and roles, with the expected expressions */
  policyOk: boolean
  /** other policies: each one widens what a role may see */
  otherPolicies: string[]
  /** DML the application role lacks on a tenant data table */
  missingGrants: string[]
  /** privileges the application role holds on the table */
  appPrivileges: string[]
  ownedByAppRole: boolean
}

export interface RoleSecurity {
  exists: boolean
  bypassRls: boolean
  superuser: boolean
}

const normalise = (s: string | null) => (s ?? '').replace(/\s+/g, ' ').trim()

/** Every table with a tenant_id column, with what its security looks like. */
export async function inspectRls(sql: Sql | TransactionSql): Promise<{tables: TableSecurity[]; role: RoleSecurity}> {
  const rows = await sql<{table: string; enabled: boolean; forced: boolean; owner: string; policies: {name: string; cmd: string; roles: string[]; permissive: string; qual: string | null; check: string | null}[]; privileges: string[]}[]>`
    select c.relname as table, c.relrowsecurity as enabled, c.relforcerowsecurity as forced, pg_get_userbyid(c.relowner) as owner,
      coalesce((select json_agg(json_build_object('name', p.policyname, 'cmd', p.cmd, 'roles', p.roles, 'permissive', p.permissive,
        'qual', p.qual, 'check', p.with_check)) from pg_policies p where p.schemaname = n.nspname and p.tablename = c.relname), '[]') as policies,
      array(select privilege_type::text from information_schema.role_table_grants g
        where g.table_schema = n.nspname and g.table_name = c.relname and g.grantee = ${APP_ROLE}) as privileges
    from (${tenantTableRelations(sql)}) t
    join pg_class c on c.oid = t.oid
    join pg_namespace n on n.oid = c.relnamespace
    order by c.relname`
  const [role] = await sql<{bypassRls: boolean; superuser: boolean}[]>`
    select rolbypassrls as bypass_rls, rolsuper as superuser from pg_roles where rolname = ${APP_ROLE}`
  return {
    role: {exists: Boolean(role), bypassRls: role?.bypassRls ?? false, superuser: role?.superuser ?? false},
    tables: rows.map((r) => {
      const policy = r.policies.find((p) => p.name === POLICY)
      return {
        table: r.table,
        enabled: r.enabled,
        forced: r.forced,
        policyOk: Boolean(
          policy && policy.cmd === 'ALL' && policy.permissive === 'PERMISSIVE' && policy.roles.join() === 'public' &&
            normalise(policy.qual) === POLICY_EXPRESSION && normalise(policy.check) === POLICY_EXPRESSION,
        ),
        otherPolicies: r.policies.filter((p) => p.name !== POLICY).map((p) => p.name),
        missingGrants: isTenantData(r.table) ? DML.filter((d) => !r.privileges.includes(d)) : [],
        appPrivileges: r.privileges,
        ownedByAppRole: r.owner === APP_ROLE,
      }
    }),
  }
}

/** What is wrong, in words, per table and for the role; empty when all is well. */
export function rlsProblems(state: Awaited<ReturnType<typeof inspectRls>>): string[] {
  const problems: string[] = []
  if (!state.role.exists) problems.push(`role ${APP_ROLE} does not exist`)
  if (state.role.bypassRls) problems.push(`role ${APP_ROLE} has BYPASSRLS`)
  if (state.role.superuser) problems.push(`role ${APP_ROLE} is a superuser`)
  for (const t of state.tables) {
    if (!t.enabled) problems.push(`${t.table}: row-level security is not enabled`)
    if (!t.forced) problems.push(`${t.table}: row-level security is not forced`)
    if (!t.policyOk) problems.push(`${t.table}: policy ${POLICY} is missing or not the expected one`)
    for (const p of t.otherPolicies) problems.push(`${t.table}: extra policy ${p} widens access`)
    if (t.missingGrants.length > 0) problems.push(`${t.table}: ${APP_ROLE} lacks ${t.missingGrants.join(', ')}`)
    if (t.ownedByAppRole) problems.push(`${t.table}: owned by ${APP_ROLE}, which therefore bypasses its policy`)
  }
  return problems
}

/** Repair everything rlsProblems reports, in the caller's transaction; returns the statements run. */
export async function repairRls(tx: TransactionSql): Promise<string[]> {
  const state = await inspectRls(tx)
  const statements: string[] = []
  const run = async (statement: string) => {
    statements.push(statement)
    await tx.unsafe(statement)
  }
  if (state.role.exists && (state.role.bypassRls || state.role.superuser)) await run(`alter role ${APP_ROLE} nosuperuser nobypassrls`)
  for (const t of state.tables) {
    const table = quoteIdent(t.table)
    if (t.ownedByAppRole) await run(`alter table ${table} owner to current_user`)
    if (!t.enabled) await run(`alter table ${table} enable row level security`)
    if (!t.forced) await run(`alter table ${table} force row level security`)
    for (const p of t.otherPolicies) await run(`drop policy ${quoteIdent(p)} on ${table}`)
    if (!t.policyOk) {
      await run(`drop policy if exists ${POLICY} on ${table}`)
      await run(`create policy ${POLICY} on ${table} using (${POLICY_SQL}) with check (${POLICY_SQL})`)
    }
    if (t.missingGrants.length > 0) await run(`grant ${t.missingGrants.join(', ')} on ${table} to ${APP_ROLE}`)
  }
  return statements
}

export interface LeakProbe {
  /** rows of this tenant visible from another tenant's context, per table */
  fromOtherTenant: Record<string, number>
  /** rows visible with no tenant set, per table */
  withoutTenant: Record<string, number>
  leaks: number
}

/**
 * As the application role, in another tenant's context and with no tenant set,
 * count this tenant's rows in every table the role can read. All must be zero.
 */
export async function leakProbe(sql: Sql, tenantId: string, otherTenantId?: string, inspected?: Awaited<ReturnType<typeof inspectRls>>): Promise<LeakProbe> {
  const {tables} = inspected ?? (await inspectRls(sql))
  const readable = tables.filter((t) => t.appPrivileges.includes('SELECT')).map((t) => t.table)
  const count = (tx: TransactionSql, table: string) =>
    tx<{n: number}[]>`select count(*)::int as n from ${tx(table)} where tenant_id = ${tenantId}`.then((r) => r[0]!.n)
  const other = otherTenantId ?? '00000000-0000-4000-8000-000000000000'
  const fromOtherTenant: Record<string, number> = {}
  const withoutTenant: Record<string, number> = {}
  await withTenant(sql, other, async (tx) => {
    for (const table of readable) fromOtherTenant[table] = await count(tx, table)
  })
  await sql.begin(async (tx) => {
    await tx.unsafe(`set local role ${APP_ROLE}`)
    for (const table of readable) withoutTenant[table] = await count(tx, table)
  })
  const leaks = [...Object.values(fromOtherTenant), ...Object.values(withoutTenant)].reduce((a, b) => a + b, 0)
  return {fromOtherTenant, withoutTenant, leaks}
}
