/**
 * What each route answers on success: the CLI's --json result schemas
 * (src/lib/results.ts), never a copy, so a route and its command cannot drift
 * (test/unit/server-results.test.ts holds each to its command's schema).
 */
import {z} from 'zod'

import {
  apiKeyResultSchema,
  auditRowSchema,
  createdApiKeySchema,
  createTenantResultSchema,
  deleteSchema,
  invitationSchema,
  memberSchema,
  pageSchema,
  planChangeSchema,
  planSchema,
  removedMemberSchema,
  revokedApiKeySchema,
  runStatusSchema,
  securityChangeResultSchema,
  statusChangeSchema,
  subdomainCheckSchema,
  subdomainSuggestionsSchema,
  tenantDetailsSchema,
  tenantSummarySchema,
  tenantUpdateSchema,
  usageReportSchema,
  verifySchema,
} from '../lib/results.js'

export const ROUTE_RESULTS = {
  /** tenant create (its result when nobody answered a prompt: the API has none) */
  createTenant: createTenantResultSchema,
  listTenants: pageSchema(tenantSummarySchema),
  getTenant: tenantDetailsSchema,
  updateTenant: tenantUpdateSchema,
  /** tenant plan (its result when nobody answered a prompt: the API has none) */
  changeTenantPlan: planChangeSchema,
  /** tenant security (a change; the API has no "nothing to change" prompt) */
  updateTenantSecurity: securityChangeResultSchema,
  suspendTenant: statusChangeSchema,
  resumeTenant: statusChangeSchema,
  deleteTenant: deleteSchema,
  checkSubdomain: subdomainCheckSchema,
  suggestSubdomains: subdomainSuggestionsSchema,
  listPlans: z.array(planSchema),
  getPlan: planSchema,
  inviteMember: invitationSchema,
  listMembers: pageSchema(memberSchema),
  removeMember: removedMemberSchema,
  createApiKey: createdApiKeySchema,
  listApiKeys: pageSchema(apiKeyResultSchema),
  revokeApiKey: revokedApiKeySchema,
  tenantUsage: usageReportSchema,
  verifyTenant: verifySchema,
  listAudit: pageSchema(auditRowSchema),
  /** the queued run's status, as run show gives it (tenant bulk-create --queue prints only its id) */
  createRun: runStatusSchema,
  getRun: runStatusSchema,
}

/** The command each route is the HTTP form of. */
export const ROUTE_COMMANDS = {
  createTenant: 'tenant:create',
  listTenants: 'tenant:list',
  getTenant: 'tenant:show',
  updateTenant: 'tenant:update',
  changeTenantPlan: 'tenant:plan',
  updateTenantSecurity: 'tenant:security',
  suspendTenant: 'tenant:suspend',
  resumeTenant: 'tenant:resume',
  deleteTenant: 'tenant:delete',
  checkSubdomain: 'subdomain:check',
  suggestSubdomains: 'subdomain:suggest',
  listPlans: 'plan:list',
  getPlan: 'plan:show',
  inviteMember: 'user:invite',
  listMembers: 'user:list',
  removeMember: 'user:remove',
  createApiKey: 'apikey:create',
  listApiKeys: 'apikey:list',
  revokeApiKey: 'apikey:revoke',
  tenantUsage: 'tenant:usage',
  verifyTenant: 'tenant:verify',
  listAudit: 'audit:list',
  createRun: 'run:show',
  getRun: 'run:show',
} as const satisfies Record<keyof typeof ROUTE_RESULTS, string>
