/**
 * What a tenant's data needs of its features: the one rule of "features
 * consistent with the plan", for `tenant plan`, `tenant update` and `tenant verify`.
 *
 * The catalog restricts no override: on any plan a feature may be turned on
 * (an add-on) or off. What a change may not do silently is turn off a feature
 * that the tenant's data depends on, which today means api_access while the
 * tenant has active API keys (not revoked, not expired).
 */
import type {Sql, TransactionSql} from 'postgres'

import {writeAudit} from './audit.js'
import type {Context} from './context.js'
import {type Action, type AppError, conflict} from './errors.js'

export interface FeatureInUse {
  feature: string
  /** what depends on it, for messages: `2 active API keys (ak_..., ak_...)` */
  usedBy: string
  /** the active API keys that need it */
  apiKeys: {prefix: string; name: string}[]
}

/** The features the tenant's data uses that `features` (its effective set, as it is or would be) lacks. */
export async function missingFeatures(sql: Sql | TransactionSql, tenantId: string, features: string[]): Promise<FeatureInUse[]> {
  if (features.includes('api_access')) return []
  const keys = await sql<{prefix: string; name: string}[]>`
    select prefix, name from api_keys
    where tenant_id = ${tenantId} and revoked_at is null and (expires_at is null or expires_at > now())
    order by created_at, name`
  if (keys.length === 0) return []
  const usedBy = `${keys.length} active API key${keys.length === 1 ? '' : 's'} (${keys.map((k) => k.prefix).join(', ')})`
  return [{feature: 'api_access', usedBy, apiKeys: [...keys]}]
}

/** One line per feature in use: `api_access: 2 active API keys (ak_..., ak_...)`. */
export const describeMissing = (missing: FeatureInUse[]) => missing.map((m) => `${m.feature}: ${m.usedBy}`)

/** FEATURE_IN_USE (exit 4): `change` (e.g. "Plan basic") turns off a feature in use; `retry` is the command to run again. */
export function featureInUseError(f: FeatureInUse, subdomain: string, change: string, retry: Action): AppError {
  return conflict('FEATURE_IN_USE', `${change} turns off ${f.feature}, which ${subdomain} uses: ${f.usedBy}.`, {
    field: f.feature,
    details: {feature: f.feature, apiKeys: f.apiKeys},
    suggestions: [
      {...retry, args: {...retry.args, feature: `${f.feature}=true`}, text: 'Keep it on: {command}'},
      {command: 'apikey.revoke', args: {tenant: subdomain, key: null}, text: 'Revoke the API keys first ({command}),'},
      {...retry, args: {...retry.args, force: true}, text: 'or revoke them with the change (audited): {command}'},
    ],
  })
}

/**
 * Fit the tenant's data to the features it loses anyway (a forced change):
 * revoke the API keys that needed api_access, each audited with the reason,
 * inside the caller's transaction. Returns the keys revoked.
 */
export async function releaseFeatures(tx: TransactionSql, tenant: {id: string; subdomain: string}, missing: FeatureInUse[], ctx: Context, reason: string): Promise<{prefix: string; name: string}[]> {
  const keys = missing.flatMap((m) => m.apiKeys)
  if (keys.length === 0) return []
  await tx`update api_keys set revoked_at = now() where tenant_id = ${tenant.id} and prefix = any(${keys.map((k) => k.prefix)}::text[])`
  for (const key of keys) {
    await writeAudit(tx, {actor: ctx.actor, action: 'apikey.revoke', tenantId: tenant.id, subject: key.prefix, arguments: {name: key.name, reason}})
  }
  return keys
}
