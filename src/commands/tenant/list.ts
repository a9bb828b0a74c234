import {Flags} from '@oclif/core'

import {describe} from '../../base.js'
import {listFlags, sortFlag} from '../../flags.js'
import {ListCommand} from '../../list-command.js'
import {TENANT_SORTS} from '../../lib/paging.js'
import type {TenantSummary} from '../../lib/tenant-list.js'
import type {TenantListResult} from '../../lib/results.js'

export default class TenantList extends ListCommand<typeof TenantList> {
  static override description = describe(
    'List tenants, filtered by plan, status or a search term, a page at a time (100 by default; --all for every one). --json gives {items, nextCursor, total}: pass nextCursor to --after for the next page; it is null on the last.',
  )
  static override examples = [
    '<%= config.bin %> tenant list',
    '<%= config.bin %> tenant list --plan enterprise --status active',
    '<%= config.bin %> tenant list --search acme --json',
    '<%= config.bin %> tenant list --sort -created --limit 20 --columns subdomain,created',
    '<%= config.bin %> tenant list --all --csv > tenants.csv',
  ]

  static override flags = {
    plan: Flags.string({description: 'only tenants on this plan', helpValue: 'PLAN'}),
    status: Flags.string({description: 'only tenants with this status: active or suspended', helpValue: 'STATUS'}),
    search: Flags.string({description: 'name or subdomain contains this text, literally (% and _ are not wildcards)', helpValue: 'TEXT'}),
    ...listFlags(100),
    ...sortFlag(TENANT_SORTS),
  }

  async run(): Promise<TenantListResult | undefined> {
    const {listTenants} = await import('../../lib/tenant-list.js')
    const {baseDomain} = await this.context()
    const {sql} = await this.database()
    const {plan, status, search, sort} = this.flags
    return this.list<TenantSummary>({
      columns: [
        {name: 'subdomain', value: (t) => t.subdomain},
        {name: 'name', value: (t) => t.name},
        {name: 'plan', value: (t) => t.plan},
        {name: 'status', value: (t) => t.status},
        {name: 'created', value: (t) => t.createdAt.toISOString().slice(0, 10)},
        {name: 'id', value: (t) => t.id},
        {name: 'url', value: (t) => t.accessUrl},
        {name: 'domain', value: (t) => t.customDomain},
        {name: 'created-at', value: (t) => t.createdAt.toISOString()},
      ],
      defaults: ['subdomain', 'name', 'plan', 'status', 'created'],
      empty: 'No tenants.',
      fetch: (page) => listTenants(sql, {plan, status, search, sort, ...page}, baseDomain),
    })
  }
}
