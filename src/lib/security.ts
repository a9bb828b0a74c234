/** Tenant security policy (the guide's security section): 2FA, session timeout, password policy, allowed IP ranges. */
import ipaddr from 'ipaddr.js'
import type {Sql} from 'postgres'
import {z} from 'zod'

import {writeAudit} from './audit.js'
import type {Context} from './context.js'
import {AppError, ValidationErrors} from './errors.js'
import {lockTenant} from './tenant-ref.js'
import {cidrSchema, issuesToErrors, type PasswordPolicy, securitySchema, type SecurityPolicy} from './validation.js'

export const securityChangeSchema = securitySchema.omit({allowedIpRanges: true}).extend({
  allowIps: z.array(cidrSchema).default([]),
  removeIps: z.array(cidrSchema).default([]),
  clearIps: z.boolean().default(false),
})
export type SecurityChangeInput = z.input<typeof securityChangeSchema>

export interface SecurityChangeResult {
  tenantId: string
  subdomain: string
  before: SecurityPolicy
  after: SecurityPolicy
  warnings: string[]
}

const contains = (outer: string, inner: string) => {
  const [o, i] = [ipaddr.parseCIDR(outer), ipaddr.parseCIDR(inner)]
  return o[0].kind() === i[0].kind() && o[1] <= i[1] && i[0].match(o)
}

/** Add ranges to a list, reporting duplicates and overlaps (a range inside another). */
export function addRanges(current: string[], added: string[]): {ranges: string[]; warnings: string[]} {
  const ranges = [...current]
  const warnings: string[] = []
  for (const range of added) {
    if (ranges.includes(range)) {
      warnings.push(`${range} is already allowed (duplicate ignored)`)
      continue
    }
    for (const other of ranges) {
      if (contains(other, range)) warnings.push(`${range} overlaps ${other}, which already contains it`)
      else if (contains(range, other)) warnings.push(`${range} overlaps ${other}, which it contains`)
    }
    ranges.push(range)
  }
  return {ranges, warnings}
}

export async function updateSecurity(sql: Sql, tenantRef: string, input: SecurityChangeInput, ctx: Context, fieldName: (path: PropertyKey[]) => string = (p) => p.join('.')): Promise<SecurityChangeResult> {
  const parsed = securityChangeSchema.safeParse(input)
  if (!parsed.success) throw new ValidationErrors(issuesToErrors(parsed.error, fieldName))
  const change = parsed.data
  return sql.begin(async (tx) => {
    const tenant = await lockTenant(tx, tenantRef)
    const [row] = await tx<{enable2fa: boolean; sessionTimeoutMinutes: number; passwordPolicy: PasswordPolicy; allowedIpRanges: string[]}[]>`
      select enable_2fa as "enable2fa", session_timeout_minutes, password_policy, allowed_ip_ranges::text[] as allowed_ip_ranges
      from tenants where id = ${tenant.id}`
    const before: SecurityPolicy = {...row!}
    let current = change.clearIps ? [] : [...before.allowedIpRanges]
    const missing = change.removeIps.filter((r) => !current.includes(r))
    if (missing.length > 0) {
      throw new AppError('IP_RANGE_NOT_FOUND', `Not in the allowed ranges: ${missing.join(', ')}. Allowed now: ${current.join(', ') || 'none (any address)'}.`, {
        field: fieldName(['removeIps']),
        suggestions: current,
      })
    }
    current = current.filter((r) => !change.removeIps.includes(r))
    const {ranges, warnings} = addRanges(current, change.allowIps)
    const after: SecurityPolicy = {
      enable2fa: change.enable2fa ?? before.enable2fa,
      sessionTimeoutMinutes: change.sessionTimeoutMinutes ?? before.sessionTimeoutMinutes,
      passwordPolicy: {...before.passwordPolicy, ...change.passwordPolicy},
      allowedIpRanges: ranges,
    }
    await tx`
      update tenants set enable_2fa = ${after.enable2fa}, session_timeout_minutes = ${after.sessionTimeoutMinutes},
        password_policy = ${tx.json(after.passwordPolicy as never)}, allowed_ip_ranges = ${after.allowedIpRanges}::cidr[], updated_at = now()
      where id = ${tenant.id}`
    await writeAudit(tx, {actor: ctx.actor, action: 'tenant.security', tenantId: tenant.id, subject: tenant.subdomain, arguments: {before, after}})
    return {tenantId: tenant.id, subdomain: tenant.subdomain, before, after, warnings}
  }) as Promise<SecurityChangeResult>
}
