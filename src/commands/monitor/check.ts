import {Args, Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {AppError} from '../../lib/errors.js'
import type {MonitorCheckResult} from '../../lib/results.js'

export default class MonitorCheck extends BaseCommand<typeof MonitorCheck> {
  static override description = describe(
    `Compare usage against quota against each threshold, for one tenant or all. Each breach is queued once per channel in the notification outbox (not again on every run) and cleared when usage drops below the threshold.

Exits 10 when any threshold is breached, so cron can act on it: 0 all clear, 10 breaches found.`,
  )
  static override examples = [
    '<%= config.bin %> monitor check client-org',
    '<%= config.bin %> monitor check --all --json',
    '*/15 * * * * anthias monitor check --all --no-input >> /var/log/anthias-monitor.log 2>&1',
  ]
  static override args = {tenant: Args.string({description: 'subdomain or tenant id'})}
  static override flags = {all: Flags.boolean({description: 'every tenant'})}

  async run(): Promise<MonitorCheckResult> {
    if (!this.args.tenant === !this.flags.all) throw new AppError('USAGE', 'Give a tenant or --all.', {field: 'TENANT'})
    const {checkMonitoring, checkOutcome} = await import('../../lib/monitoring.js')
    const {symbols, table} = await import('../../ui/format.js')
    const result = await checkMonitoring((await this.database()).sql, this.args.tenant)
    const pct = (n: number) => `${Math.round(n * 100)}%`
    if (result.breaches.length === 0) this.log(`${symbols.ok} ${result.checked} tenant(s) checked: no threshold breached`)
    else {
      // channels by kind only, to fit 80 columns: --json and monitor setup have them in full
      this.log(table(['tenant', 'metric', 'usage', 'alert at', 'queued now'], result.breaches.map((b) => [b.subdomain, b.metric, `${b.used}/${b.limit} ${pct(b.ratio)}`, pct(b.threshold), b.queued.map((c) => c.split(':')[0]).join(', ') || '-'])))
      this.log(`${result.breaches.length} breach(es) in ${result.checked} tenant(s); ${result.queued} notification(s) queued, ${result.cleared} cleared`)
    }
    const outcome = checkOutcome(result)
    if (outcome) this.fail(outcome)
    return result
  }
}
