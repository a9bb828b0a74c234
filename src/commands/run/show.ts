import {Args} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import type {RunStatusResult} from '../../lib/results.js'

export const runArg = Args.string({description: 'the run id (tenant bulk-create --queue prints it; see run list)', required: true})

export default class RunShow extends BaseCommand<typeof RunShow> {
  static override description = describe('Show a provisioning run, queued or direct: its rows counted by state (pending, created, unchanged, failed, cancelled), the failed rows with their error codes, the rate over the last minute and the ETA.')
  static override examples = ['<%= config.bin %> run show 3f0c9a4e-2b1d-4c8e-9f7a-1d2e3f4a5b6c', '<%= config.bin %> run show 3f0c9a4e-2b1d-4c8e-9f7a-1d2e3f4a5b6c --json']
  static override args = {id: runArg}

  async run(): Promise<RunStatusResult> {
    const {runStatus} = await import('../../lib/queue/runs.js')
    const {formatRun} = await import('../../ui/run.js')
    const status = await runStatus((await this.database()).sql, this.args.id)
    this.log(formatRun(status))
    return status
  }
}
