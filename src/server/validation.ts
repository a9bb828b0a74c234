import type {FastifySchemaCompiler} from 'fastify'
import type {z} from 'zod'

import {AppError, ValidationErrors} from '../lib/errors.js'
import {issuesToErrors} from '../lib/validation.js'

/**
 * Requests checked with the library's own zod schemas, their problems as the
 * library reports them (issuesToErrors: the same codes as the CLI), every
 * problem at once. The body reaches the handler as the client sent it: the
 * library parses its input itself, so a value means what it means in the CLI.
 * Query, path and header values reach it parsed (numbers from text).
 */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({schema, httpPart}) => (data) => {
  const result = schema.safeParse(data)
  if (result.success) return {value: httpPart === 'body' ? data : result.data}
  const errors = result.error.issues.flatMap((issue) =>
    // a key the schema does not know: one problem per key, named by its path
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => new AppError('INVALID_INPUT', `Unknown field "${key}".`, {field: [...issue.path, key].join('.')}))
      : issuesToErrors({issues: [issue]} as z.ZodError),
  )
  return {error: new ValidationErrors(errors)}
}
