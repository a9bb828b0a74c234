import {Args, Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import type {SubdomainSuggestResult} from '../../lib/results.js'

export default class SubdomainSuggest extends BaseCommand<typeof SubdomainSuggest> {
  static override hiddenAliases = ['suggest_subdomains']
  static override description = describe('Suggest free subdomains derived from a name or any text.')
  static override examples = [
    '<%= config.bin %> subdomain suggest "Acme Corp"',
    '<%= config.bin %> suggest_subdomains "acme corp"',
    '<%= config.bin %> subdomain suggest "Café Zürich" --count 8 --json',
  ]
  static override args = {text: Args.string({description: 'the organisation name or other text', required: true})}
  static override flags = {count: Flags.integer({description: 'how many suggestions', default: 5, min: 1, max: 20})}

  async run(): Promise<SubdomainSuggestResult> {
    const {suggestSubdomains} = await import('../../lib/subdomains.js')
    const suggestions = await suggestSubdomains((await this.database()).sql, this.args.text, this.flags.count)
    for (const s of suggestions) this.log(s)
    return {text: this.args.text, suggestions}
  }
}
