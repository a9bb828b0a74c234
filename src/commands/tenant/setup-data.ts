import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import type {TenantSetupDataResult} from '../../lib/results.js'

export default class TenantSetupData extends BaseCommand<typeof TenantSetupData> {
  static override hiddenAliases = ['setup_tenant_data']
  static override description = describe(
    'Create the initial data of a tenant: the guide\'s "Welcome to Anthias" asset, created by the owner, and default settings (timezone UTC, locale en, theme default) where none are set. Running it again changes nothing. The welcome asset counts against max_assets: a tenant with no asset left gets QUOTA_EXCEEDED (exit 4).',
  )
  static override examples = ['<%= config.bin %> setup_tenant_data --tenant client-org', '<%= config.bin %> tenant setup-data --tenant client-org --json']
  static override flags = {tenant: Flags.string({description: 'subdomain or tenant id', helpValue: 'T', required: true})}

  async run(): Promise<TenantSetupDataResult> {
    const {setupTenantData} = await import('../../lib/setup-data.js')
    const {symbols} = await import('../../ui/format.js')
    const result = await setupTenantData((await this.database()).sql, this.flags.tenant, await this.context())
    if (result.created.length === 0) this.log(`${symbols.ok} ${result.subdomain}: initial data already in place; nothing changed`)
    for (const c of result.created) this.log(`${symbols.ok} created ${c}`)
    return result
  }
}
