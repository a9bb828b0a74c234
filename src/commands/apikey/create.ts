import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {tenantArg} from '../../flags.js'
import type {ApikeyCreateResult} from '../../lib/results.js'

export default class ApikeyCreate extends BaseCommand<typeof ApikeyCreate> {
  static override hiddenAliases = ['generate_api_key']
  static override description = describe(
    `Create an API key for a tenant (the guide's APIKeyManager.generate_api_key). The key is shown once; only its SHA-256 is stored.

Permissions: "*", RESOURCE.ACTION, RESOURCE.* or *.ACTION, where RESOURCE is assets, devices, qr_contents, users, settings or analytics, and ACTION one of that resource's actions (read, create, update, delete; users: read, invite, remove; settings: read, update; analytics: read).

The tenant needs the api_access feature (professional and enterprise plans); otherwise FEATURE_DISABLED, exit 4.`,
  )
  static override examples = [
    `<%= config.bin %> apikey create client-org --name "Primary API Key" --permission 'assets.*' --permission 'devices.*' --expires-days 365`,
    `<%= config.bin %> generate_api_key acme-corp --name "CI deploys" --permission assets.read --json`,
  ]
  static override args = {tenant: tenantArg}
  static override flags = {
    name: Flags.string({description: 'a name for the key, unique in the tenant', required: true}),
    permission: Flags.string({description: 'RESOURCE.ACTION with * wildcards (repeatable)', multiple: true, required: true, helpValue: 'PERMISSION'}),
    'expires-days': Flags.string({description: 'days until the key expires (1-3650; default: never)', helpValue: 'DAYS'}),
  }

  async run(): Promise<ApikeyCreateResult> {
    const {createApiKey} = await import('../../lib/api-keys.js')
    const {symbols} = await import('../../ui/format.js')
    const key = await createApiKey(
      (await this.database()).sql,
      this.args.tenant,
      {name: this.flags.name, permissions: this.flags.permission, expiresDays: this.flags['expires-days']},
      await this.context(),
    )
    this.log(`${symbols.ok} Created API key "${key.name}" (${key.prefix}) with ${key.permissions.join(', ')}${key.expiresAt ? `, expires ${key.expiresAt.toISOString()}` : ''}`)
    this.log(`API Key (shown once; store it now):\n  ${key.key}`)
    return key
  }
}
