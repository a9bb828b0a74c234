import {Args} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import type {PlanShowResult} from '../../lib/results.js'

export default class PlanShow extends BaseCommand<typeof PlanShow> {
  static override description = describe('Show one plan: limits, features and monthly price.')
  static override examples = ['<%= config.bin %> plan show professional', '<%= config.bin %> plan show enterprise --json']
  static override args = {plan: Args.string({description: 'plan id: basic, professional or enterprise', required: true})}

  async run(): Promise<PlanShowResult> {
    const {getPlan} = await import('../../lib/plans.js')
    const {formatPlan} = await import('../../ui/tenant.js')
    const plan = await getPlan((await this.database()).sql, this.args.plan)
    this.log(formatPlan(plan))
    return plan
  }
}
