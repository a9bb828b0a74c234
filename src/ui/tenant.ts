import chalk from './chalk.js'

import type {Plan} from '../lib/plans.js'
import type {TenantDetails} from '../lib/tenants.js'
import {describePasswordPolicy, type SecurityPolicy} from '../lib/validation.js'
import {keyValues} from './format.js'

export const formatLimits = (l: TenantDetails['limits']) =>
  `assets ${l.maxAssets} · users ${l.maxUsers} · devices ${l.maxDevices} · storage ${l.storageQuotaGb} GB`

/** A security policy as rows: the tenant view, `tenant security` and the create wizard's summary. */
export const securityRows = (s: SecurityPolicy): [string, string][] => [
  ['2FA', s.enable2fa ? 'required' : 'off'],
  ['session timeout', `${s.sessionTimeoutMinutes} min`],
  ['password policy', describePasswordPolicy(s.passwordPolicy)],
  ['allowed IPs', s.allowedIpRanges.join(', ') || 'any'],
]

export function formatTenant(t: TenantDetails): string {
  return keyValues([
    ['id', t.id],
    ['name', t.name],
    ['subdomain', t.subdomain],
    ['access URL', t.accessUrl, chalk.cyan],
    ['custom domain', t.customDomain],
    ['status', t.status, t.status === 'active' ? chalk.green : chalk.yellow],
    ['plan', t.plan],
    ['limits', formatLimits(t.limits)],
    ['features', t.features.join(', ')],
    ['contact', t.contactEmail],
    ['owners', t.owners.map((o) => `${o.email} (${o.status})`).join(', ')],
    ...securityRows(t.security),
    ['settings', Object.keys(t.settings).length > 0 ? JSON.stringify(t.settings) : ''],
    ['created', t.createdAt.toISOString()],
  ])
}

export function formatPlan(plan: Plan): string {
  return keyValues([
    ['plan', `${plan.name} (${plan.id})`],
    ['price', `${plan.priceMonthly}/month`],
    ['max assets', plan.limits.maxAssets],
    ['max users', plan.limits.maxUsers],
    ['max devices', plan.limits.maxDevices],
    ['storage', `${plan.limits.storageQuotaGb} GB`],
    ['features', plan.features.join(', ')],
  ])
}
