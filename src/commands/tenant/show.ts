
import {BaseCommand, describe} from '../../base.js'
import {tenantArg} from '../../flags.js'
import type {TenantShowResult} from '../../lib/results.js'

export default class TenantShow extends BaseCommand<typeof TenantShow> {
  static override description = describe('Show one tenant in full: plan, limits, features, owners, security policy and settings.')
  static override examples = ['<%= config.bin %> tenant show acme-corp', '<%= config.bin %> tenant show 0b6f0c3e-6a43-4d6b-9a57-3c1f1c1d2e3f --json']
  static override args = {tenant: tenantArg}

  async run(): Promise<TenantShowResult> {
    const {getTenant} = await import('../../lib/tenants.js')
    const {formatTenant} = await import('../../ui/tenant.js')
    const tenant = await getTenant((await this.database()).sql, this.args.tenant, (await this.context()).baseDomain)
    this.log(formatTenant(tenant))
    return tenant
  }
}
