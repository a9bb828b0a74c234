import {readFileSync} from 'node:fs'

import {Ajv2020, type ValidateFunction} from 'ajv/dist/2020.js'

import {COMMAND_RESULTS, type CommandId} from '../../src/command-results.js'
import {envelopeFor} from '../../src/lib/envelope.js'

const ajv = new Ajv2020({allErrors: true, strict: true})
// RFC 3339, as Date.prototype.toISOString writes it (and any offset)
ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/)
const validators = new Map<CommandId, ValidateFunction>()

export const isCommandId = (id: string): id is CommandId => id in COMMAND_RESULTS

/**
 * What is wrong with `doc` as the --json document of `id`: checked against the
 * committed JSON Schema (schemas/<topic>-<command>.json, with ajv) and against
 * the zod schema it is generated from. Empty when it matches both.
 */
export function contractProblems(id: CommandId, doc: unknown): string[] {
  let validate = validators.get(id)
  if (!validate) {
    const file = new URL(`../../schemas/${id.replaceAll(':', '-')}.json`, import.meta.url)
    validate = ajv.compile(JSON.parse(readFileSync(file, 'utf8')))
    validators.set(id, validate)
  }
  const problems = validate(doc) ? [] : (validate.errors ?? []).map((e) => `schemas: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`)
  const parsed = envelopeFor(COMMAND_RESULTS[id].schema).safeParse(doc)
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => `zod: ${i.path.join('.')} ${i.message}`))
  return problems
}
