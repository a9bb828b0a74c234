import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../base.js'
import type {WorkerLogEntry} from '../lib/queue/worker.js'
import type {WorkerResult} from '../lib/results.js'

export default class Worker extends BaseCommand<typeof Worker> {
  static override description = describe(
    `Take provisioning jobs from the queue until stopped: the runs queued with \`tenant bulk-create FILE --queue\` and \`tenant provision FILE --queue\`. Start as many workers as you like, on this machine or others, against the same database; each job (a batch of rows) goes to one of them.

SIGTERM or Ctrl-C: take no new job, finish the running ones, exit 0. A worker killed outright (SIGKILL, a crash, a lost machine) loses nothing: its jobs go back to the queue once its heartbeats stop (about 10 to 30 seconds) and another worker does them; each row is created once, whole, in the transaction that marks it done.

Logs one line per job on stdout (one JSON object a line with --json): the run, the batch and its counts, never a token, password or key.

--monitor-every INTERVAL also runs \`monitor check --all\` at that interval, once for the whole cluster however many workers run it.`,
  )
  static override examples = [
    '<%= config.bin %> worker',
    '<%= config.bin %> worker --concurrency 4 --json',
    '<%= config.bin %> worker --monitor-every 5m',
  ]
  static override flags = {
    concurrency: Flags.integer({description: 'jobs run at once by this process', default: 2, min: 1, max: 32}),
    'monitor-every': Flags.string({description: 'also run `monitor check --all` this often, once in the cluster (whole minutes, 1m to 24h: 1m, 5m, 1h)', helpValue: 'INTERVAL'}),
  }

  async run(): Promise<WorkerResult> {
    const {parseInterval, startWorker} = await import('../lib/queue/worker.js')
    const monitorEveryMinutes = this.flags['monitor-every'] === undefined ? undefined : parseInterval(this.flags['monitor-every'])
    const {sql} = await this.database()
    const ctx = await this.context()
    const json = this.jsonEnabled()
    const {escapeControls} = await import('../lib/text.js')
    const log = (entry: WorkerLogEntry) => process.stdout.write(json ? `${JSON.stringify({at: new Date().toISOString(), ...entry})}\n` : `${escapeControls(formatEntry(entry))}\n`)
    // the base command's Ctrl-C leaves at once; a worker first hands its jobs back
    process.removeAllListeners('SIGINT')
    const signalled = new Promise<NodeJS.Signals>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal))
    })
    const worker = await startWorker(sql, {concurrency: this.flags.concurrency, monitorEveryMinutes, ctx, log})
    await signalled
    await worker.stop()
    return {stopped: true}
  }

  /** The result as one line, after the log lines. */
  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json)}\n`)
  }
}

function formatEntry(entry: WorkerLogEntry): string {
  const at = new Date().toISOString()
  switch (entry.event) {
    case 'job':
      if (entry.queue === 'provision') {
        return `${at} provision job ${entry.job} run ${entry.runId} batch ${entry.batch}: ${entry.rows} rows, ${entry.created} created, ${entry.unchanged} unchanged, ${entry.failed} failed${entry.skipped ? `, ${entry.skipped} skipped` : ''} (${entry.ms} ms)`
      }
      if (entry.queue === 'deliver') return `${at} deliver job ${entry.job}: ${entry.type} ${entry.deliveryId} to ${entry.channel}${entry.sent ? '' : ' (delivered before)'} (${entry.ms} ms)`
      return `${at} monitor job ${entry.job}: ${entry.checked} tenants checked, ${entry.queued} notifications queued, ${entry.cleared} cleared (${entry.ms} ms)`
    case 'error':
      return `${at} ${entry.source} error (retried): ${entry.code}: ${entry.message}`
    case 'job-failed':
      return `${at} ${entry.queue} job ${entry.job}${entry.runId ? ` run ${entry.runId} batch ${entry.batch}` : ''} failed (retried): ${entry.code}: ${entry.message} (${entry.ms} ms)`
    default:
      return `${at} worker ${entry.event} (concurrency ${entry.concurrency}${entry.monitorEveryMinutes ? `, monitor check every ${entry.monitorEveryMinutes} min` : ''})`
  }
}
