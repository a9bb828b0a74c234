/**
 * Errors from the PostgreSQL driver (and anything else thrown) as AppErrors:
 * the one mapping every front end uses. A front end maps its own errors
 * (the CLI: parse errors, Ctrl-C in a prompt) first, then calls toAppError.
 */
import {type Action, AppError} from './errors.js'
import {quotaExceeded} from './usage.js'

/**
 * A lock or statement timeout from PostgreSQL (55P03 lock_not_available,
 * 57014 query_canceled by statement_timeout) as an AppError naming what was
 * locked (`subject`, e.g. the tenant) and what to run again; undefined for
 * any other error.
 */
export function timeoutError(error: unknown, subject?: string, retry?: Action): AppError | undefined {
  const e = error as {code?: string; message?: string}
  const again = retry ? {...retry, text: 'Run `{command}` again when the other transaction has ended.'} : 'Run the command again when the other transaction has ended.'
  if (e?.code === '55P03') {
    return new AppError('LOCK_TIMEOUT', `${subject ?? 'A row this command needs'} is locked by another transaction; gave up waiting (lock_timeout). Nothing was changed.`, {
      cause: error,
      details: subject ? {subject} : undefined,
      suggestions: [again, 'Set ANTHIAS_LOCK_TIMEOUT to wait longer (default 10s).'],
    })
  }
  if (e?.code === '57014' && /statement timeout/i.test(e.message ?? '')) {
    return new AppError('STATEMENT_TIMEOUT', `A statement${subject ? ` on ${subject}` : ''} ran past the statement timeout and was cancelled. Nothing was changed.`, {
      cause: error,
      details: subject ? {subject} : undefined,
      suggestions: [again, 'Set ANTHIAS_STATEMENT_TIMEOUT to allow longer (default 60s for commands that act on one tenant).'],
    })
  }
  return undefined
}

/**
 * Any thrown value as an AppError: an AppError as it is, a quota refusal as
 * QUOTA_EXCEEDED, a lock or statement timeout as LOCK_TIMEOUT or
 * STATEMENT_TIMEOUT (naming `subject` and the `retry` command), anything
 * else as OPERATION_FAILED keeping its cause.
 */
export function toAppError(error: unknown, options: {subject?: string; retry?: Action} = {}): AppError {
  if (error instanceof AppError) return error
  const known = quotaExceeded(error) ?? timeoutError(error, options.subject, options.retry)
  if (known) return known
  return new AppError('OPERATION_FAILED', (error as Error)?.message ?? String(error), {
    cause: error,
    suggestions: ['Run again with DEBUG=1 for details.'],
  })
}
