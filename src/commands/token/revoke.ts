import {Args} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import type {TokenRevokeResult} from '../../lib/results.js'

export default class TokenRevoke extends BaseCommand<typeof TokenRevoke> {
  static override description = describe('Revoke an operator token by its name: from now on the HTTP API answers its requests with 401 TOKEN_REVOKED.')
  static override examples = ['<%= config.bin %> token revoke billing', '<%= config.bin %> token revoke billing --json']
  static override args = {name: Args.string({description: 'the token name', required: true})}

  async run(): Promise<TokenRevokeResult> {
    const {revokeOperatorToken} = await import('../../lib/operator-tokens.js')
    const {escapeControls, symbols} = await import('../../ui/format.js')
    const token = await revokeOperatorToken((await this.database()).sql, this.args.name, await this.context())
    this.log(`${symbols.ok} Revoked operator token "${escapeControls(token.name)}"`)
    return token
  }
}
