import {Args} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {tenantArg} from '../../flags.js'
import type {ApikeyRevokeResult} from '../../lib/results.js'

export default class ApikeyRevoke extends BaseCommand<typeof ApikeyRevoke> {
  static override description = describe('Revoke an API key by its prefix (ak_...) or id. Revoking a revoked key changes nothing.')
  static override examples = ['<%= config.bin %> apikey revoke client-org ak_3f9a1c2b7d4e', '<%= config.bin %> apikey revoke client-org 6f1c0b8e-2d7a-4a51-9a0e-6f0b1c2d3e4f --json']
  static override args = {
    tenant: tenantArg,
    key: Args.string({description: 'the key prefix or id', required: true}),
  }

  async run(): Promise<ApikeyRevokeResult> {
    const {revokeApiKey} = await import('../../lib/api-keys.js')
    const {escapeControls, symbols} = await import('../../ui/format.js')
    const key = await revokeApiKey((await this.database()).sql, this.args.tenant, this.args.key, await this.context())
    if (key.alreadyRevoked) this.warn(`API key ${key.prefix} was already revoked on ${key.revokedAt?.toISOString()}.`)
    else this.log(`${symbols.ok} Revoked API key "${escapeControls(key.name)}" (${key.prefix})`)
    return key
  }
}
