import {Args, type Command, Flags} from '@oclif/core'

import {BaseCommand} from './base.js'
import {EXIT_CODE} from './exit-codes.js'
import type {DocumentEnd} from './json-stream.js'
import {PACE} from './lib/bulk/pace.js'
import type {BulkReport} from './lib/bulk/provision.js'
import type {Source} from './lib/bulk/sources.js'
import {AppError} from './lib/errors.js'
import type {Input} from './lib/input.js'
import type {BulkReportResult, BulkResult, EnqueueResult} from './lib/results.js'

const BULK_PHASES = [
  {key: 'validate', title: 'Parse and validate every row'},
  {key: 'conflicts', title: 'Check conflicts with the database (one query)'},
  {key: 'provision', title: 'Provision tenants', unit: 'tenants'},
  {key: 'verify', title: 'Verify created tenants', unit: 'tenants'},
]

/** What `tenant bulk-create` and `tenant provision` share: flags, progress, report, summary, exit code. */
export abstract class BulkCommand<T extends typeof Command> extends BaseCommand<T> {
  static override args = {file: Args.string({description: 'the input file'})}
  static override flags = {
    'dry-run': Flags.boolean({description: 'do the real work in transactions that are rolled back; report what a real run would create, skip or refuse'}),
    concurrency: Flags.integer({description: 'batches written at once', default: 2, min: 1, max: 16}),
    rate: Flags.integer({description: 'at most this many tenants per second', min: PACE.rate.min, max: PACE.rate.max}),
    'stop-on-error': Flags.boolean({description: 'stop at the first problem; a file with any invalid row writes nothing (default: continue, exit 68)'}),
    'batch-size': Flags.integer({description: 'tenants per transaction', default: PACE.batchSize.default, min: PACE.batchSize.min, max: PACE.batchSize.max}),
    report: Flags.string({description: 'write per-row results with tenant ids, access URLs and one-time invitation tokens as the run goes (a new file, mode 0600; JSON for *.json, else CSV)', helpValue: 'FILE'}),
    template: Flags.boolean({description: 'print an example input file that works as it is, then exit'}),
    queue: Flags.boolean({
      description: 'validate every row, then queue the tenants as one run for `anthias worker` processes instead of creating them here; prints the run id (see `run wait`). A file with any problem queues nothing',
      exclusive: ['dry-run', 'stop-on-error', 'report', 'concurrency'],
    }),
  }

  protected abstract source(input: Input): Promise<Source>
  /** An example input file whose tenants do not clash with the quick start's. */
  protected abstract template(): Promise<string>

  async run(): Promise<BulkResult> {
    if ((this.flags as {template: boolean}).template) {
      const template = await this.template()
      this.log(template)
      return {template}
    }
    return (this.flags as {queue: boolean}).queue ? this.enqueue() : this.provision()
  }

  protected async enqueue(): Promise<EnqueueResult> {
    const file = this.args.file as string | undefined
    if (!file) throw new AppError('MISSING_INPUT', 'Missing the FILE argument.', {field: 'FILE'})
    const {fileInput} = await import('./inputs.js')
    const source = await this.source(await fileInput(file, 'FILE'))
    const {enqueueOutcome, enqueueSource} = await import('./lib/queue/runs.js')
    const {sql} = await this.database()
    const ctx = await this.context()
    const f = this.flags as {rate?: number; 'batch-size': number}
    const report = await this.withProgress(BULK_PHASES.slice(0, 2), () => 'nothing was queued', (onProgress) =>
      enqueueSource(sql, source, ctx, {
        rate: f.rate, batchSize: f['batch-size'],
        onProgress: (p) => onProgress({phase: p.phase, rows: p.done, totalRows: p.phase === 'validate' ? undefined : p.total}),
      }))
    const {formatEnqueue} = await import('./ui/run.js')
    this.log(formatEnqueue(report, this.config.bin))
    const refused = enqueueOutcome(report)
    if (refused) this.fail(refused)
    return {...report, errors: report.errors.map((e) => e.toJSON())}
  }

  protected async provision(): Promise<BulkReportResult> {
    const file = this.args.file as string | undefined
    if (!file) throw new AppError('MISSING_INPUT', 'Missing the FILE argument.', {field: 'file'})
    const {fileInput} = await import('./inputs.js')
    const source = await this.source(await fileInput(file, 'file'))
    const {provisionFromSource} = await import('./lib/bulk/provision.js')
    const {bulkOutcome, invitationTokens, publicReport, publicRow} = await import('./lib/bulk/report.js')
    const {formatSummary, ReportFile} = await import('./ui/bulk.js')
    const {JsonStream} = await import('./json-stream.js')
    const {sql} = await this.database()
    const ctx = await this.context()
    const f = this.flags as {'dry-run': boolean; concurrency: number; rate?: number; 'stop-on-error': boolean; 'batch-size': number; report?: string}
    const reportFile = f.report ? await ReportFile.create(f.report) : undefined
    // --json: every row's result streamed into the document as the run settles it, not kept
    const document = this.jsonEnabled() ? new JsonStream('rows') : undefined
    this.#document = document
    let created = 0
    const interrupted = () => (f['dry-run'] ? 'nothing was written (dry run)' : `${created} created, re-run the same file to finish`)
    let report: BulkReport | undefined
    try {
      report = await this.withProgress(BULK_PHASES, interrupted, (onProgress) => {
        // Ctrl-C also ends a document that has begun, whole
        const progress = this.interruption
        this.interruption = {note: interrupted, stop: () => {
          progress?.stop?.()
          if (document?.begun) document.close({}, {status: EXIT_CODE.interrupted, error: interruptedError(interrupted()).toEnvelope((a) => this.commandLine(a)), warnings: this.warnings})
        }}
        return provisionFromSource(sql, source, ctx, {
          dryRun: f['dry-run'], concurrency: f.concurrency, rate: f.rate, stopOnError: f['stop-on-error'], batchSize: f['batch-size'],
          onProgress(p) {
            created = p.created ?? created
            // the rows read so far are all there is to know while validating
            onProgress({phase: p.phase, rows: p.done, totalRows: p.phase === 'validate' ? undefined : p.total})
          },
          onRows: reportFile && ((rows) => reportFile.add(rows)),
          // the report keeps the failed rows alone (for the summary): memory does not grow with the file
          onResults: (rows) => document?.add(rows.map(publicRow)),
        })
      })
    } finally {
      await reportFile?.close(report)
    }
    const tokens = invitationTokens(report)
    if (tokens > 0 && !f.report) this.warn(`${tokens} one-time invitation token(s) were created and not saved; pass --report FILE to keep them.`)
    this.log(formatSummary(report))
    if (f.report) this.log(`\nReport: ${f.report} (mode 0600: it holds one-time invitation tokens)`)
    const outcome = bulkOutcome(report)
    if (outcome) this.fail(outcome)
    // the rows are in the document already: the rest of the report ends it (logJson)
    const {rows, ...rest} = publicReport(report, (a) => this.commandLine(a))
    return document ? {...rest, rows: []} : {...rest, rows}
  }

  /** --json of a direct run: the document its rows are streamed into */
  #document?: InstanceType<typeof import('./json-stream.js').JsonStream>

  /** A streamed document ends with the rest of the report, or, after a failure, the error. */
  override logJson(json: unknown): void {
    if (!this.#document?.begun) super.logJson(json)
    else {
      const {result, ...end} = json as {result?: Record<string, unknown>} & DocumentEnd
      this.#document.close(result ?? {}, end)
    }
  }
}

const interruptedError = (note: string) => new AppError('INTERRUPTED', `Interrupted: ${note}.`, {suggestions: ['Run the same command again: rows already created are skipped.']})
