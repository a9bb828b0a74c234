/**
 * What each route answers on success: the CLI's --json result schemas
 * (src/lib/results.ts), never a copy, so a route and its command cannot drift
 * (test/unit/server-results.test.ts holds each to its command's schema).
 */
import {createTenantResultSchema, pageSchema, tenantDetailsSchema, tenantSummarySchema, tenantUpdateSchema} from '../lib/results.js'

export const ROUTE_RESULTS = {
  /** tenant create (its result when nobody answered a prompt: the API has none) */
  createTenant: createTenantResultSchema,
  listTenants: pageSchema(tenantSummarySchema),
  getTenant: tenantDetailsSchema,
  updateTenant: tenantUpdateSchema,
}

/** The command each route is the HTTP form of. */
export const ROUTE_COMMANDS = {createTenant: 'tenant:create', listTenants: 'tenant:list', getTenant: 'tenant:show', updateTenant: 'tenant:update'} as const satisfies Record<keyof typeof ROUTE_RESULTS, string>
