import {Args, Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {flagFieldName, securityFlags, securityFromFlags} from '../../flags.js'
import type {SecurityChangeResult} from '../../lib/security.js'

export default class TenantSecurity extends BaseCommand<typeof TenantSecurity> {
  static override description = describe(
    `Set a tenant's security policy: two-factor authentication, session timeout, password policy and the IP ranges logins may come from.

IP ranges are IPv4 or IPv6 CIDRs, normalised; host bits set is an error naming the network to use; duplicates and overlapping ranges are reported. With no flags it prints the current policy.`,
  )
  static override examples = [
    '<%= config.bin %> tenant security client-org --enable-2fa --session-timeout 240 --password-min-length 12 --require-uppercase --require-lowercase --require-numbers --require-symbols --password-history 5 --allow-ip 192.168.1.0/24 --allow-ip 10.0.0.0/8',
    '<%= config.bin %> tenant security client-org --remove-ip 10.0.0.0/8',
    '<%= config.bin %> tenant security client-org --clear-ips --no-enable-2fa --json',
  ]
  static override args = {tenant: Args.string({description: 'subdomain or tenant id', required: true})}
  static override flags = {
    ...securityFlags,
    'remove-ip': Flags.string({description: 'remove this CIDR range (repeatable)', multiple: true, helpValue: 'CIDR', helpGroup: 'SECURITY'}),
    'clear-ips': Flags.boolean({description: 'remove every range first (logins from any address)', helpGroup: 'SECURITY'}),
  }

  async run(): Promise<SecurityChangeResult> {
    const {updateSecurity} = await import('../../lib/security.js')
    const {keyValues, symbols} = await import('../../lib/ui/format.js')
    const f = this.flags
    const result = await updateSecurity(
      (await this.database()).sql,
      this.args.tenant,
      {...securityFromFlags(f), allowIps: f['allow-ip'], removeIps: f['remove-ip'], clearIps: f['clear-ips']},
      await this.context(),
      flagFieldName(),
    )
    for (const w of result.warnings) this.warn(w)
    const p = result.after.passwordPolicy
    this.log(`${symbols.ok} Security policy of ${result.subdomain}\n`)
    this.log(keyValues([
      ['2FA', result.after.enable2fa ? 'required' : 'off'],
      ['session timeout', `${result.after.sessionTimeoutMinutes} min`],
      ['password min length', p.minLength],
      ['uppercase', p.requireUppercase ? 'required' : 'no'],
      ['lowercase', p.requireLowercase ? 'required' : 'no'],
      ['digits', p.requireNumbers ? 'required' : 'no'],
      ['symbols', p.requireSymbols ? 'required' : 'no'],
      ['password history', p.passwordHistory],
      ['allowed IPs', result.after.allowedIpRanges.join(', ') || 'any'],
    ]))
    return result
  }
}
