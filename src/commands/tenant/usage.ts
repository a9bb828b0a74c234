
import {BaseCommand, describe} from '../../base.js'
import {tenantArg} from '../../flags.js'
import type {TenantUsageResult} from '../../lib/results.js'

export default class TenantUsage extends BaseCommand<typeof TenantUsage> {
  static override description = describe("Show a tenant's usage of each quota as a bar, with its alert threshold marked (|); on Citus with citus.stat_tenants_track = 'all', also its query count and CPU time in this period and the last (citus_stat_tenants).")
  static override examples = ['<%= config.bin %> tenant usage client-org', '<%= config.bin %> tenant usage client-org --json']
  static override args = {tenant: tenantArg}

  async run(): Promise<TenantUsageResult> {
    const {usageReports} = await import('../../lib/monitoring.js')
    const {usageBar} = await import('../../ui/format.js')
    const [report] = await usageReports((await this.database()).sql, this.args.tenant)
    this.log(`Usage of ${report!.subdomain}\n`)
    for (const m of report!.metrics) this.log(usageBar(m.metric, m.used, m.limit, m.threshold, m.unit))
    const q = report!.queries
    if (q) this.log(`\nqueries  ${q.thisPeriod.queries} this period (${q.periodSeconds} s), ${q.lastPeriod.queries} the last; CPU ${q.thisPeriod.cpuSeconds.toFixed(3)} s, ${q.lastPeriod.cpuSeconds.toFixed(3)} s the last (citus_stat_tenants)`)
    return report!
  }
}
