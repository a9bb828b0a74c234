import {z} from 'zod'

/**
 * The one document every command writes on stdout with --json. `status` is
 * the exit code; a non-zero status always has `error` (and may keep `result`
 * where it carries data: subdomain check, tenant verify, monitor check, bulk
 * reports). Warnings are always in `warnings`.
 *
 * `error.field` names the input as the user gave it: `--flag` for a flag,
 * `NAME` (upper case) for an argument, the column name with `line` for a CSV
 * row, the JSON path (`[2].tenant.subdomain`, its index 0-based) for a
 * provisioning config, with `record` (1-based) and the file's `line` and
 * `column` of that value.
 */
const errorShape = {
  code: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
  message: z.string().min(1),
  field: z.string().optional(),
  /** a JSON config's record, 1-based */
  record: z.number().int().positive().optional(),
  line: z.number().int().positive().optional(),
  column: z.number().int().positive().optional(),
  suggestions: z.array(z.string()),
  details: z.record(z.string(), z.unknown()).optional(),
}

export const envelopeErrorSchema = z.strictObject({
  ...errorShape,
  /** several input problems at once, one per field or row */
  errors: z.array(z.strictObject(errorShape)).optional(),
})

const warnings = z.array(z.string()).describe('every warning of the run; on stderr too without --json')

/** The envelope of a command or operation whose result is `result`. */
export const envelopeFor = <R extends z.ZodType>(result: R) =>
  z.union([
    z.strictObject({status: z.literal(0), result, warnings}),
    z.strictObject({status: z.number().int().min(1).max(255), error: envelopeErrorSchema, result: result.optional(), warnings}),
  ])

/** The envelope of any command; schemas/<topic>-<command>.json have each command's result. */
export const envelopeSchema = envelopeFor(z.unknown())

export type EnvelopeError = z.infer<typeof envelopeErrorSchema>
export type Envelope<Result = unknown> =
  | {status: 0; result: Result; warnings: string[]}
  | {status: number; error: EnvelopeError; result?: Result; warnings: string[]}

/** The envelope as a JSON Schema (draft 2020-12), for tools outside TypeScript. */
export const envelopeJsonSchema = () => z.toJSONSchema(envelopeSchema)
