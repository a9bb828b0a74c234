/** `tenant update`: limits, features, contact, settings and custom domain of an existing tenant. */
import {isDeepStrictEqual} from 'node:util'

import type {Sql} from 'postgres'
import {z} from 'zod'

import {writeAudit} from './audit.js'
import type {Context} from './context.js'
import {AppError, conflict, ValidationErrors} from './errors.js'
import {featureInUseError, missingFeatures, releaseFeatures} from './feature-use.js'
import {type FieldName, validateLimitOverrides} from './plan-change.js'
import {loadCatalog} from './plans.js'
import {claimDomains} from './tenant-domains.js'
import {lockTenant} from './tenant-ref.js'
import {domainConflict, effectiveFeatures, getTenant, type TenantDetails, tenantVersion} from './tenants.js'
import {limitViolations} from './usage.js'
import {
  checkSettings,
  customDomainSchema,
  emailSchema,
  isSettingKey,
  issuesToErrors,
  type LimitsInput,
  mergeSettings,
  type Settings,
  settingPath,
  SETTINGS_LIMITS,
  settingsSchema,
  tenantNameSchema,
  type Alike,
  type Assert,
  limitsInputShape,
} from './validation.js'

export interface TenantUpdateInput extends LimitsInput {
  name?: string
  contactEmail?: string | null
  features?: Record<string, boolean>
  /** deep-merged into the settings, like the guide's settings.update */
  settings?: Settings
  /** dotted keys to remove from the settings */
  unset?: string[]
  /** a hostname to set, or null to clear */
  customDomain?: string | null
  /** apply limits below current usage, or turn off a feature in use and release what needs it (audited) */
  force?: boolean
}

export interface TenantUpdateResult {
  /** false when every value given is the tenant's already: nothing was written, not even an audit row */
  changed: boolean
  before: TenantDetails
  after: TenantDetails
  /** when a custom domain was set: the DNS record to create */
  dns?: {type: 'CNAME'; name: string; value: string}
  violations: string[]
  /** the API keys --force revoked because api_access was turned off */
  revokedApiKeys: {prefix: string; name: string}[]
}

function unsetPath(settings: Settings, path: string[]): boolean {
  const [head, ...rest] = path
  if (head === undefined || !Object.hasOwn(settings, head)) return false
  if (rest.length === 0) {
    delete settings[head]
    return true
  }
  const child = settings[head]
  return typeof child === 'object' && child !== null && !Array.isArray(child) && unsetPath(child as Settings, rest)
}

/** The dotted keys of the settings' values, to say which there are: never the values, which may be secrets. */
function settingKeys(settings: Settings): string[] {
  const keys: string[] = []
  const stack: [string, unknown][] = Object.entries(settings).reverse()
  while (stack.length > 0) {
    const [key, value] = stack.pop()!
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0
    if (!isObject || key.split('.').length >= SETTINGS_LIMITS.depth) keys.push(key)
    else stack.push(...Object.entries(value).reverse().map(([k, v]): [string, unknown] => [`${key}.${k}`, v]))
  }
  return keys
}

/**
 * The update's input as data (the HTTP API's PATCH body): its shape only;
 * every rule is updateTenant's, which reports all problems at once.
 */
export const tenantUpdateInputSchema = z.strictObject({
  name: z.string().optional(),
  contactEmail: z.string().nullable().optional(),
  customDomain: z.string().nullable().optional().describe('a hostname to set, or null to clear'),
  ...limitsInputShape,
  features: z.record(z.string(), z.boolean()).optional(),
  settings: z.record(z.string(), z.unknown()).optional().describe("deep-merged into the settings, like the guide's settings.update"),
  unset: z.array(z.string()).optional().describe('dotted setting keys to remove'),
  force: z.boolean().optional().describe('apply limits below usage, or turn off a feature in use and release what needs it (audited)'),
})
/** The schema is the input's type: a field added to one and not the other is a type error here. */
export type TenantUpdateInputMatches = Assert<Alike<z.input<typeof tenantUpdateInputSchema>, TenantUpdateInput>>

/**
 * Change a tenant. `ifVersion`: the version (tenantVersion, the API's ETag)
 * the caller last saw; another one now is IF_MATCH_FAILED, checked with the
 * tenant's row locked, so two callers cannot overwrite each other's change.
 */
export async function updateTenant(sql: Sql, tenantRef: string, input: TenantUpdateInput, ctx: Context, fieldName: FieldName = (p) => p.join('.'), options: {ifVersion?: string} = {}): Promise<TenantUpdateResult> {
  const catalog = await loadCatalog(sql)
  const errors: AppError[] = []
  const limits = validateLimitOverrides(input, catalog, fieldName, errors)
  const scalars = z
    .object({
      name: tenantNameSchema.optional(),
      contactEmail: emailSchema.nullable().optional(),
      customDomain: customDomainSchema(ctx.baseDomain).nullable().optional(),
      settings: settingsSchema.optional(),
    })
    .safeParse({name: input.name, contactEmail: input.contactEmail, customDomain: input.customDomain, settings: input.settings})
  if (!scalars.success) errors.push(...issuesToErrors(scalars.error, fieldName))
  const unset: {key: string; path: string[]}[] = []
  for (const key of input.unset ?? []) {
    const field = fieldName(['unset'])
    if (!isSettingKey(key)) errors.push(new AppError('SETTING_INVALID', `${JSON.stringify(key)} is not a setting key such as timezone or notifications.email.`, {field}))
    else {
      try {
        unset.push({key, path: settingPath(key, field)})
      } catch (error) {
        errors.push(error as AppError)
      }
    }
  }
  if (errors.length > 0 || !scalars.data) throw new ValidationErrors(errors)
  const {name, contactEmail, customDomain} = scalars.data
  try {
    return (await sql.begin(async (tx) => {
      const tenant = await lockTenant(tx, tenantRef)
      const before = await getTenant(tx, tenant.id, ctx.baseDomain)
      if (options.ifVersion !== undefined && options.ifVersion !== tenantVersion(before)) {
        throw new AppError('IF_MATCH_FAILED', `Tenant ${before.subdomain} changed since version ${options.ifVersion}: it is at ${tenantVersion(before)}. Nothing was changed.`, {
          field: 'If-Match',
          details: {current: tenantVersion(before)},
          suggestions: ['Read the tenant again (GET it: its ETag), check the change still applies, and send it with the new If-Match.'],
        })
      }
      const newLimits = {...before.limits, ...limits}
      const settings = mergeSettings(before.settings, input.settings ?? {})
      const missing = unset.filter(({path}) => !unsetPath(settings, path)).map(({key}) => key)
      if (missing.length > 0) {
        const keys = settingKeys(before.settings)
        throw new AppError('SETTING_NOT_FOUND', `No setting ${missing.join(', ')} to unset. ${keys.length > 0 ? `Settings: ${keys.join(', ')}.` : 'The tenant has no settings.'}`, {field: fieldName(['unset'])})
      }
      checkSettings(settings, fieldName(['settings']))
      const changed =
        (name !== undefined && name !== before.name) ||
        (contactEmail !== undefined && contactEmail !== before.contactEmail) ||
        (customDomain !== undefined && customDomain !== before.customDomain) ||
        !isDeepStrictEqual(newLimits, before.limits) ||
        !isDeepStrictEqual(settings, before.settings) ||
        Object.entries(input.features ?? {}).some(([feature, enabled]) => before.featureOverrides[feature] !== enabled)
      if (!changed) return {changed, before, after: before, violations: [], revokedApiKeys: []}
      const violations = await limitViolations(tx, tenant.id, newLimits)
      const planFeatures = catalog.plans.find((p) => p.id === before.plan)?.features ?? []
      const featuresInUse = await missingFeatures(tx, tenant.id, effectiveFeatures(planFeatures, {...before.featureOverrides, ...input.features}))
      const refusals = [
        ...(violations.length > 0 ? [conflict('LIMIT_BELOW_USAGE', `New limits are below what ${tenant.subdomain} uses: ${violations.join('; ')}.`, {
          details: {violations},
          suggestions: [{command: 'tenant.update', args: {tenant: tenant.subdomain, force: true}, text: 'Reduce usage first, or make the change anyway: {command}, with the same limits.'}],
        })] : []),
        ...featuresInUse.map((f) => featureInUseError(f, tenant.subdomain, 'The update', {command: 'tenant.update', args: {tenant: tenant.subdomain}})),
      ]
      if (refusals.length > 0 && !input.force) throw refusals.length === 1 ? refusals[0]! : new ValidationErrors(refusals)
      const revokedApiKeys = await releaseFeatures(tx, tenant, featuresInUse, ctx, 'tenant.update, forced')
      await tx`
        update tenants set
          name = ${name ?? before.name},
          contact_email = ${contactEmail === undefined ? before.contactEmail : contactEmail},
          custom_domain = ${customDomain === undefined ? before.customDomain : customDomain},
          max_assets = ${newLimits.maxAssets}, max_users = ${newLimits.maxUsers},
          max_devices = ${newLimits.maxDevices}, storage_quota_gb = ${newLimits.storageQuotaGb},
          settings = ${tx.json(settings as never)}, updated_at = now()
        where id = ${tenant.id}`
      if (customDomain !== undefined && customDomain !== before.customDomain) {
        await claimDomains(tx, [{tenantId: tenant.id, subdomain: tenant.subdomain, customDomain}])
      }
      const features = Object.entries(input.features ?? {}).map(([feature, enabled]) => ({tenantId: tenant.id, feature, enabled}))
      if (features.length > 0) {
        await tx`
          insert into tenant_features ${tx(features, 'tenantId', 'feature', 'enabled')}
          on conflict (tenant_id, feature) do update set enabled = excluded.enabled`
      }
      const after = await getTenant(tx, tenant.id, ctx.baseDomain)
      await writeAudit(tx, {actor: ctx.actor, action: 'tenant.update', tenantId: tenant.id, subject: tenant.subdomain, arguments: {...input, force: Boolean(input.force), violations, revokedApiKeys}})
      const dns = customDomain ? {type: 'CNAME' as const, name: customDomain, value: `app.${ctx.baseDomain}`} : undefined
      return {changed, before, after, dns, violations, revokedApiKeys}
    })) as TenantUpdateResult
  } catch (error) {
    throw domainConflict(error, {customDomain}, fieldName) ?? error
  }
}
