import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {featureFlag, featuresFromFlags, flagFieldName, limitFlags, limitsFromFlags, tenantArg} from '../../flags.js'
import type {TenantUpdateResult} from '../../lib/results.js'

export default class TenantUpdate extends BaseCommand<typeof TenantUpdate> {
  static override description = describe(
    `Change a tenant's name, limits, features, contact, settings or custom domain.

Settings are deep-merged like the guide's settings.update; --unset removes a (dotted) key. Setting a custom domain prints the DNS record to create (CNAME to app. + ANTHIAS_BASE_DOMAIN) and the certificate step. With nothing to change (no flags, or only the values the tenant has), it says so, writes nothing and exits 0. Limits below current usage are refused (LIMIT_BELOW_USAGE, exit 4), and so is turning off api_access while the tenant has active API keys (FEATURE_IN_USE, exit 4), unless --force, which is audited and revokes those keys.`,
  )
  static override examples = [
    '<%= config.bin %> tenant update client-org --max-assets 1000 --max-users 50 --max-devices 25 --storage-quota 100',
    '<%= config.bin %> tenant update client-org --feature analytics_dashboard=true --feature api_access=true --feature custom_branding=true',
    '<%= config.bin %> tenant update client-org --custom-domain dashboard.client.com',
    '<%= config.bin %> tenant update client-org --setting theme=corporate --setting notifications.email=true --unset legacy_flag --json',
  ]
  static override args = {tenant: tenantArg}
  static override flags = {
    name: Flags.string({description: 'new display name'}),
    'contact-email': Flags.string({description: 'contact / billing address', helpValue: 'EMAIL', exclusive: ['clear-contact-email']}),
    'clear-contact-email': Flags.boolean({description: 'remove the contact address'}),
    ...limitFlags,
    ...featureFlag,
    setting: Flags.string({description: 'a setting to merge; dotted keys nest, JSON values parse (repeatable; settings: at most 32 levels, 64 KiB)', helpValue: 'KEY=VALUE', multiple: true}),
    'settings-file': Flags.string({description: 'a JSON object to deep-merge into the settings', helpValue: 'FILE'}),
    unset: Flags.string({description: 'remove a setting (dotted key, repeatable)', helpValue: 'KEY', multiple: true}),
    'custom-domain': Flags.string({description: 'set the custom domain', helpValue: 'HOST', exclusive: ['clear-custom-domain']}),
    'clear-custom-domain': Flags.boolean({description: 'remove the custom domain'}),
    force: Flags.boolean({description: 'apply limits below current usage, or turn off api_access and revoke the active API keys (audited)'}),
  }

  async run(): Promise<TenantUpdateResult> {
    const {updateTenant} = await import('../../lib/tenant-update.js')
    const {settingsFromAssignments, mergeSettings} = await import('../../lib/validation.js')
    const {readSettings} = await import('../../lib/input.js')
    const {textInput} = await import('../../inputs.js')
    const {formatTenant} = await import('../../ui/tenant.js')
    const {symbols} = await import('../../ui/format.js')
    const f = this.flags
    const fileSettings = f['settings-file'] ? await readSettings(textInput(f['settings-file']), '--settings-file') : {}
    const result = await updateTenant(
      (await this.database()).sql,
      this.args.tenant,
      {
        name: f.name,
        contactEmail: f['clear-contact-email'] ? null : f['contact-email'],
        ...limitsFromFlags(f),
        features: await featuresFromFlags(f.feature),
        settings: mergeSettings(fileSettings, settingsFromAssignments(f.setting ?? [])),
        unset: f.unset,
        customDomain: f['clear-custom-domain'] ? null : f['custom-domain'],
        force: f.force,
      },
      await this.context(),
      flagFieldName(),
    )
    if (!result.changed) {
      this.log(`Nothing to change: ${result.before.subdomain} already has these values.`)
      return result
    }
    for (const v of result.violations) this.warn(`forced below usage: ${v}`)
    for (const k of result.revokedApiKeys) this.warn(`revoked API key ${k.prefix} (${k.name}): api_access is off`)
    this.log(`${symbols.ok} Updated ${result.after.subdomain}\n`)
    this.log(formatTenant(result.after))
    if (result.dns) {
      this.log(`\nDNS record to create:\n  ${result.dns.name}.  CNAME  ${result.dns.value}.`)
      this.log(`Then issue a TLS certificate for ${result.dns.name} (e.g. ACME HTTP-01 once the CNAME resolves).`)
    }
    return result
  }
}
