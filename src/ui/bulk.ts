/** Summaries and report files of bulk runs (their progress: progress.ts). */
import type {FileHandle} from 'node:fs/promises'

import type {BulkReport, RowResult} from '../lib/bulk/provision.js'
import {AppError} from '../lib/errors.js'
import {checkTarget, createExclusive, type FileErrors} from '../lib/files.js'
import {csvCell} from './csv.js'
import {placeText} from './format.js'
import {escapeControls} from '../lib/text.js'

/** The guide's summary: Successful, Failed, and each failed tenant with its reason. */
export function formatSummary(report: BulkReport): string {
  const failed = report.rows.filter((r) => r.outcome === 'failed')
  const lines = [
    `${report.dryRun ? 'Dry run complete (nothing was written)' : 'Provisioning complete'}:`,
    `  Successful: ${report.created + report.unchanged}${report.unchanged > 0 ? ` (${report.created} ${report.dryRun ? 'would be created' : 'created'}, ${report.unchanged} unchanged)` : ''}`,
    `  Failed: ${report.failed}`,
  ]
  if (failed.length > 0) {
    lines.push('', 'Failed tenants:')
    for (const r of failed) lines.push(`  - ${r.name} (${placeText(r)}): ${r.error?.code}: ${r.error?.message}${r.error?.field ? ` [${r.error.field}]` : ''}`)
  }
  if (report.errors.length > failed.length) {
    lines.push('', `Every problem (${report.errors.length}):`)
    for (const e of report.errors) lines.push(`  ${placeText(e)}${e.field ? `, ${e.field}` : ''}: ${e.code}: ${e.message}`)
  }
  if (report.stopped) lines.push('', 'Stopped at the first problem (--stop-on-error); nothing after it was written.')
  // names and messages come from the input file: its control characters are shown, not sent to the terminal
  return lines.map(escapeControls).join('\n')
}

/**
 * Per-row results with one-time invitation tokens: JSON for *.json, CSV
 * otherwise; mode 0600. Rows are written as they are settled (the refused and
 * unchanged ones after validation, the created ones just before each batch
 * commits), so a run that is killed leaves the tokens of every tenant it
 * created. An existing file is never overwritten: it may hold the tokens of an
 * earlier run.
 */
export class ReportFile {
  #file?: Promise<FileHandle>
  /** writes in the order they were asked for (batches commit concurrently) */
  #written: Promise<unknown> = Promise.resolve()
  #rows = 0
  readonly #json: boolean

  private constructor(private readonly path: string) {
    this.#json = path.endsWith('.json')
  }

  /** A report to be written at `path`, which must not exist; the file itself is made with the first rows. */
  static async create(path: string): Promise<ReportFile> {
    // found now rather than after the file has been validated
    await checkTarget(path, REPORT_ERRORS)
    return new ReportFile(path)
  }

  #open(): Promise<FileHandle> {
    this.#file ??= (async () => {
      const file = await createExclusive(this.path, REPORT_ERRORS)
      await file.write(this.#json ? '{\n"rows": [\n' : `${REPORT_COLUMNS.join(',')}\n`)
      return file
    })()
    return this.#file
  }

  #write(text: string): Promise<unknown> {
    this.#written = this.#written.then(async () => (await this.#open()).write(text))
    return this.#written
  }

  async add(rows: RowResult[]): Promise<void> {
    if (rows.length === 0) return
    const text = this.#json
      ? rows.map((r) => `${this.#rows++ > 0 ? ',' : ''}${JSON.stringify(r)}\n`).join('')
      : rows.map((r) => `${[
        r.line, r.name, r.subdomain, r.outcome, r.tenantId, r.accessUrl,
        (r.invitations ?? []).map((i) => `${i.role}:${i.email}:${i.token}`).join(' '), r.error?.code, r.error?.message, r.record,
      ].map(csvCell).join(',')}\n`).join('')
    await this.#write(text)
  }

  /** The run's details after the rows (JSON), and the file closed; a run that failed before any row leaves no file. */
  async close(report?: BulkReport): Promise<void> {
    if (!this.#file && !report) return
    try {
      await this.#written.catch(() => undefined)
      if (this.#json) {
        const run = report ? {runId: report.runId, file: report.file, sha256: report.sha256, dryRun: report.dryRun, complete: !report.stopped} : {complete: false}
        await this.#write(`],\n${JSON.stringify(run).slice(1, -1)}\n}\n`)
      }
    } finally {
      await (await this.#open()).close()
    }
  }
}

const REPORT_ERRORS: FileErrors = {
  exists: (path) =>
    new AppError('REPORT_EXISTS', `${path} exists; it may hold the one-time invitation tokens of an earlier run.`, {
      field: 'report',
      suggestions: ['Choose another --report file, or move that one away first.'],
    }),
  unwritable: (path, error) =>
    new AppError('REPORT_UNWRITABLE', `Cannot create ${path}: ${error.code === 'ENOENT' ? 'no such directory' : error.code === 'EACCES' ? 'the directory is not writable' : error.message}.`, {field: 'report', cause: error}),
}

// record: a JSON config's record number (empty for CSV input), last so that the columns before it keep their places
const REPORT_COLUMNS = ['line', 'name', 'subdomain', 'outcome', 'tenant_id', 'access_url', 'invitations', 'error_code', 'error_message', 'record']
