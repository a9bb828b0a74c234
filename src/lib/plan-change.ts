/** Plan upgrades and downgrades (the guide's TenantQuotaManager.upgrade_tenant_plan). */
import type {Sql} from 'postgres'

import {writeAudit} from './audit.js'
import {transaction} from './db/transaction.js'
import type {Context} from './context.js'
import {AppError, conflict, ValidationErrors} from './errors.js'
import {checkFeatureName, findPlan, loadCatalog} from './plans.js'
import {lockTenant} from './tenant-ref.js'
import {effectiveFeatures, loadEffectiveFeatures} from './tenants.js'
import {limitViolations, tenantUsage, type Usage} from './usage.js'
import {issuesToErrors, type Limits, limitsSchema} from './validation.js'

export interface PlanChangeInput {
  plan: string
  maxAssets?: string | number
  maxUsers?: string | number
  maxDevices?: string | number
  storageQuotaGb?: string | number
  /** overrides on top of the new plan's features */
  features?: Record<string, boolean>
  /** apply even when limits fall below usage (audited) */
  force?: boolean
  /** compute everything, change nothing; violations are reported, not thrown */
  dryRun?: boolean
}

export interface PlanState {
  plan: string
  limits: Limits
  features: string[]
}

export interface PlanChangeResult {
  tenantId: string
  subdomain: string
  before: PlanState
  after: PlanState
  usage: Usage
  /** limits below usage that --force let through */
  violations: string[]
  forced: boolean
}

export type FieldName = (path: PropertyKey[]) => string

/** Validate limit overrides and feature names against the catalog, every problem at once. */
export function validateLimitOverrides(input: Omit<PlanChangeInput, 'plan' | 'force'>, catalog: Awaited<ReturnType<typeof loadCatalog>>, fieldName: FieldName, errors: AppError[]): Partial<Limits> {
  const parsed = limitsSchema.safeParse(input)
  if (!parsed.success) errors.push(...issuesToErrors(parsed.error, fieldName))
  for (const name of Object.keys(input.features ?? {})) {
    const unknown = checkFeatureName(catalog, name, fieldName(['features', name]))
    if (unknown) errors.push(unknown)
  }
  return Object.fromEntries(Object.entries(parsed.data ?? {}).filter(([, v]) => v !== undefined))
}

/**
 * Move a tenant to another plan: the new plan's limits and features apply
 * unless overridden. Limits below current usage are refused, each listed,
 * unless `force`.
 */
export async function changeTenantPlan(sql: Sql, tenantRef: string, input: PlanChangeInput, ctx: Context, fieldName: FieldName = (p) => p.join('.')): Promise<PlanChangeResult> {
  const catalog = await loadCatalog(sql)
  const errors: AppError[] = []
  let plan
  try {
    plan = findPlan(catalog, input.plan, fieldName(['plan']))
  } catch (error) {
    errors.push(error as AppError)
  }
  const overrides = validateLimitOverrides(input, catalog, fieldName, errors)
  if (errors.length > 0 || !plan) throw new ValidationErrors(errors)
  const newPlan = plan
  return transaction(sql, Boolean(input.dryRun), async (tx) => {
    const tenant = await lockTenant(tx, tenantRef)
    const before: PlanState = {
      plan: tenant.planId,
      limits: {maxAssets: tenant.maxAssets, maxUsers: tenant.maxUsers, maxDevices: tenant.maxDevices, storageQuotaGb: tenant.storageQuotaGb},
      features: await loadEffectiveFeatures(tx, tenant.id),
    }
    const limits: Limits = {...newPlan.limits, ...overrides}
    const usage = await tenantUsage(tx, tenant.id)
    const violations = await limitViolations(tx, tenant.id, limits)
    if (violations.length > 0 && !input.force && !input.dryRun) {
      throw conflict('LIMIT_BELOW_USAGE', `Plan ${newPlan.id} would put ${tenant.subdomain} over its limits: ${violations.join('; ')}.`, {
        field: 'plan',
        details: {violations, usage},
        suggestions: ['Raise the limits with --max-assets / --max-users / --max-devices / --storage-quota, reduce usage first, or pass --force.'],
      })
    }
    const features = input.features ?? {}
    await tx`delete from tenant_features where tenant_id = ${tenant.id}`
    const rows = Object.entries(features).map(([feature, enabled]) => ({tenantId: tenant.id, feature, enabled}))
    if (rows.length > 0) await tx`insert into tenant_features ${tx(rows, 'tenantId', 'feature', 'enabled')}`
    await tx`
      update tenants set plan_id = ${newPlan.id}, max_assets = ${limits.maxAssets}, max_users = ${limits.maxUsers},
        max_devices = ${limits.maxDevices}, storage_quota_gb = ${limits.storageQuotaGb}, updated_at = now()
      where id = ${tenant.id}`
    const after: PlanState = {plan: newPlan.id, limits, features: effectiveFeatures(newPlan.features, features)}
    await writeAudit(tx, {
      actor: ctx.actor,
      action: 'tenant.plan',
      tenantId: tenant.id,
      subject: tenant.subdomain,
      arguments: {from: before.plan, to: after.plan, limits, features, force: Boolean(input.force), violations},
    })
    return {tenantId: tenant.id, subdomain: tenant.subdomain, before, after, usage, violations, forced: violations.length > 0 && Boolean(input.force)}
  })
}
