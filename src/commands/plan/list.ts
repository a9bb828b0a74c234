import {BaseCommand, describe} from '../../base.js'
import type {PlanListResult} from '../../lib/results.js'

export default class PlanList extends BaseCommand<typeof PlanList> {
  static override description = describe('List the subscription plans with their limits, features and monthly price.')
  static override examples = ['<%= config.bin %> plan list', '<%= config.bin %> plan list --json']

  async run(): Promise<PlanListResult> {
    const {listPlans} = await import('../../lib/plans.js')
    const {table} = await import('../../ui/format.js')
    const plans = await listPlans((await this.database()).sql)
    this.log(
      table(
        ['plan', '$/month', 'assets', 'users', 'devices', 'GB', 'features'],
        plans.map((p) => [p.id, p.priceMonthly, p.limits.maxAssets, p.limits.maxUsers, p.limits.maxDevices, p.limits.storageQuotaGb, p.features.join('\n')]),
      ),
    )
    return plans
  }
}
