import type {ErrorKind} from './lib/error-catalogue.js'

/**
 * The CLI's exit codes: the one place an error's kind becomes the process's
 * exit code. `--help` (EXIT_CODES_HELP) and the README's table
 * (test/unit/exit-codes.test.ts) are written from this list.
 */
export const EXIT_CODES = [
  {code: 0, kind: 'ok', help: 'success', readme: 'success (for `subdomain check`: available)'},
  // the HTTP API's own kinds (src/lib/error-catalogue.ts) never reach a command; were one to, it failed
  {code: 1, kind: 'failed', also: ['unauthorized', 'forbidden', 'preconditionFailed', 'preconditionRequired', 'unprocessable', 'rateLimited'], help: 'operation failed'},
  {
    code: 2,
    kind: 'invalid',
    help: 'usage or invalid input (also an unknown command or flag)',
    readme: 'usage, invalid flags or input, an unknown flag or command (for `subdomain check`: invalid or reserved)',
  },
  {code: 3, kind: 'notFound', help: 'not found'},
  {
    code: 4,
    kind: 'conflict',
    help: 'conflict',
    readme:
      'conflict: subdomain or custom domain taken, member exists, a quota full (`QUOTA_EXCEEDED`), limits below usage, last owner, feature disabled, feature in use (`FEATURE_IN_USE`)',
  },
  {
    code: 5,
    kind: 'unavailable',
    help: 'database unreachable',
    readme: 'database unreachable, or the URL\'s database does not exist (`DB_NOT_FOUND`, with the `createdb` command that makes it)',
  },
  {code: 10, kind: 'breaches', help: 'thresholds breached (monitor check)', readme: '`monitor check`: a threshold is breached'},
  {code: 68, kind: 'partial', help: 'partial success', readme: 'partial success: some bulk rows failed'},
  {code: 130, kind: 'interrupted', help: 'interrupted'},
] as const satisfies readonly {code: number; kind: ErrorKind | 'ok'; also?: readonly ErrorKind[]; help: string; readme?: string}[]

type Row = (typeof EXIT_CODES)[number]
type Also<R> = R extends {also: readonly (infer K)[]} ? K : never
type Kind = Row['kind'] | Also<Row>

/** Each kind's exit code (every ErrorKind has one: a kind without is a type error here). */
export const EXIT_CODE = Object.fromEntries(
  EXIT_CODES.flatMap((e) => [e.kind, ...('also' in e ? e.also : [])].map((kind) => [kind, e.code])),
) as Record<Kind, number> satisfies Record<ErrorKind | 'ok', number>

export const exitCodeOf = (error: {kind: ErrorKind}): number => EXIT_CODE[error.kind]

export const EXIT_CODES_HELP = ['EXIT CODES', ...EXIT_CODES.map((e) => `  ${String(e.code).padEnd(5)}${e.help}`)].join('\n')

/** The README's table rows, `| code | meaning |`. */
export const exitCodesTable = () => ['| code | meaning |', '|---|---|', ...EXIT_CODES.map((e) => `| ${e.code} | ${'readme' in e ? e.readme : e.help} |`)].join('\n')
