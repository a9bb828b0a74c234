
import {BaseCommand, describe} from '../../base.js'
import {tenantArg} from '../../flags.js'
import type {ApiKey} from '../../lib/api-keys.js'

export default class ApikeyList extends BaseCommand<typeof ApikeyList> {
  static override description = describe("List a tenant's API keys: prefix, name, permissions, created, expires, last used, revoked. Never the secret.")
  static override examples = ['<%= config.bin %> apikey list client-org', '<%= config.bin %> apikey list client-org --json']
  static override args = {tenant: tenantArg}

  async run(): Promise<ApiKey[]> {
    const {listApiKeys} = await import('../../lib/api-keys.js')
    const {table} = await import('../../lib/ui/format.js')
    const keys = await listApiKeys((await this.database()).sql, this.args.tenant)
    const day = (d: Date | null) => d?.toISOString().slice(0, 10)
    if (keys.length === 0) this.log('No API keys.')
    else {
      this.log(table(['prefix', 'name', 'permissions', 'created', 'expires', 'last used', 'revoked'], keys.map((k) => [
        k.prefix, k.name, k.permissions.join(' '), day(k.createdAt), day(k.expiresAt) ?? 'never', day(k.lastUsedAt) ?? 'never', day(k.revokedAt),
      ])))
    }
    return keys
  }
}
