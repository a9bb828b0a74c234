import chalk from 'chalk'

import type {Plan} from '../lib/plans.js'
import type {TenantDetails} from '../lib/tenants.js'
import {keyValues} from './format.js'

export const formatLimits = (l: TenantDetails['limits']) =>
  `assets ${l.maxAssets} · users ${l.maxUsers} · devices ${l.maxDevices} · storage ${l.storageQuotaGb} GB`

export function formatTenant(t: TenantDetails): string {
  const p = t.security.passwordPolicy
  const classes = [p.requireUppercase && 'upper', p.requireLowercase && 'lower', p.requireNumbers && 'digit', p.requireSymbols && 'symbol']
    .filter(Boolean)
    .join('+')
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
    ['2FA', t.security.enable2fa ? 'required' : 'off'],
    ['session timeout', `${t.security.sessionTimeoutMinutes} min`],
    ['password policy', `min ${p.minLength}${classes ? `, ${classes}` : ''}${p.passwordHistory ? `, history ${p.passwordHistory}` : ''}`],
    ['allowed IPs', t.security.allowedIpRanges.join(', ') || 'any'],
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
