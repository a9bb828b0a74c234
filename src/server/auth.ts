import type {onRequestHookHandler} from 'fastify'
import type {Sql} from 'postgres'

import {authenticateOperator, requireScope} from '../lib/operator-tokens.js'

/** A route with a scope (config.scope) needs a live operator token that has it: 401 otherwise, 403 without the scope. */
export const authenticate = (sql: Sql): onRequestHookHandler => async (request) => {
  const scope = request.routeOptions.config.scope
  if (scope === undefined) return
  const header = request.headers.authorization
  const token = header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1]
  request.operator = await authenticateOperator(sql, header === undefined ? undefined : (token ?? header))
  requireScope(request.operator, scope)
}
