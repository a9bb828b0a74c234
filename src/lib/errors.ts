/**
 * Errors with a stable code (src/lib/error-catalogue.ts), a message a person
 * understands, the input they concern, and what to do next. The kind comes
 * from the catalogue; each front end maps it to its own signal (the CLI's exit
 * codes: src/exit-codes.ts). Library callers can switch on `code` or `kind`.
 */
import {ERROR_CATALOGUE, type CatalogueEntry, type ErrorCode, type ErrorKind} from './error-catalogue.js'
import type {EnvelopeError} from './envelope.js'

export type {ErrorCode, ErrorKind} from './error-catalogue.js'

/**
 * A command to run next, as data each front end renders (the CLI as a command
 * line, an HTTP API as a link or a field). `command` is the command's id with
 * dots (`tenant.update`; '' for the program itself); `args` its inputs by
 * neutral name (`subdomain`, `maxUsers`): a value, `true` for a switch, or
 * null for a value the user fills in (rendered as its name: EMAIL). `text`
 * is the sentence around it, with `{command}` where the command goes.
 */
export interface Action {
  command: string
  args?: Record<string, string | number | boolean | null>
  text?: string
}

/** A suggestion: a plain hint (a valid value, a piece of advice), or a command to run. */
export type Hint = string | Action

export const isAction = (hint: Hint): hint is Action => typeof hint !== 'string'

/**
 * An action as neutral text, for callers with no renderer of their own:
 * `tenant.update subdomain=acme maxUsers=2`.
 */
export function actionText(action: Action): string {
  const args = Object.entries(action.args ?? {}).map(([k, v]) => (v === true ? k : `${k}=${v === null ? k.toUpperCase() : v}`))
  const command = [action.command, ...args].filter(Boolean).join(' ')
  return action.text ? action.text.replace('{command}', command) : command
}

export interface AppErrorOptions {
  /** the input the error concerns: a neutral id (`subdomain`, `confirmName`, `file`), a CSV column with `line`, a JSON path */
  field?: string
  /** 1-based line of an input file */
  line?: number
  /** 1-based column of that line (a JSON config's value) */
  column?: number
  /** 1-based number of the record a JSON config's problem is in (records may share a line) */
  record?: number
  /** what to do next, or valid alternatives */
  suggestions?: Hint[]
  /** where one code covers kinds that differ by case (subdomain check: taken or invalid) */
  kind?: ErrorKind
  cause?: unknown
  details?: Record<string, unknown>
}

export class AppError extends Error {
  readonly code: ErrorCode
  readonly kind: ErrorKind
  readonly field?: string
  readonly line?: number
  readonly column?: number
  readonly record?: number
  readonly suggestions: Hint[]
  readonly details?: Record<string, unknown>

  constructor(code: ErrorCode, message?: string, options: AppErrorOptions = {}) {
    // a code outside the catalogue does not compile; from plain JavaScript it is a failure
    const entry: CatalogueEntry | undefined = ERROR_CATALOGUE[code]
    super(message ?? entry?.message ?? code, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'AppError'
    this.code = code
    this.kind = options.kind ?? entry?.kind ?? 'failed'
    this.field = options.field
    this.line = options.line
    this.column = options.column
    this.record = options.record
    this.suggestions = options.suggestions ?? [...(entry?.actions ?? [])]
    this.details = options.details
  }

  /** The same error with other options (a field renamed for the user, say). */
  with(options: Pick<AppErrorOptions, 'field'>): AppError {
    const {code, message, kind, line, column, record, suggestions, cause, details} = this
    return new AppError(code, message, {kind, line, column, record, suggestions, cause, details, ...options})
  }

  toJSON(): EnvelopeError {
    return this.toEnvelope()
  }

  /**
   * The error as the JSON envelope's `error`, its actions rendered by `render`
   * into `suggestions` (and kept as data in `actions`).
   */
  toEnvelope(render: (action: Action) => string = actionText): EnvelopeError {
    const actions = this.suggestions.filter(isAction)
    return {
      code: this.code,
      message: this.message,
      ...(this.field === undefined ? {} : {field: this.field}),
      ...(this.record === undefined ? {} : {record: this.record}),
      ...(this.line === undefined ? {} : {line: this.line}),
      ...(this.column === undefined ? {} : {column: this.column}),
      suggestions: this.suggestions.map((s) => (isAction(s) ? render(s) : s)),
      ...(actions.length === 0 ? {} : {actions}),
      ...(this.details === undefined ? {} : {details: this.details}),
    }
  }
}

/** Several input problems reported at once (one per field or row). */
export class ValidationErrors extends AppError {
  readonly errors: AppError[]

  /** `as`: one code and message for them all (RUN_REFUSED), whatever their own */
  constructor(errors: AppError[], as?: {code: ErrorCode; message: string}) {
    const first = errors[0]
    const one = errors.length === 1 && first !== undefined && as === undefined
    super(as?.code ?? (one ? first.code : 'INVALID_INPUT'), as?.message ?? (one ? first.message : `${errors.length} problems in the input`), {
      kind: as ? undefined : errors.some((e) => e.kind === 'invalid') ? 'invalid' : (first?.kind ?? 'invalid'),
      field: one ? first.field : undefined,
      line: one ? first.line : undefined,
      column: one ? first.column : undefined,
      record: one ? first.record : undefined,
      suggestions: one ? first.suggestions : undefined,
    })
    this.errors = errors
  }

  override toEnvelope(render: (action: Action) => string = actionText): EnvelopeError {
    return {...super.toEnvelope(render), errors: this.errors.map((e) => e.toEnvelope(render))}
  }
}

/** The codes the catalogue gives kind K. */
type CodeOf<K extends ErrorKind> = {[C in ErrorCode]: (typeof ERROR_CATALOGUE)[C]['kind'] extends K ? C : never}[ErrorCode]

export const notFound = (code: CodeOf<'notFound'>, message: string, suggestions?: Hint[]) => new AppError(code, message, {suggestions})

export const conflict = (code: CodeOf<'conflict'>, message: string, options: AppErrorOptions = {}) => new AppError(code, message, options)
