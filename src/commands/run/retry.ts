import {BaseCommand, describe} from '../../base.js'
import type {RunRetryResult} from '../../lib/results.js'
import {runArg} from './show.js'

export default class RunRetry extends BaseCommand<typeof RunRetry> {
  static override description = describe('Queue the failed rows of a queued run again (only those: created, unchanged and cancelled rows stay as they are), for the workers to try once more. Fix the cause first (a subdomain taken by another tenant fails again).')
  static override examples = ['<%= config.bin %> run retry 3f0c9a4e-2b1d-4c8e-9f7a-1d2e3f4a5b6c', '<%= config.bin %> run retry 3f0c9a4e-2b1d-4c8e-9f7a-1d2e3f4a5b6c && anthias run wait 3f0c9a4e-2b1d-4c8e-9f7a-1d2e3f4a5b6c']
  static override args = {id: runArg}

  async run(): Promise<RunRetryResult> {
    const {retryRun} = await import('../../lib/queue/runs.js')
    const {formatRun} = await import('../../ui/run.js')
    const status = await retryRun((await this.database()).sql, this.args.id)
    this.log(`Queued ${status.retried} failed row(s) again.\n${formatRun(status)}`)
    return status
  }
}
