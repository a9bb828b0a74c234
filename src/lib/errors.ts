/**
 * Errors with a stable code, a message a person understands, the field or
 * line they concern, and what to do next. The CLI maps `exit` to the process
 * exit code; library callers can switch on `code`.
 */
import type {EnvelopeError} from './envelope.js'

export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  unreachable: 5,
  /** monitor check: thresholds breached */
  breaches: 10,
  partial: 68,
  interrupted: 130,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export interface AppErrorOptions {
  /** the flag, argument, column or config key the error concerns */
  field?: string
  /** 1-based line of an input file */
  line?: number
  /** 1-based column of that line (a JSON config's value) */
  column?: number
  /** 1-based number of the record a JSON config's problem is in (records may share a line) */
  record?: number
  /** what to do next, or valid alternatives */
  suggestions?: string[]
  exit?: ExitCodeValue
  cause?: unknown
  details?: Record<string, unknown>
}

export class AppError extends Error {
  readonly code: string
  readonly exit: ExitCodeValue
  readonly field?: string
  readonly line?: number
  readonly column?: number
  readonly record?: number
  readonly suggestions: string[]
  readonly details?: Record<string, unknown>

  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'AppError'
    this.code = code
    this.exit = options.exit ?? ExitCode.usage
    this.field = options.field
    this.line = options.line
    this.column = options.column
    this.record = options.record
    this.suggestions = options.suggestions ?? []
    this.details = options.details
  }

  toJSON(): EnvelopeError {
    return {
      code: this.code,
      message: this.message,
      ...(this.field === undefined ? {} : {field: this.field}),
      ...(this.record === undefined ? {} : {record: this.record}),
      ...(this.line === undefined ? {} : {line: this.line}),
      ...(this.column === undefined ? {} : {column: this.column}),
      suggestions: this.suggestions,
      ...(this.details === undefined ? {} : {details: this.details}),
    }
  }
}

/** Several input problems reported at once (one per field or row). */
export class ValidationErrors extends AppError {
  readonly errors: AppError[]

  constructor(errors: AppError[]) {
    const first = errors[0]
    super(
      errors.length === 1 && first ? first.code : 'INVALID_INPUT',
      errors.length === 1 && first ? first.message : `${errors.length} problems in the input`,
      {
        exit: errors.some((e) => e.exit === ExitCode.usage) ? ExitCode.usage : (first?.exit ?? ExitCode.usage),
        field: errors.length === 1 ? first?.field : undefined,
        line: errors.length === 1 ? first?.line : undefined,
        column: errors.length === 1 ? first?.column : undefined,
        record: errors.length === 1 ? first?.record : undefined,
        suggestions: errors.length === 1 ? first?.suggestions : undefined,
      },
    )
    this.errors = errors
  }

  override toJSON(): EnvelopeError {
    return {...super.toJSON(), errors: this.errors.map((e) => e.toJSON())}
  }
}

export const notFound = (code: string, message: string, suggestions: string[] = []) =>
  new AppError(code, message, {exit: ExitCode.notFound, suggestions})

export const conflict = (code: string, message: string, options: AppErrorOptions = {}) =>
  new AppError(code, message, {...options, exit: ExitCode.conflict})
