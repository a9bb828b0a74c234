/**
 * Initial data (the guide's setup_tenant_data): the "Welcome to Anthias"
 * asset, created by the owner, and default settings where none are set.
 * Idempotent: a second run changes nothing.
 */
import type {Sql} from 'postgres'

import {writeAudit} from './audit.js'
import type {Context} from './context.js'
import {AppError} from './errors.js'
import {lockTenant} from './tenant-ref.js'
import {quotaExceeded} from './usage.js'

export const WELCOME_ASSET = {name: 'Welcome to Anthias', uri: 'welcome-template.html', mimetype: 'text/html', isEnabled: true}
export const DEFAULT_SETTINGS = {timezone: 'UTC', locale: 'en', theme: 'default'}

export interface SetupDataResult {
  tenantId: string
  subdomain: string
  /** what this run created or set; empty when everything was already there */
  created: string[]
  welcomeAssetId: string
}

export async function setupTenantData(sql: Sql, tenantRef: string, ctx: Context): Promise<SetupDataResult> {
  try {
    return (await sql.begin(async (tx) => {
      const tenant = await lockTenant(tx, tenantRef)
      const [owner] = await tx<{userId: string}[]>`
        select user_id from memberships where tenant_id = ${tenant.id} and role = 'owner' order by status = 'active' desc, invited_at limit 1`
      if (!owner) {
        throw new AppError('OWNER_MISSING', `${tenant.subdomain} has no owner to create the welcome asset.`, {
          suggestions: [{command: 'user.invite', args: {tenant: tenant.subdomain, email: null, role: 'owner'}}],
        })
      }
      const created: string[] = []
      // one role for the whole transaction, the connecting one (on Citus the shards a transaction touched
      // keep the role that touched them), so the rows are the tenant's by their tenant_id
      let [asset] = await tx<{id: string}[]>`select id from assets where tenant_id = ${tenant.id} and name = ${WELCOME_ASSET.name} limit 1`
      if (!asset) {
        ;[asset] = await tx<{id: string}[]>`
          insert into assets (tenant_id, name, uri, mimetype, is_enabled, created_by)
          values (${tenant.id}, ${WELCOME_ASSET.name}, ${WELCOME_ASSET.uri}, ${WELCOME_ASSET.mimetype}, ${WELCOME_ASSET.isEnabled}, ${owner.userId})
          returning id`
        created.push(`asset "${WELCOME_ASSET.name}"`)
      }
      const [row] = await tx<{settings: Record<string, unknown>}[]>`select settings from tenants where id = ${tenant.id}`
      const settings = row!.settings
      const missing = Object.entries(DEFAULT_SETTINGS).filter(([key]) => !(key in settings))
      if (missing.length > 0) {
        await tx`update tenants set settings = ${tx.json(Object.fromEntries(missing))} || settings, updated_at = now() where id = ${tenant.id}`
        created.push(...missing.map(([key, value]) => `setting ${key}=${value}`))
      }
      if (created.length > 0) {
        await writeAudit(tx, {actor: ctx.actor, action: 'tenant.setup_data', tenantId: tenant.id, subject: tenant.subdomain, arguments: {created}})
      }
      return {tenantId: tenant.id, subdomain: tenant.subdomain, created, welcomeAssetId: asset!.id}
    })) as SetupDataResult
  } catch (error) {
    // the welcome asset counts against max_assets like any other
    throw quotaExceeded(error) ?? error
  }
}
