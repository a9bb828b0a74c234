import {Command, Flags, type Interfaces} from '@oclif/core'

import type {Context} from './lib/context.js'
import type {Database} from './lib/db/connect.js'
import {toAppError} from './lib/driver-errors.js'
import type {Envelope} from './lib/envelope.js'
import {type Action, AppError, ValidationErrors} from './lib/errors.js'
import {EXIT_CODE, EXIT_CODES_HELP, exitCodeOf} from './exit-codes.js'
import type {OnProgress} from './lib/progress.js'
import {closest} from './lib/suggest.js'
import {escapeControls, escapeJsonControls} from './lib/text.js'
import {commandLine} from './ui/hints.js'
import type {Phase} from './ui/progress.js'

/** A command description followed by the exit codes every command shares. */
export const describe = (text: string) => `${text}\n\n${EXIT_CODES_HELP}`

/**
 * Commands whose statements may rightly run long (bulk work, backups, deletes,
 * migrations): no statement timeout. Every other command cancels a statement
 * after ANTHIAS_STATEMENT_TIMEOUT; every command gives up waiting for a lock
 * after ANTHIAS_LOCK_TIMEOUT.
 */
const LONG_RUNNING = new Set(['tenant:bulk-create', 'tenant:provision', 'tenant:backup', 'tenant:restore', 'tenant:recover', 'tenant:delete', 'tenant:migrate', 'db:migrate', 'db:rebalance', 'tenant:isolate', 'tenant:move', 'monitor:check', 'worker'])

type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>

/**
 * The conventions every command shares: --json envelope, exit codes, error
 * rendering, warnings on stderr, the database connection and its cleanup.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    'database-url': Flags.string({
      description: 'PostgreSQL URL (else ANTHIAS_DATABASE_URL, DATABASE_URL, or the embedded server)',
      helpGroup: 'GLOBAL',
      helpValue: 'URL',
    }),
    'no-input': Flags.boolean({
      description: 'never prompt; fail naming any missing flag (also when CI is set or there is no terminal)',
      helpGroup: 'GLOBAL',
    }),
    actor: Flags.string({
      description: 'who is acting, for the audit trail (else ANTHIAS_ACTOR, else the OS user)',
      helpGroup: 'GLOBAL',
    }),
    debug: Flags.boolean({description: 'show stack traces (also DEBUG=1)', helpGroup: 'GLOBAL', hidden: true}),
  }

  protected flags!: BaseFlags<T>
  /** what Ctrl-C prints (what was and was not done), and what it stops first (a task list) */
  protected interruption?: {note: () => string; stop?: () => void}
  protected warnings: string[] = []
  /** Set by fail(): the run returns its result, exits non-zero, and --json carries this error beside the result. */
  private failure?: AppError
  private db?: Database

  protected args!: Interfaces.InferredArgs<T['args']>

  public override async init(): Promise<void> {
    await super.init()
    // Ctrl-C outside a prompt (prompts turn it into ExitPromptError): leave at once; an
    // open transaction dies with its connection, so nothing half-made is committed.
    // Listening on (not once) keeps a SIGINT raised again meanwhile (files.ts) from killing the process first.
    let interrupted = false
    process.on('SIGINT', () => {
      if (interrupted) return
      interrupted = true
      const {note, stop} = this.interruption ?? {}
      // at once: the task list closed (no spinner left, the cursor back), then the one line of what was done
      try {
        stop?.()
      } catch {
        // the line matters more than the last frame of the task list
      }
      process.stderr.write(note ? `\nInterrupted: ${note()}.\n` : '\nInterrupted; nothing more was written.\n')
      process.exit(EXIT_CODE.interrupted)
    })
    const {args, flags} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as Interfaces.InferredArgs<T['args']>
    refuseReplacementCharacters(args, flags)
  }

  /** The database, connected (and migrated) on first use, closed when the command ends. */
  protected async database(options: {migrate?: boolean} = {}): Promise<Database> {
    if (!this.db) {
      const {DEFAULT_STATEMENT_TIMEOUT, durationFromEnv, openDatabase} = await import('./lib/db/connect.js')
      const {resolveDataDir} = await import('./lib/db/data-dir.js')
      this.db = await openDatabase({
        databaseUrl: this.flags?.['database-url'],
        dataDir: resolveDataDir(this.config.dataDir),
        migrate: options.migrate,
        statementTimeout: LONG_RUNNING.has(this.id ?? '') ? undefined : durationFromEnv('ANTHIAS_STATEMENT_TIMEOUT', DEFAULT_STATEMENT_TIMEOUT),
      })
    }
    return this.db
  }

  protected async context(): Promise<Context> {
    const {resolveContext} = await import('./lib/context.js')
    return resolveContext({actor: this.flags?.actor})
  }

  /**
   * Long work with its progress shown (src/ui/progress.ts): a task list in a
   * terminal (not with --json), plain lines on stderr otherwise. Ctrl-C during it
   * closes the task list, prints "Interrupted: <interrupted()>." and exits 130.
   */
  protected async withProgress<R>(phases: Phase[], interrupted: () => string, work: (onProgress: OnProgress) => Promise<R>): Promise<R> {
    const {ProgressView} = await import('./ui/progress.js')
    const view = new ProgressView(phases, Boolean(process.stderr.isTTY && process.stdout.isTTY && !this.jsonEnabled()))
    this.interruption = {note: interrupted, stop: () => view.stop()}
    try {
      return await view.run(work)
    } finally {
      this.interruption = undefined
    }
  }

  /** Prompts are allowed only in a terminal, without CI, --no-input or --json. */
  protected get interactive(): boolean {
    return Boolean(process.stdin.isTTY && process.stdout.isTTY && !process.env.CI && !this.flags?.['no-input'] && !this.jsonEnabled())
  }

  /**
   * A tenant's exact name, the confirmation of a command that destroys its
   * data: `given` (--confirm-name), else typed in a terminal after `warning`,
   * else MISSING_INPUT naming the flag. The library compares it with the name.
   */
  protected async confirmTenantName(given: string | undefined, tenant: {name: string}, warning: string): Promise<string> {
    if (given !== undefined) return given
    if (!this.interactive) {
      throw new AppError('MISSING_INPUT', "Missing --confirm-name with the tenant's exact name, and there is no terminal to ask in.", {field: 'confirmName'})
    }
    const {symbols} = await import('./ui/format.js')
    const {input} = await import('@inquirer/prompts')
    // the name and the warning come from the database: shown, never acted on by the terminal
    this.log(`${symbols.warn} ${escapeControls(warning)}`)
    return input({message: `Type "${escapeControls(tenant.name)}" to confirm`})
  }

  /** A warning: on stderr for people, in `warnings` for --json. */
  override warn(message: string | Error): string | Error {
    const text = typeof message === 'string' ? message : message.message
    this.warnings.push(text)
    if (!this.jsonEnabled()) process.stderr.write(`Warning: ${escapeControls(text)}\n`)
    return message
  }

  /**
   * The run failed but has a result to show (a taken subdomain, a failed check,
   * a partial bulk run): exit with the code of its kind, and --json gives both.
   */
  protected fail(error: AppError): void {
    this.failure = error
    process.exitCode = exitCodeOf(error)
  }

  /** An action (src/lib/errors.ts) as the command line to type, with the program named as it works here. */
  protected commandLine(action: Action): string {
    return commandLine(action, this.config)
  }

  /** The one --json rule for every command: the result, and the error fail() set beside it. */
  protected override toSuccessJson(result: unknown): Envelope {
    if (this.failure) return {status: exitCodeOf(this.failure), error: this.inputNamed(this.failure).toEnvelope((a) => this.commandLine(a)), result, warnings: this.warnings}
    return {status: 0, result, warnings: this.warnings}
  }

  /**
   * JSON as JSON.stringify writes it. oclif's logJson tokenizes the text with
   * regular expressions to colour it: for the report of a 100,000-row bulk run
   * that took seconds and 400 MB. The control characters JSON leaves raw
   * (DEL, C1, bidi overrides) are written as \u escapes.
   */
  override logJson(json: unknown): void {
    process.stdout.write(escapeJsonControls(JSON.stringify(json, null, 2)) + '\n')
  }

  protected override toErrorJson(error: unknown): Envelope {
    const e = error instanceof AppError ? error : cliError(error)
    return {status: exitCodeOf(e), error: e.toEnvelope((a) => this.commandLine(a)), warnings: this.warnings}
  }

  /**
   * The error with `field` as the user spelled the input: `--flag` for this
   * command's flags, `NAME` for its arguments (the library may name either
   * as `confirmName`, `confirm_name`, `confirm-name` or `tenant`). A field
   * with a line is a CSV column (the user's spelling, and it stays) unless it
   * names an argument (`file`: the file itself); a JSON path
   * (`[2].tenant.subdomain`) stays.
   */
  private inputNamed(error: AppError): AppError {
    if (error instanceof ValidationErrors) return new ValidationErrors(error.errors.map((e) => this.inputNamed(e)))
    const args = Object.keys(this.ctor.args ?? {})
    const field = cliField(error.field, args, error.line === undefined ? Object.keys({...this.ctor.baseFlags, ...this.ctor.flags}) : [])
    return field === error.field ? error : error.with({field})
  }

  protected override async catch(error: Interfaces.CommandError): Promise<void> {
    const tenant = (this.args as {tenant?: unknown} | undefined)?.tenant ?? (this.flags as {tenant?: unknown} | undefined)?.tenant
    const flags = Object.keys({...this.ctor.baseFlags, ...this.ctor.flags})
    const e = this.inputNamed(cliError(error, flags, {subject: typeof tenant === 'string' ? `Tenant ${tenant}` : undefined, retry: this.id ? {command: this.id.replaceAll(':', '.')} : undefined}))
    process.exitCode = exitCodeOf(e)
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(e))
      return
    }
    const {formatError} = await import('./ui/format.js')
    process.stderr.write(formatError(e, (a) => this.commandLine(a)) + '\n')
    if (this.flags?.debug || process.env.DEBUG) process.stderr.write(`${(e.cause as Error | undefined)?.stack ?? e.stack}\n`)
  }

  protected override async finally(error: Error | undefined): Promise<void> {
    await this.db?.close().catch(() => undefined)
    this.db = undefined
    return super.finally(error)
  }
}

/**
 * Node decodes the command line as UTF-8, with U+FFFD for bytes that are not:
 * refuse such a value (TEXT_ENCODING, naming its flag or argument) rather than
 * store the replacement or hash a password that was not the one typed.
 */
function refuseReplacementCharacters(args: Record<string, unknown>, flags: Record<string, unknown>): void {
  const given: [string, unknown][] = [...Object.entries(args).map(([name, v]): [string, unknown] => [name.toUpperCase(), v]), ...Object.entries(flags).map(([name, v]): [string, unknown] => [`--${name}`, v])]
  for (const [field, value] of given) {
    if ([value].flat().some((v) => typeof v === 'string' && v.includes('\uFFFD'))) {
      throw new AppError('TEXT_ENCODING', `${field} is not valid UTF-8 text (or contains U+FFFD, the replacement character).`, {
        field,
        suggestions: ['Check the terminal or script encoding (LANG=C.UTF-8), or pass the value in a UTF-8 file where the command takes one.'],
      })
    }
  }
}

/**
 * `field` as the user spells it: `--name` when it names one of `flags`
 * (whatever the case: confirmName, confirm_name, confirm-name), `NAME` when it
 * names one of `args`; else as it is.
 */
export function cliField(field: string | undefined, args: string[], flags: string[]): string | undefined {
  if (field === undefined || field.startsWith('-') || field.startsWith('[')) return field
  const kebab = field.replaceAll(/([a-z0-9])([A-Z])/g, '$1-$2').replaceAll('_', '-').toLowerCase()
  const arg = args.find((a) => a.toLowerCase() === kebab || a.toLowerCase() === field.toLowerCase())
  if (arg) return arg.toUpperCase()
  const flag = flags.find((f) => f === kebab)
  return flag ? `--${flag}` : field
}

/**
 * Any thrown value as an AppError: Ctrl-C in a prompt is INTERRUPTED, oclif
 * parse errors are usage errors (an unknown flag suggests the closest of
 * `flags`); the rest as the library maps them (src/lib/driver-errors.ts).
 */
export function cliError(error: unknown, flags: string[] = [], driver: Parameters<typeof toAppError>[1] = {}): AppError {
  if (error instanceof AppError) return error
  if ((error as Error)?.name === 'ExitPromptError' || (error as Error)?.name === 'AbortPromptError') return new AppError('INTERRUPTED')
  const e = error as Error & {oclif?: {exit?: number}; code?: string; flags?: string[]}
  if (/^Nonexistent flags?:/.test(e?.message ?? '') && e.flags?.length) {
    const [given] = e.flags as [string]
    const name = closest(given.replace(/^-+/, '').split('=')[0]!, flags)
    return new AppError('UNKNOWN_FLAG', `Unknown flag ${given}${name ? `; did you mean --${name}?` : '.'}`, {
      field: given,
      cause: e,
      suggestions: [...(name ? [`--${name}`] : []), 'See --help for the flags and examples.'],
    })
  }
  if (e?.oclif?.exit === 2 || /Unexpected argument|Missing required|Expected|Nonexistent flag|requires a value/i.test(e?.message ?? '')) {
    // oclif wraps some messages: "The following error occurred:\n  <what>\nSee more help with --help"
    const lines = e.message.split('\n').map((l) => l.trim()).filter((l) => l && !/^The following errors? occurred:$|^See more help with/.test(l))
    return new AppError('USAGE', lines.join(' ') || e.message, {cause: e, suggestions: ['See --help for the flags and examples.']})
  }
  return toAppError(error, driver)
}
