import {Args, Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {featureFlag, featuresFromFlags, flagFieldName, limitFlags, limitsFromFlags} from '../../flags.js'
import type {PlanChangeResult} from '../../lib/plan-change.js'

export default class TenantPlan extends BaseCommand<typeof TenantPlan> {
  static override aliases = ['upgrade_tenant_plan']
  static override description = describe(
    `Move a tenant to another plan (the guide's TenantQuotaManager.upgrade_tenant_plan). The new plan's limits and features apply unless overridden by flags.

A change whose limits fall below current usage (assets, users, devices, storage) is refused with each violation listed (LIMIT_BELOW_USAGE, exit 4), unless --force, which is audited.`,
  )
  static override examples = [
    '<%= config.bin %> tenant plan client-org enterprise --max-assets 2000 --max-users 200 --max-devices 100 --storage-quota 500',
    '<%= config.bin %> tenant plan acme-corp basic',
    '<%= config.bin %> tenant plan acme-corp basic --force --json',
  ]
  static override args = {
    tenant: Args.string({description: 'subdomain or tenant id', required: true}),
    plan: Args.string({description: 'basic, professional or enterprise', required: true}),
  }
  static override flags = {
    ...limitFlags,
    ...featureFlag,
    force: Flags.boolean({description: 'apply even when limits fall below current usage (audited)'}),
  }

  async run(): Promise<PlanChangeResult> {
    const {changeTenantPlan} = await import('../../lib/plan-change.js')
    const {table, symbols} = await import('../../lib/ui/format.js')
    const result = await changeTenantPlan(
      (await this.database()).sql,
      this.args.tenant,
      {plan: this.args.plan, ...limitsFromFlags(this.flags), features: await featuresFromFlags(this.flags.feature), force: this.flags.force},
      await this.context(),
      flagFieldName({plan: 'PLAN'}),
    )
    for (const v of result.violations) this.warn(`forced below usage: ${v}`)
    const {before: b, after: a} = result
    this.log(`${symbols.ok} ${result.subdomain}: ${b.plan} → ${a.plan}\n`)
    this.log(table(['', 'before', 'after'], [
      ['plan', b.plan, a.plan],
      ['max assets', b.limits.maxAssets, a.limits.maxAssets],
      ['max users', b.limits.maxUsers, a.limits.maxUsers],
      ['max devices', b.limits.maxDevices, a.limits.maxDevices],
      ['storage (GB)', b.limits.storageQuotaGb, a.limits.storageQuotaGb],
      ['features', b.features.join('\n'), a.features.join('\n')],
    ]))
    return result
  }
}
