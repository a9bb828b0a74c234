/**
 * Errors as RFC 9457 problem details (application/problem+json): the
 * catalogue's code, its status from the one kind → status table
 * (HTTP_STATUS, src/lib/error-catalogue.ts), and for input problems
 * `errors[]`, each with the JSON pointer of the value it concerns.
 */
import {z} from 'zod'

import {actionSchema} from '../lib/envelope.js'
import {HTTP_STATUS} from '../lib/error-catalogue.js'
import {toAppError} from '../lib/driver-errors.js'
import {AppError, isAction, ValidationErrors} from '../lib/errors.js'

export const PROBLEM_TYPE = 'application/problem+json'

const problemFields = {
  code: z.string().describe("the error's stable code (src/lib/error-catalogue.ts)"),
  detail: z.string().describe('what went wrong, for a person'),
  pointer: z.string().optional().describe('the JSON pointer of the value concerned in the request: /subdomain in the body, or the query parameter or header named'),
  field: z.string().optional().describe("the input's name as the library gives it (subdomain, confirmName, Idempotency-Key)"),
  line: z.number().int().optional().describe('the line of an uploaded file (POST /v1/runs) the problem is on'),
}

export const problemSchema = z
  .strictObject({
    type: z.string().describe('urn:anthias:problem:CODE'),
    title: z.string().describe("the code in words; the same for every problem of that code"),
    status: z.number().int(),
    ...problemFields,
    instance: z.string().optional().describe('the request path'),
    suggestions: z.array(z.string()).describe('what to do next, as text'),
    actions: z.array(actionSchema).optional().describe('the suggestions that are commands, as data'),
    details: z.record(z.string(), z.unknown()).optional(),
    errors: z.array(z.strictObject(problemFields)).optional().describe('every input problem, when there are several'),
  })
  .meta({id: 'Problem'})
export type Problem = z.infer<typeof problemSchema>

/** SUBDOMAIN_TAKEN → "Subdomain taken" */
const titleOf = (code: string) => code.charAt(0) + code.slice(1).toLowerCase().replaceAll('_', ' ')

/** A library field as a JSON pointer into the body: `limits.maxUsers` → `/limits/maxUsers`, `[2].subdomain` → `/2/subdomain`. */
export function pointerOf(field: string | undefined): string | undefined {
  if (field === undefined) return undefined
  const parts = field.replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean)
  return `/${parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`
}

const item = (e: AppError) => ({code: e.code, detail: e.message, ...(e.field === undefined ? {} : {field: e.field, pointer: pointerOf(e.field)}), ...(e.line === undefined ? {} : {line: e.line})})

/** Any thrown value as a problem document and its status. */
export function toProblem(error: unknown, instance?: string): Problem {
  const e = error instanceof AppError ? error : toAppError(error)
  const actions = e.suggestions.filter(isAction)
  const envelope = e.toEnvelope()
  return {
    type: `urn:anthias:problem:${e.code}`,
    title: titleOf(e.code),
    status: HTTP_STATUS[e.kind],
    ...item(e),
    ...(instance === undefined ? {} : {instance}),
    suggestions: envelope.suggestions,
    ...(actions.length === 0 ? {} : {actions}),
    ...(e.details === undefined ? {} : {details: e.details}),
    ...(e instanceof ValidationErrors ? {errors: e.errors.map(item)} : {}),
  }
}

/** fastify's own errors (a body too large or not JSON, a timeout) as the catalogue's. */
export function fastifyError(error: unknown): unknown {
  if (error instanceof AppError) return error
  const e = error as {code?: string; message?: string; statusCode?: number}
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('INPUT_TOO_LARGE', e.message, {field: 'body'})
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('CONTENT_TYPE_UNSUPPORTED', 'Send the body as application/json (POST /v1/runs also takes text/csv).', {field: 'Content-Type'})
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('JSON_INVALID', `The body is not valid JSON: ${e.message}`, {field: 'body'})
    default:
      if (error instanceof SyntaxError) return new AppError('JSON_INVALID', `The body is not valid JSON: ${e.message}`, {field: 'body'})
      return error
  }
}
