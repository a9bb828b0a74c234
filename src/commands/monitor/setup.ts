import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {tenantArg} from '../../flags.js'
import type {MonitorSetupResult} from '../../lib/results.js'

export default class MonitorSetup extends BaseCommand<typeof MonitorSetup> {
  static override description = describe(
    "Set a tenant's quota alert thresholds and notification channels (the guide's setup_tenant_monitoring). Thresholds are fractions of the quota (0.8 = 80%); defaults: storage 0.8, users, assets and devices 0.9. Channels: email:ADDRESS, slack:CHANNEL or webhook:https://URL. Flags not given keep their current values.",
  )
  static override examples = [
    '<%= config.bin %> monitor setup client-org --storage-threshold 0.8 --user-threshold 0.9 --asset-threshold 0.9 --channel email:admin@client.com --channel slack:tenant-alerts',
    '<%= config.bin %> monitor setup client-org --device-threshold 0.75 --json',
  ]
  static override args = {tenant: tenantArg}
  static override flags = {
    'storage-threshold': Flags.string({description: 'alert at this fraction of the storage quota', helpValue: '0.8'}),
    'user-threshold': Flags.string({description: 'alert at this fraction of max users', helpValue: '0.9'}),
    'asset-threshold': Flags.string({description: 'alert at this fraction of max assets', helpValue: '0.9'}),
    'device-threshold': Flags.string({description: 'alert at this fraction of max devices', helpValue: '0.9'}),
    channel: Flags.string({description: 'where alerts go: email:ADDRESS, slack:CHANNEL, webhook:https://URL (repeatable; replaces the list)', multiple: true, helpValue: 'KIND:TARGET'}),
  }

  async run(): Promise<MonitorSetupResult> {
    const {setupMonitoring} = await import('../../lib/monitoring.js')
    const {keyValues, symbols} = await import('../../ui/format.js')
    const f = this.flags
    const names: Record<string, string> = {storageThreshold: '--storage-threshold', userThreshold: '--user-threshold', assetThreshold: '--asset-threshold', deviceThreshold: '--device-threshold', channels: '--channel'}
    const config = await setupMonitoring((await this.database()).sql, this.args.tenant, {
      storageThreshold: f['storage-threshold'], userThreshold: f['user-threshold'], assetThreshold: f['asset-threshold'], deviceThreshold: f['device-threshold'], channels: f.channel,
    }, await this.context(), (path) => names[String(path[0])] ?? path.join('.'))
    const pct = (n: number) => `${Math.round(n * 100)}%`
    this.log(`${symbols.ok} Monitoring for ${config.subdomain}\n`)
    this.log(keyValues([
      ['storage', pct(config.thresholds.storage)], ['users', pct(config.thresholds.users)], ['assets', pct(config.thresholds.assets)], ['devices', pct(config.thresholds.devices)],
      ['channels', config.channels.join(', ') || 'none (breaches are reported, not sent)'],
    ]))
    return config
  }
}
