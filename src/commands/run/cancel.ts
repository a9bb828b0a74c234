import {BaseCommand, describe} from '../../base.js'
import type {RunStatusResult} from '../../lib/results.js'
import {runArg} from './show.js'

export default class RunCancel extends BaseCommand<typeof RunCancel> {
  static override description = describe('Cancel a queued run: its pending rows are not provisioned (a batch being written when you cancel still finishes); tenants already created stay. Cancelling a finished run changes nothing.')
  static override examples = ['<%= config.bin %> run cancel 3f0c9a4e-2b1d-4c8e-9f7a-1d2e3f4a5b6c']
  static override args = {id: runArg}

  async run(): Promise<RunStatusResult> {
    const {cancelRun} = await import('../../lib/queue/runs.js')
    const {formatRun} = await import('../../ui/run.js')
    const status = await cancelRun((await this.database()).sql, this.args.id)
    this.log(formatRun(status))
    return status
  }
}
