import {Args, Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {featureFlag, featuresFromFlags, flagFieldName, limitFlags, limitsFromFlags, tenantArg} from '../../flags.js'
import {AppError} from '../../lib/errors.js'
import type {PlanChangeInput, PlanChangeResult} from '../../lib/plan-change.js'
import type {TenantPlanResult} from '../../lib/results.js'

const fieldName = flagFieldName({plan: 'PLAN'})

export default class TenantPlan extends BaseCommand<typeof TenantPlan> {
  static override hiddenAliases = ['upgrade_tenant_plan']
  static override description = describe(
    `Move a tenant to another plan (the guide's TenantQuotaManager.upgrade_tenant_plan). The new plan's limits and features apply unless overridden by flags; the tenant's own feature overrides (on or off, e.g. an add-on like custom_branding) are kept, and --feature sets more.

In a terminal without PLAN it asks for the plan and shows the limit changes, the overrides kept, the usage check and what would be revoked before confirming.

A change whose limits fall below current usage (assets, users, devices, storage) is refused with each violation listed (LIMIT_BELOW_USAGE, exit 4), and so is one that turns off a feature the tenant uses: api_access while it has active API keys (FEATURE_IN_USE, exit 4; keep it with --feature api_access=true). --force applies the change anyway, audited: the tenant may stay above its limits (it can shrink but not grow: the database refuses new members, assets or devices above a limit), and its active API keys are revoked in the same transaction.`,
  )
  static override examples = [
    '<%= config.bin %> tenant plan client-org enterprise --max-assets 2000 --max-users 200 --max-devices 100 --storage-quota 500',
    '<%= config.bin %> tenant plan acme-corp basic',
    '<%= config.bin %> tenant plan acme-corp basic --feature api_access=true',
    '<%= config.bin %> tenant plan acme-corp basic --force --json',
  ]
  static override args = {
    tenant: tenantArg,
    plan: Args.string({description: 'basic, professional or enterprise (asked in a terminal when missing)'}),
  }
  static override flags = {
    ...limitFlags,
    ...featureFlag,
    force: Flags.boolean({description: 'apply even when limits fall below current usage or a feature in use goes away, revoking the API keys that need it (audited)'}),
  }

  async run(): Promise<TenantPlanResult> {
    const {changeTenantPlan} = await import('../../lib/plan-change.js')
    const {symbols} = await import('../../ui/format.js')
    const {sql} = await this.database()
    const ctx = await this.context()
    const input: PlanChangeInput = {plan: this.args.plan ?? '', ...limitsFromFlags(this.flags), features: await featuresFromFlags(this.flags.feature), force: this.flags.force}
    if (this.args.plan === undefined) {
      if (!this.interactive) {
        throw new AppError('MISSING_INPUT', 'Missing the PLAN argument, and there is no terminal to ask in.', {field: 'PLAN', suggestions: [`anthias tenant plan ${this.args.tenant} professional`]})
      }
      const {confirm} = await import('@inquirer/prompts')
      const {listPlans} = await import('../../lib/plans.js')
      const {askPlan} = await import('../../prompts/create-tenant.js')
      const {getTenant} = await import('../../lib/tenants.js')
      const {plan: current} = await getTenant(sql, this.args.tenant, ctx.baseDomain)
      input.plan = await askPlan(await listPlans(sql), {message: 'New plan', start: current, current})
      const preview = await changeTenantPlan(sql, this.args.tenant, {...input, dryRun: true}, ctx, fieldName)
      this.log(await this.compare(preview))
      const u = preview.usage
      this.log(`\nIn use: ${u.assets} assets · ${u.users} users · ${u.devices} devices · ${u.storageGb} GB`)
      for (const v of preview.violations) this.log(`${symbols.fail} over the new limit: ${v}`)
      for (const f of preview.featuresInUse) this.log(`${symbols.fail} ${f.feature} is off on ${input.plan} but in use: ${f.usedBy}, revoked if applied`)
      const blocked = preview.violations.length > 0 || preview.featuresInUse.length > 0
      const ok = blocked
        ? await confirm({message: 'Apply anyway (--force, audited)?', default: false})
        : await confirm({message: `Move ${preview.subdomain} to ${input.plan}?`, default: true})
      if (!ok) {
        this.log('Cancelled; nothing was changed.')
        return {cancelled: true}
      }
      input.force = blocked
    }
    const result = await changeTenantPlan(sql, this.args.tenant, input, ctx, fieldName)
    for (const v of result.violations) this.warn(`forced below usage: ${v}`)
    for (const k of result.revokedApiKeys) this.warn(`revoked API key ${k.prefix} (${k.name}): api_access is off on ${result.after.plan}`)
    this.log(`${symbols.ok} ${result.subdomain}: ${result.before.plan} → ${result.after.plan}\n`)
    this.log(await this.compare(result))
    return result
  }

  private async compare({before: b, after: a}: PlanChangeResult): Promise<string> {
    const {table} = await import('../../ui/format.js')
    const overrides = (o: Record<string, boolean>) => Object.entries(o).map(([f, on]) => `${f}=${on}`).join('\n') || '-'
    return table(['', 'before', 'after'], [
      ['plan', b.plan, a.plan],
      ['max assets', b.limits.maxAssets, a.limits.maxAssets],
      ['max users', b.limits.maxUsers, a.limits.maxUsers],
      ['max devices', b.limits.maxDevices, a.limits.maxDevices],
      ['storage (GB)', b.limits.storageQuotaGb, a.limits.storageQuotaGb],
      ['features', b.features.join('\n'), a.features.join('\n')],
      ['overrides (kept)', overrides(b.overrides), overrides(a.overrides)],
    ])
  }
}
