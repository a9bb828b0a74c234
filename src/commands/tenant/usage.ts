
import {BaseCommand, describe} from '../../base.js'
import {tenantArg} from '../../flags.js'
import type {TenantUsageResult} from '../../lib/results.js'

export default class TenantUsage extends BaseCommand<typeof TenantUsage> {
  static override description = describe("Show a tenant's usage of each quota as a bar, with its alert threshold marked (|).")
  static override examples = ['<%= config.bin %> tenant usage client-org', '<%= config.bin %> tenant usage client-org --json']
  static override args = {tenant: tenantArg}

  async run(): Promise<TenantUsageResult> {
    const {usageReports} = await import('../../lib/monitoring.js')
    const {usageBar} = await import('../../ui/format.js')
    const [report] = await usageReports((await this.database()).sql, this.args.tenant)
    this.log(`Usage of ${report!.subdomain}\n`)
    for (const m of report!.metrics) this.log(usageBar(m.metric, m.used, m.limit, m.threshold, m.unit))
    return report!
  }
}
