import {BaseCommand, describe} from '../../base.js'
import {AppError} from '../../lib/errors.js'
import type {RunStatusResult} from '../../lib/results.js'
import {runArg} from './show.js'

export default class RunWait extends BaseCommand<typeof RunWait> {
  static override description = describe('Wait until a queued run has no pending row, printing its progress (a line every few seconds on stderr), then its summary. Exit 0 when every row was created or unchanged, 68 when some failed (see run retry), 1 when the run was cancelled. Needs workers running (anthias worker) to make progress.')
  static override examples = ['<%= config.bin %> run wait 3f0c9a4e-2b1d-4c8e-9f7a-1d2e3f4a5b6c', '<%= config.bin %> run wait 3f0c9a4e-2b1d-4c8e-9f7a-1d2e3f4a5b6c --json']
  static override args = {id: runArg}

  async run(): Promise<RunStatusResult> {
    const {waitForRun} = await import('../../lib/queue/runs.js')
    const {formatRun, formatRunLine} = await import('../../ui/run.js')
    let last = 0
    const status = await waitForRun((await this.database()).sql, this.args.id, (s) => {
      if (this.jsonEnabled() || Date.now() - last < 5000) return
      last = Date.now()
      process.stderr.write(`${formatRunLine(s)}\n`)
    })
    this.log(formatRun(status))
    if (status.status === 'cancelled') {
      this.fail(new AppError('RUN_CANCELLED', `Run ${status.id} was cancelled: ${status.counts.cancelled} row(s) not provisioned.`))
    } else if (status.counts.failed > 0) {
      this.fail(new AppError('BULK_PARTIAL', `${status.counts.failed} row(s) failed, ${status.counts.created} tenant(s) created; see result.failures.`, {suggestions: [{command: 'run.retry', args: {id: status.id}, text: 'Fix the cause and run `{command}`.'}]}))
    }
    return status
  }
}
