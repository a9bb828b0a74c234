/** Plan upgrades and downgrades (the guide's TenantQuotaManager.upgrade_tenant_plan). */
import type {Sql} from 'postgres'
import {z} from 'zod'

import {writeAudit} from './audit.js'
import {transaction} from './db/transaction.js'
import type {Context} from './context.js'
import {AppError, conflict, ValidationErrors} from './errors.js'
import {describeMissing, type FeatureInUse, featureInUseError, missingFeatures, releaseFeatures} from './feature-use.js'
import {checkFeatureName, findPlan, loadCatalog} from './plans.js'
import {lockTenant} from './tenant-ref.js'
import {effectiveFeatures, loadFeatureOverrides} from './tenants.js'
import {limitViolations, tenantUsage, type Usage} from './usage.js'
import {type Alike, type Assert, issuesToErrors, type Limits, type LimitsInput, limitsInputShape, limitsSchema} from './validation.js'

export interface PlanChangeInput extends LimitsInput {
  plan: string
  /** overrides to set on top of the tenant's own, which are kept */
  features?: Record<string, boolean>
  /** apply even when limits fall below usage or a feature in use goes away (audited) */
  force?: boolean
  /** compute everything, change nothing; violations are reported, not thrown */
  dryRun?: boolean
}

/** The change's input as data (the HTTP API's body): its shape only; the rules are changeTenantPlan's. */
export const planChangeInputSchema = z.strictObject({
  plan: z.string().describe('the new plan'),
  ...limitsInputShape,
  features: z.record(z.string(), z.boolean()).optional().describe("overrides to set on top of the tenant's own, which are kept"),
  force: z.boolean().optional().describe('apply even when limits fall below usage or a feature in use goes away (audited)'),
  dryRun: z.boolean().optional().describe('compute everything, change nothing'),
})
/** The schema is the input's type: a field added to one and not the other is a type error here. */
export type PlanChangeInputMatches = Assert<Alike<z.input<typeof planChangeInputSchema>, PlanChangeInput>>

export interface PlanState {
  plan: string
  limits: Limits
  /** effective: the plan's features with the overrides applied */
  features: string[]
  /** the tenant's own feature overrides, kept across plan changes */
  overrides: Record<string, boolean>
}

export interface PlanChangeResult {
  tenantId: string
  subdomain: string
  before: PlanState
  after: PlanState
  usage: Usage
  /** limits below usage that --force let through */
  violations: string[]
  /** features the tenant's data uses that the change turns off (refused unless --force) */
  featuresInUse: FeatureInUse[]
  /** the API keys --force revoked because api_access went away */
  revokedApiKeys: {prefix: string; name: string}[]
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
 * Move a tenant to another plan: the new plan's limits apply unless
 * overridden, and its features with the tenant's own overrides (kept, with
 * `features` set on top). Limits below current usage, and features that the
 * tenant's data uses but would lose, are refused, each listed, unless `force`:
 * then the tenant may stay above its limits and the data that needed a lost
 * feature is released (its API keys revoked), all audited.
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
    const kept = await loadFeatureOverrides(tx, tenant.id)
    const before: PlanState = {
      plan: tenant.planId,
      limits: {maxAssets: tenant.maxAssets, maxUsers: tenant.maxUsers, maxDevices: tenant.maxDevices, storageQuotaGb: tenant.storageQuotaGb},
      features: effectiveFeatures(catalog.plans.find((p) => p.id === tenant.planId)?.features ?? [], kept),
      overrides: kept,
    }
    const limits: Limits = {...newPlan.limits, ...overrides}
    const features = {...kept, ...input.features}
    const after: PlanState = {plan: newPlan.id, limits, features: effectiveFeatures(newPlan.features, features), overrides: features}
    const usage = await tenantUsage(tx, tenant.id)
    const violations = await limitViolations(tx, tenant.id, limits)
    const featuresInUse = await missingFeatures(tx, tenant.id, after.features)
    const refusals = [
      ...(violations.length > 0 ? [conflict('LIMIT_BELOW_USAGE', `Plan ${newPlan.id} would put ${tenant.subdomain} over its limits: ${violations.join('; ')}.`, {
        field: 'plan',
        details: {violations, usage},
        suggestions: [
          {command: 'tenant.plan', args: {tenant: tenant.subdomain, plan: newPlan.id, maxAssets: null, maxUsers: null, maxDevices: null, storageQuota: null}, text: 'Raise the limits with the change ({command}, those over usage),'},
          {command: 'tenant.plan', args: {tenant: tenant.subdomain, plan: newPlan.id, force: true}, text: 'reduce usage first, or change the plan anyway: {command}'},
        ],
      })] : []),
      ...featuresInUse.map((f) => featureInUseError(f, tenant.subdomain, `Plan ${newPlan.id}`, {command: 'tenant.plan', args: {tenant: tenant.subdomain, plan: newPlan.id}})),
    ]
    if (refusals.length > 0 && !input.force && !input.dryRun) throw refusals.length === 1 ? refusals[0]! : new ValidationErrors(refusals)
    const revokedApiKeys = input.force ? await releaseFeatures(tx, tenant, featuresInUse, ctx, `tenant.plan ${newPlan.id}, forced`) : []
    const set = Object.entries(input.features ?? {}).map(([feature, enabled]) => ({tenantId: tenant.id, feature, enabled}))
    if (set.length > 0) {
      await tx`insert into tenant_features ${tx(set, 'tenantId', 'feature', 'enabled')}
        on conflict (tenant_id, feature) do update set enabled = excluded.enabled`
    }
    await tx`
      update tenants set plan_id = ${newPlan.id}, max_assets = ${limits.maxAssets}, max_users = ${limits.maxUsers},
        max_devices = ${limits.maxDevices}, storage_quota_gb = ${limits.storageQuotaGb}, updated_at = now()
      where id = ${tenant.id}`
    const forced = Boolean(input.force) && refusals.length > 0
    await writeAudit(tx, {
      actor: ctx.actor,
      action: 'tenant.plan',
      tenantId: tenant.id,
      subject: tenant.subdomain,
      arguments: {from: before.plan, to: after.plan, limits, features: input.features ?? {}, overrides: after.overrides, force: Boolean(input.force), violations,
        featuresInUse: describeMissing(featuresInUse), revokedApiKeys},
    })
    return {tenantId: tenant.id, subdomain: tenant.subdomain, before, after, usage, violations, featuresInUse, revokedApiKeys, forced}
  })
}
