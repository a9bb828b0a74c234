import {describe} from '../../base.js'
import {listFlags} from '../../flags.js'
import {ListCommand} from '../../list-command.js'
import type {OperatorToken} from '../../lib/operator-tokens.js'
import type {TokenListResult} from '../../lib/results.js'

export default class TokenList extends ListCommand<typeof TokenList> {
  static override description = describe(
    'List the operator tokens of the HTTP API, oldest first: name, scopes, created, expires, last used, revoked. Never the token. A page at a time (100 by default; --all for every one); --json gives {items, nextCursor, total}.',
  )
  static override examples = ['<%= config.bin %> token list', '<%= config.bin %> token list --json', '<%= config.bin %> token list --all --csv --columns name,scopes,revoked']
  static override flags = listFlags(100)

  async run(): Promise<TokenListResult | undefined> {
    const {listOperatorTokens} = await import('../../lib/operator-tokens.js')
    const {sql} = await this.database()
    const day = (d: Date | null) => d?.toISOString().slice(0, 10)
    return this.list<OperatorToken>({
      columns: [
        {name: 'name', value: (t) => t.name},
        {name: 'scopes', value: (t) => t.scopes.join(' ')},
        {name: 'created', value: (t) => day(t.createdAt)},
        {name: 'expires', value: (t) => day(t.expiresAt) ?? 'never'},
        {name: 'last-used', value: (t) => day(t.lastUsedAt) ?? 'never'},
        {name: 'revoked', value: (t) => day(t.revokedAt)},
        {name: 'created-by', value: (t) => t.createdBy},
        {name: 'id', value: (t) => t.id},
      ],
      defaults: ['name', 'scopes', 'created', 'expires', 'last-used', 'revoked'],
      empty: 'No operator tokens.',
      fetch: (page) => listOperatorTokens(sql, page),
    })
  }
}
