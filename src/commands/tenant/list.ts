import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import type {TenantSummary} from '../../lib/tenants.js'

export default class TenantList extends BaseCommand<typeof TenantList> {
  static override description = describe('List tenants, filtered by plan, status or a search term.')
  static override examples = [
    '<%= config.bin %> tenant list',
    '<%= config.bin %> tenant list --plan enterprise --status active',
    '<%= config.bin %> tenant list --search acme --json',
  ]

  static override flags = {
    plan: Flags.string({description: 'only tenants on this plan', helpValue: 'PLAN'}),
    status: Flags.string({description: 'only tenants with this status', options: ['active', 'suspended']}),
    search: Flags.string({description: 'name or subdomain contains this text, literally (% and _ are not wildcards)', helpValue: 'TEXT'}),
    limit: Flags.integer({description: 'at most this many rows', default: 1000, min: 1}),
  }

  async run(): Promise<TenantSummary[]> {
    const {listTenants} = await import('../../lib/tenants.js')
    const {table} = await import('../../lib/ui/format.js')
    const {baseDomain} = await this.context()
    const tenants = await listTenants(
      (await this.database()).sql,
      {plan: this.flags.plan, status: this.flags.status as TenantSummary['status'] | undefined, search: this.flags.search, limit: this.flags.limit},
      baseDomain,
    )
    if (tenants.length === 0) this.log('No tenants.')
    else this.log(table(['subdomain', 'name', 'plan', 'status', 'created'], tenants.map((t) => [t.subdomain, t.name, t.plan, t.status, t.createdAt.toISOString().slice(0, 10)])))
    return tenants
  }
}
