import {HTTP_STATUS} from '../lib/error-catalogue.js'
import {PROBLEM_TYPE, problemSchema} from './problem.js'

const WHEN: Record<number, string> = {
  400: 'invalid input: every problem in errors[], each with its JSON pointer',
  401: 'no operator token, or one unknown, expired or revoked',
  403: 'the token lacks the scope of this route',
  404: 'not found',
  409: 'conflict with the current state (a subdomain taken, a request with this Idempotency-Key still running)',
  412: 'If-Match is not the current version (ETag)',
  422: 'this Idempotency-Key was used for another request',
  428: 'If-Match is required',
  429: "over the token's rate limit: see Retry-After",
  503: 'the database is unreachable or its schema not current',
}

type Status = (typeof HTTP_STATUS)[keyof typeof HTTP_STATUS]

/** The problem+json responses a route documents, by status. */
export function problems(...statuses: Status[]) {
  return Object.fromEntries(statuses.map((status) => [status, {description: WHEN[status] ?? 'a problem', content: {[PROBLEM_TYPE]: {schema: problemSchema}}}]))
}
