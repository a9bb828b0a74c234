import {describe} from '../../base.js'
import {BulkCommand} from '../../bulk-command.js'
import type {Source} from '../../lib/bulk/sources.js'
import type {Input} from '../../lib/input.js'

export default class TenantProvision extends BulkCommand<typeof TenantProvision> {
  static override hiddenAliases = ['provision_from_config']
  static override description = describe(
    `Provision tenants from the provisioning guide's JSON configuration file: an array of {"tenant": {name, subdomain, plan_type, contact_email, max_assets, ...}, "users": [{email, role, permissions}], "features": {NAME: true|false}, "settings": {...}}.

Same validation, dry run, per-tenant atomicity, report and summary as bulk-create. Users are invited with one-time tokens (see --report). Exit 68 when some tenants failed.`,
  )
  static override examples = [
    '<%= config.bin %> tenant provision --template > tenant_configs.json',
    '<%= config.bin %> provision_from_config tenant_configs.json --dry-run',
    '<%= config.bin %> tenant provision tenant_configs.json --report results.json',
    '<%= config.bin %> tenant provision tenant_configs.json --json --no-input',
    '<%= config.bin %> tenant provision tenant_configs.json --queue --json   # for anthias worker processes',
  ]

  protected async source(input: Input): Promise<Source> {
    const {configSource} = await import('../../lib/bulk/sources.js')
    return configSource(input)
  }

  protected async template(): Promise<string> {
    const {CONFIG_TEMPLATE} = await import('../../lib/bulk/sources.js')
    return CONFIG_TEMPLATE
  }
}
