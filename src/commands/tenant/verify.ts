
import {BaseCommand, describe} from '../../base.js'
import {tenantArg} from '../../flags.js'
import type {TenantVerifyResult} from '../../lib/results.js'

export default class TenantVerify extends BaseCommand<typeof TenantVerify> {
  static override description = describe(
    `Run the guide's post-provisioning checklist: tenant active; subdomain and custom domain map to it; an owner with a valid bcrypt hash or a pending invitation; row-level security enabled, forced and policed on every table with tenant_id (from the catalog); the application role owns nothing and has no BYPASSRLS; the leak probe; usage within quota; tenant migrations up to date; features consistent with the plan.

Exit 1 if any check fails; "tenant migrate --tenant T --setup-rls" repairs the row-level security ones.`,
  )
  static override examples = ['<%= config.bin %> tenant verify client-org', '<%= config.bin %> tenant verify client-org --json']
  static override args = {tenant: tenantArg}

  async run(): Promise<TenantVerifyResult> {
    const {verifyOutcome, verifyTenant} = await import('../../lib/verify.js')
    const {symbols} = await import('../../ui/format.js')
    const result = await verifyTenant((await this.database()).sql, this.args.tenant, await this.context())
    for (const c of result.checks) this.log(`${c.ok ? symbols.ok : symbols.fail} ${c.name}: ${c.detail}`)
    const outcome = verifyOutcome(result)
    if (outcome) this.fail(outcome)
    return result
  }
}
