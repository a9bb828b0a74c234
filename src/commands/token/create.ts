import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {SCOPES} from '../../lib/operator-tokens.js'
import type {TokenCreateResult} from '../../lib/results.js'

export default class TokenCreate extends BaseCommand<typeof TokenCreate> {
  static override description = describe(
    `Create an operator token for the HTTP API (\`anthias serve\`): a bearer token for the platform's own systems (signup, billing, support tools), distinct from a tenant's API keys. The token is printed once; only its SHA-256 is stored.

Scopes: ${SCOPES.join(', ')}. Each route of the API needs one (the API's /docs page lists them); a request with a token lacking it is refused with 403. Changes made with the token are audited with the actor token:NAME.`,
  )
  static override examples = [
    '<%= config.bin %> token create --name billing --scope tenants:read --scope tenants:write --expires-in 90d',
    '<%= config.bin %> token create --name support --scope tenants:read --scope audit:read --json',
  ]
  static override flags = {
    name: Flags.string({description: 'a name for the token, unique among the live tokens (the audit trail says token:NAME)', required: true}),
    scope: Flags.string({description: `what the token may do (repeatable): ${SCOPES.join(', ')}`, multiple: true, required: true, helpValue: 'SCOPE'}),
    'expires-in': Flags.string({description: 'the token stops working after this span: 30m, 12h, 90d, 52w (default: never)', helpValue: 'SPAN'}),
  }

  async run(): Promise<TokenCreateResult> {
    const {createOperatorToken} = await import('../../lib/operator-tokens.js')
    const {symbols} = await import('../../ui/format.js')
    const token = await createOperatorToken(
      (await this.database()).sql,
      {name: this.flags.name, scopes: this.flags.scope, expiresIn: this.flags['expires-in']},
      await this.context(),
    )
    this.log(`${symbols.ok} Created operator token "${token.name}" with ${token.scopes.join(', ')}${token.expiresAt ? `, expires ${token.expiresAt.toISOString()}` : ''}`)
    this.log(`Token (shown once; store it now):\n  ${token.token}`)
    return token
  }
}
