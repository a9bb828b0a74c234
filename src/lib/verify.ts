/** The guide's post-provisioning checklist as checks, each pass or fail with the reason. */
import type {Sql} from 'postgres'

import type {Context} from './context.js'
import {AppError, ExitCode} from './errors.js'
import {describeMissing, missingFeatures} from './feature-use.js'
import {inspectRls, leakProbe, rlsProblems} from './rls.js'
import {loadTenantMigrations, pendingTenantMigrations} from './tenant-migrations.js'
import {getTenant} from './tenants.js'
import {limitViolations, tenantUsage} from './usage.js'

export interface Check {
  name: string
  ok: boolean
  detail: string
}

export interface VerifyResult {
  tenantId: string
  subdomain: string
  ok: boolean
  checks: Check[]
}

const BCRYPT = /^\$2[aby]\$(1[2-9]|[23]\d)\$[./A-Za-z0-9]{53}$/

export async function verifyTenant(sql: Sql, tenantRef: string, ctx: Context): Promise<VerifyResult> {
  const tenant = await getTenant(sql, tenantRef, ctx.baseDomain)
  const checks: Check[] = []
  const check = (name: string, ok: boolean, pass: string, fail: string) => checks.push({name, ok, detail: ok ? pass : fail})

  check('tenant active', tenant.status === 'active', 'status is active', `status is ${tenant.status}`)

  const [mapping] = await sql<{bySubdomain: string | null; byDomain: string | null}[]>`
    select (select id from tenants where lower(subdomain) = lower(${tenant.subdomain})) as by_subdomain,
      (select id from tenants where lower(custom_domain) = lower(${tenant.customDomain ?? ''})) as by_domain`
  const domainOk = mapping!.bySubdomain === tenant.id && (!tenant.customDomain || mapping!.byDomain === tenant.id)
  check('domains map to the tenant', domainOk, `${tenant.subdomain}${tenant.customDomain ? ` and ${tenant.customDomain}` : ''} resolve to ${tenant.id}`, 'the subdomain or custom domain resolves to another tenant')

  const owners = await sql<{email: string; status: string; passwordHash: string | null; expiresAt: Date | null}[]>`
    select u.email, m.status, u.password_hash, m.invitation_expires_at as expires_at
    from memberships m join users u on u.id = m.user_id where m.tenant_id = ${tenant.id} and m.role = 'owner'`
  const goodOwner = owners.find((o) => (o.status === 'active' && o.passwordHash && BCRYPT.test(o.passwordHash)) || (o.status === 'invited' && o.expiresAt && o.expiresAt > new Date()))
  check('owner can log in', Boolean(goodOwner), goodOwner ? `${goodOwner.email}: ${goodOwner.status === 'active' ? 'bcrypt hash (cost >= 12)' : 'pending invitation'}` : '',
    owners.length === 0 ? 'no owner' : 'no owner with a valid bcrypt hash or an unexpired invitation')

  const state = await inspectRls(sql)
  const tableProblems = rlsProblems({...state, role: {exists: true, bypassRls: false, superuser: false}})
  check('row-level security on every tenant_id table', tableProblems.length === 0, `${state.tables.length} tables enabled, forced and policed`, `${tableProblems.join('; ')}; repair with: anthias tenant migrate --tenant ${tenant.subdomain} --setup-rls`)
  const roleProblems = rlsProblems({...state, tables: state.tables.map((t) => ({...t, enabled: true, forced: true, policyOk: true, otherPolicies: [], missingGrants: []}))})
  check('application role', roleProblems.length === 0, 'anthias_app owns no table and has no BYPASSRLS', roleProblems.join('; '))

  const [other] = await sql<{id: string}[]>`select id from tenants where id <> ${tenant.id} limit 1`
  const probe = await leakProbe(sql, tenant.id, other?.id, state)
  check('leak probe', probe.leaks === 0, `0 of this tenant's rows visible from another tenant's context or with no tenant set`,
    `${probe.leaks} rows visible: ${JSON.stringify({fromOtherTenant: probe.fromOtherTenant, withoutTenant: probe.withoutTenant})}`)

  const usage = await tenantUsage(sql, tenant.id)
  const violations = await limitViolations(sql, tenant.id, tenant.limits)
  check('usage within quota', violations.length === 0, `assets ${usage.assets}/${tenant.limits.maxAssets}, users ${usage.users}/${tenant.limits.maxUsers}, devices ${usage.devices}/${tenant.limits.maxDevices}, storage ${usage.storageGb}/${tenant.limits.storageQuotaGb} GB`, violations.join('; '))

  const files = await loadTenantMigrations()
  const pending = await pendingTenantMigrations(sql, tenant, files).catch((error: unknown) => {
    if (error instanceof AppError) return error
    throw error
  })
  check('tenant migrations up to date', Array.isArray(pending) && pending.length === 0, `${files.length} of ${files.length} applied`,
    Array.isArray(pending) ? `pending: ${pending.map((p) => `${p.version} ${p.name}`).join(', ')}; run: anthias tenant migrate --tenant ${tenant.subdomain}` : pending.message)

  const missing = await missingFeatures(sql, tenant.id, tenant.features)
  check('features consistent with plan', missing.length === 0, `plan ${tenant.plan}: ${tenant.features.join(', ')}`,
    `in use but off: ${describeMissing(missing).join('; ')}`)

  return {tenantId: tenant.id, subdomain: tenant.subdomain, ok: checks.every((c) => c.ok), checks}
}

/** VERIFY_FAILED (exit failed) naming the checks that failed, if any. */
export function verifyOutcome(result: VerifyResult): AppError | undefined {
  const failed = result.checks.filter((c) => !c.ok)
  if (failed.length === 0) return undefined
  return new AppError('VERIFY_FAILED', `${failed.length} check(s) failed: ${failed.map((c) => c.name).join(', ')}.`, {
    exit: ExitCode.failed,
    suggestions: [`See result.checks; \`anthias tenant migrate --tenant ${result.subdomain} --setup-rls\` repairs the row-level security ones.`],
  })
}
