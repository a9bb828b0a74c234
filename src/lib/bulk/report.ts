/**
 * What a bulk run's report may show outside its report file, and what the run
 * amounts to. One-time invitation tokens exist only in the report file (the
 * CLI's --report, a caller's onRows): every other view of a report (a --json
 * document, an HTTP response, a log) gets their number instead.
 */
import {type Action, actionText, AppError} from '../errors.js'
import type {EnvelopeError} from '../envelope.js'
import type {BulkReport, RowResult} from './provision.js'

/** A row without its invitation tokens: how many there were. */
export type PublicRow = Omit<RowResult, 'invitations'> & {invitations: number}

/** A report without invitation tokens, its errors as plain objects (their actions rendered by `render`). */
export type PublicReport = Omit<BulkReport, 'rows' | 'errors' | 'invitations'> & {rows: PublicRow[]; errors: EnvelopeError[]}

/** A row without its invitation tokens. */
export const publicRow = ({invitations, ...row}: RowResult): PublicRow => ({...row, invitations: invitations?.length ?? 0})

export function publicReport(report: BulkReport, render: (action: Action) => string = actionText): PublicReport {
  const {invitations, ...rest} = report
  return {...rest, errors: report.errors.map((e) => e.toEnvelope(render)), rows: report.rows.map(publicRow)}
}

/** The one-time invitation tokens a run created (a dry run's are rolled back with it). */
export const invitationTokens = (report: BulkReport): number => (report.dryRun ? 0 : report.invitations)

/**
 * The error a finished run amounts to, if any: BULK_REFUSED when it stopped
 * with nothing created, BULK_PARTIAL when some rows failed.
 */
export function bulkOutcome(report: BulkReport): AppError | undefined {
  if (report.stopped && report.created === 0 && report.errors.length > 0) {
    return new AppError('BULK_REFUSED', `Nothing was created: ${report.errors.length} problem(s); see result.errors.`, {suggestions: ['Fix the rows named in result.errors and run again.']})
  }
  if (report.failed > 0) {
    return new AppError('BULK_PARTIAL', `${report.failed} row(s) failed, ${report.created} tenant(s) created; see result.errors.`, {suggestions: ['Fix the failed rows and run the same file again: rows already created are skipped.']})
  }
  return undefined
}
