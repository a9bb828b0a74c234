import {Args} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {AppError, ExitCode} from '../../lib/errors.js'
import type {SubdomainCheckResult} from '../../lib/results.js'

export default class SubdomainCheckCommand extends BaseCommand<typeof SubdomainCheckCommand> {
  static override hiddenAliases = ['check_subdomain']
  static override description = describe(
    'Check whether a subdomain is available, with the reason when it is not.\n\nExits 0 when available, 4 when taken, 2 when invalid or reserved.',
  )
  static override examples = [
    '<%= config.bin %> subdomain check acme-corp',
    '<%= config.bin %> check_subdomain acme-corp',
    '<%= config.bin %> subdomain check www --json',
  ]
  static override args = {subdomain: Args.string({description: 'the subdomain to check', required: true})}

  async run(): Promise<SubdomainCheckResult> {
    const {checkSubdomain} = await import('../../lib/subdomains.js')
    const {symbols} = await import('../../ui/format.js')
    const result = await checkSubdomain((await this.database()).sql, this.args.subdomain)
    this.log(`${result.available ? symbols.ok : symbols.fail} ${result.reason}`)
    if (result.suggestions.length > 0) this.log(`  ${symbols.arrow} free: ${result.suggestions.join(', ')}`)
    if (!result.available) {
      this.fail(new AppError('SUBDOMAIN_UNAVAILABLE', result.reason, {
        exit: result.status === 'taken' ? ExitCode.conflict : ExitCode.usage,
        field: 'SUBDOMAIN',
        suggestions: result.suggestions,
      }))
    }
    return result
  }
}
