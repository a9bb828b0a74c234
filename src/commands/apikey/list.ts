import {describe} from '../../base.js'
import {listFlags, tenantArg} from '../../flags.js'
import {ListCommand} from '../../list-command.js'
import type {ApiKey} from '../../lib/api-keys.js'
import type {ApikeyListResult} from '../../lib/results.js'

export default class ApikeyList extends ListCommand<typeof ApikeyList> {
  static override description = describe(
    "List a tenant's API keys, oldest first: prefix, name, permissions, created, expires, last used, revoked. Never the secret. A page at a time (100 by default; --all for every one); --json gives {items, nextCursor, total}.",
  )
  static override examples = [
    '<%= config.bin %> apikey list client-org',
    '<%= config.bin %> apikey list client-org --json',
    '<%= config.bin %> apikey list client-org --all --csv --columns prefix,name,revoked',
  ]
  static override args = {tenant: tenantArg}
  static override flags = listFlags(100)

  async run(): Promise<ApikeyListResult | undefined> {
    const {listApiKeys} = await import('../../lib/api-keys.js')
    const {sql} = await this.database()
    const day = (d: Date | null) => d?.toISOString().slice(0, 10)
    return this.list<ApiKey>({
      columns: [
        {name: 'prefix', value: (k) => k.prefix},
        {name: 'name', value: (k) => k.name},
        {name: 'permissions', value: (k) => k.permissions.join(' ')},
        {name: 'created', value: (k) => day(k.createdAt)},
        {name: 'expires', value: (k) => day(k.expiresAt) ?? 'never'},
        {name: 'last-used', value: (k) => day(k.lastUsedAt) ?? 'never'},
        {name: 'revoked', value: (k) => day(k.revokedAt)},
        {name: 'id', value: (k) => k.id},
      ],
      defaults: ['prefix', 'name', 'permissions', 'created', 'expires', 'last-used', 'revoked'],
      empty: 'No API keys.',
      fetch: (page) => listApiKeys(sql, this.args.tenant, page),
    })
  }
}
