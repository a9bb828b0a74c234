import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {flagFieldName, securityFlags, securityFromFlags, tenantArg} from '../../flags.js'
import type {SecurityChangeInput} from '../../lib/security.js'
import type {SecurityPolicy} from '../../lib/validation.js'
import type {TenantSecurityResult} from '../../lib/results.js'

export default class TenantSecurity extends BaseCommand<typeof TenantSecurity> {
  static override description = describe(
    `Set a tenant's security policy: two-factor authentication, session timeout, password policy and the IP ranges logins may come from.

IP ranges are IPv4 or IPv6 CIDRs, normalised; host bits set is an error naming the network to use; duplicates and overlapping ranges are reported. With no flags it asks for each value in a terminal, and prints the current policy otherwise.`,
  )
  static override examples = [
    '<%= config.bin %> tenant security client-org --enable-2fa --session-timeout 240 --password-min-length 12 --require-uppercase --require-lowercase --require-numbers --require-symbols --password-history 5 --allow-ip 192.168.1.0/24 --allow-ip 10.0.0.0/8',
    '<%= config.bin %> tenant security client-org --remove-ip 10.0.0.0/8',
    '<%= config.bin %> tenant security client-org --clear-ips --no-enable-2fa --json',
  ]
  static override args = {tenant: tenantArg}
  static override flags = {
    ...securityFlags,
    'remove-ip': Flags.string({description: 'remove this CIDR range (repeatable)', multiple: true, helpValue: 'CIDR', helpGroup: 'SECURITY'}),
    'clear-ips': Flags.boolean({description: 'remove every range first (logins from any address)', helpGroup: 'SECURITY'}),
  }

  async run(): Promise<TenantSecurityResult> {
    const {updateSecurity} = await import('../../lib/security.js')
    const {symbols} = await import('../../ui/format.js')
    const f = this.flags
    const {sql} = await this.database()
    const ctx = await this.context()
    let change: SecurityChangeInput = {...securityFromFlags(f), allowIps: f['allow-ip'], removeIps: f['remove-ip'], clearIps: f['clear-ips']}
    if (Object.values(change).every((v) => v === undefined || v === false)) {
      const {getTenant} = await import('../../lib/tenants.js')
      const tenant = await getTenant(sql, this.args.tenant, ctx.baseDomain)
      if (!this.interactive) {
        this.log(await this.describe(tenant.security))
        return {subdomain: tenant.subdomain, policy: tenant.security}
      }
      const {askSecurityPolicy} = await import('../../prompts/security.js')
      const {confirm} = await import('@inquirer/prompts')
      this.log(`Security policy of ${tenant.subdomain}; Enter keeps the current value.`)
      const wanted = await askSecurityPolicy(tenant.security)
      this.log(await this.describe(wanted))
      if (!(await confirm({message: 'Apply this policy?', default: true}))) {
        this.log('Cancelled; nothing was changed.')
        return {subdomain: tenant.subdomain, policy: tenant.security}
      }
      const {allowedIpRanges, ...rest} = wanted
      change = {...rest, clearIps: true, allowIps: allowedIpRanges}
    }
    const result = await updateSecurity(sql, this.args.tenant, change, ctx, flagFieldName())
    for (const w of result.warnings) this.warn(w)
    this.log(`${symbols.ok} Security policy of ${result.subdomain}\n`)
    this.log(await this.describe(result.after))
    return result
  }

  private async describe(policy: SecurityPolicy): Promise<string> {
    const [{keyValues}, {securityRows}] = await Promise.all([import('../../ui/format.js'), import('../../ui/tenant.js')])
    return keyValues(securityRows(policy))
  }
}
