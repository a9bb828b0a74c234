/** The guide's own Python entry points, kept for callers that speak them (the HTTP API's compatibility route). */
import type {Sql} from 'postgres'

import {guideTenantInput} from './bulk/sources.js'
import type {Context} from './context.js'
import {AppError, ValidationErrors} from './errors.js'
import {createTenant, type CreateTenantResult, type TenantInput} from './tenants.js'

/**
 * The guide's `TenantManager.create_tenant(**config)`: its keyword arguments
 * (name, subdomain, plan_type, contact_email, max_users, owner_email, ...), as
 * a tenant create; errors name the keys as the caller wrote them.
 */
export async function createGuideTenant(sql: Sql, config: unknown, ctx: Context): Promise<CreateTenantResult> {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new AppError('CONFIG_INVALID', 'The tenant config must be a JSON object of create_tenant\'s arguments: name, subdomain, plan_type, contact_email, ...', {field: 'body'})
  }
  const errors: AppError[] = []
  const {input, keyFor} = guideTenantInput(config as Record<string, unknown>, (key) => ({text: key, field: key}), errors)
  if (errors.length > 0) throw new ValidationErrors(errors)
  return createTenant(sql, input as TenantInput, ctx, (path) => [keyFor[String(path[0])] ?? String(path[0]), ...path.slice(1).map(String)].join('.'))
}
