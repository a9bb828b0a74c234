/**
 * API keys (the guide's APIKeyManager.generate_api_key). A key is
 * `ak_<prefix>.<secret>`: the prefix identifies it in lists and logs, the
 * secret carries 256 bits. The key is shown once; only its SHA-256 is stored.
 */
import {randomBytes} from 'node:crypto'

import type {Sql} from 'postgres'
import {z} from 'zod'

import {writeAudit} from './audit.js'
import type {Context} from './context.js'
import {AppError, conflict, notFound, ValidationErrors} from './errors.js'
import {expiresIn} from './expiry.js'
import {decodeCursor, KEY, MAX_PAGE, type Page, type PageRequest, toPage} from './paging.js'
import {parsePermission} from './permissions.js'
import {loadCatalog} from './plans.js'
import {hashToken} from './secrets.js'
import {findTenant, lockTenant} from './tenant-ref.js'
import {loadEffectiveFeatures} from './tenants.js'
import {isUuid} from './db/tenant-context.js'
import {plainTextSchema} from './validation.js'

const EXPIRY = 'expiry must be a whole number of days from 1 to 3650'

export const apiKeySchema = z.object({
  name: plainTextSchema('API key name').trim().min(1, {error: 'API key name must not be empty'}).max(100, {error: 'API key name must be at most 100 characters'}),
  permissions: z.array(z.string()).min(1, {error: 'give at least one --permission, e.g. assets.*'}),
  expiresDays: z.coerce.number({error: EXPIRY}).int({error: EXPIRY}).min(1, {error: EXPIRY}).max(3650, {error: EXPIRY}).optional(),
})
export type ApiKeyInput = z.input<typeof apiKeySchema>

const CODES: Record<string, string> = {name: 'APIKEY_NAME_INVALID', permissions: 'PERMISSION_INVALID', expiresDays: 'EXPIRY_INVALID'}

export interface ApiKey {
  id: string
  name: string
  prefix: string
  permissions: string[]
  createdBy: string
  createdAt: Date
  expiresAt: Date | null
  lastUsedAt: Date | null
  revokedAt: Date | null
}

export interface CreatedApiKey extends ApiKey {
  /** the full key, shown once */
  key: string
}

function validate(input: ApiKeyInput): {name: string; permissions: string[]; expiresDays?: number} {
  const errors: AppError[] = []
  const parsed = apiKeySchema.safeParse(input)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0])
      const code = (issue as {params?: {code?: string}}).params?.code
      errors.push(new AppError(code ?? CODES[field] ?? 'INVALID_INPUT', issue.message, {field}))
    }
  }
  const permissions: string[] = []
  for (const p of input.permissions ?? []) {
    try {
      permissions.push(parsePermission(p, 'permission'))
    } catch (error) {
      errors.push(error as AppError)
    }
  }
  if (errors.length > 0 || !parsed.data) throw new ValidationErrors(errors)
  return {...parsed.data, permissions: [...new Set(permissions)]}
}

const COLUMNS = 'id, name, prefix, permissions, created_by, created_at, expires_at, last_used_at, revoked_at'

export async function createApiKey(sql: Sql, tenantRef: string, input: ApiKeyInput, ctx: Context): Promise<CreatedApiKey> {
  const spec = validate(input)
  return sql.begin(async (tx) => {
    const tenant = await lockTenant(tx, tenantRef)
    if (!(await loadEffectiveFeatures(tx, tenant.id)).includes('api_access')) {
      const plans = (await loadCatalog(tx)).plans.filter((p) => p.features.includes('api_access')).map((p) => p.id)
      throw conflict('FEATURE_DISABLED', `Tenant ${tenant.subdomain} (plan ${tenant.planId}) does not have the api_access feature; it comes with the ${plans.join(' and ')} plan${plans.length > 1 ? 's' : ''}.`, {
        field: 'api_access',
        details: {feature: 'api_access', plans},
        suggestions: [`anthias tenant plan ${tenant.subdomain} ${plans[0] ?? 'professional'}`, `anthias tenant update ${tenant.subdomain} --feature api_access=true`],
      })
    }
    const [taken] = await tx`select 1 from api_keys where tenant_id = ${tenant.id} and name = ${spec.name}`
    if (taken) {
      throw conflict('APIKEY_NAME_TAKEN', `Tenant ${tenant.subdomain} already has an API key named "${spec.name}".`, {
        field: 'name',
        suggestions: ['Choose another --name, or revoke the old key first.'],
      })
    }
    const prefix = `ak_${randomBytes(6).toString('hex')}`
    const key = `${prefix}.${randomBytes(32).toString('base64url')}`
    const expiresAt = spec.expiresDays ? expiresIn(spec.expiresDays) : null
    const [row] = await tx.unsafe<ApiKey[]>(
      `insert into api_keys (tenant_id, name, prefix, key_hash, permissions, created_by, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7) returning ${COLUMNS}`,
      [tenant.id, spec.name, prefix, hashToken(key), spec.permissions, ctx.actor, expiresAt],
    )
    await writeAudit(tx, {actor: ctx.actor, action: 'apikey.create', tenantId: tenant.id, subject: prefix, arguments: {name: spec.name, permissions: spec.permissions, expiresDays: spec.expiresDays}})
    return {...row!, key}
  }) as Promise<CreatedApiKey>
}

/** One page of a tenant's API keys, oldest first (keyset on the creation time and the id). */
export async function listApiKeys(sql: Sql, tenantRef: string, page: PageRequest = {limit: MAX_PAGE}): Promise<Page<ApiKey>> {
  const tenant = await findTenant(sql, tenantRef)
  const after = page.after === undefined ? undefined : decodeCursor(page.after, APIKEY_SORT, [KEY.time, KEY.uuid])
  // the time as text: a parameter typed timestamptz would go through a JS Date and lose its microseconds
  const rows = await sql.unsafe<(ApiKey & {createdKey: string})[]>(
    `select ${COLUMNS}, created_at::text as created_key from api_keys
    where tenant_id = $1 ${after === undefined ? '' : 'and (created_at, id) > ($3::text::timestamptz, $4::uuid)'}
    order by created_at, id limit $2`,
    [tenant.id, page.limit + 1, ...(after ?? [])],
  )
  const [{n}] = await sql<[{n: number}]>`select count(*)::int as n from api_keys where tenant_id = ${tenant.id}`
  const result = toPage(rows, page.limit, APIKEY_SORT, (r) => [r.createdKey, r.id], n)
  return {...result, items: result.items.map(({createdKey: _createdKey, ...key}) => key)}
}

const APIKEY_SORT = 'created'

/** Revoke by prefix or id; revoking a revoked key is a no-op that says so. */
export async function revokeApiKey(sql: Sql, tenantRef: string, key: string, ctx: Context): Promise<ApiKey & {alreadyRevoked: boolean}> {
  const ref = key.trim().split('.')[0]!
  return sql.begin(async (tx) => {
    const tenant = await lockTenant(tx, tenantRef)
    const [row] = await tx.unsafe<ApiKey[]>(
      `select ${COLUMNS} from api_keys where tenant_id = $1 and ${isUuid(ref) ? 'id = $2::uuid' : 'prefix = $2'}`,
      [tenant.id, ref],
    )
    if (!row) throw notFound('APIKEY_NOT_FOUND', `No API key "${ref}" in tenant ${tenant.subdomain}.`, [`anthias apikey list ${tenant.subdomain}`])
    if (row.revokedAt) return {...row, alreadyRevoked: true}
    const [revoked] = await tx.unsafe<ApiKey[]>(`update api_keys set revoked_at = now() where tenant_id = $1 and id = $2 returning ${COLUMNS}`, [tenant.id, row.id])
    await writeAudit(tx, {actor: ctx.actor, action: 'apikey.revoke', tenantId: tenant.id, subject: row.prefix, arguments: {name: row.name}})
    return {...revoked!, alreadyRevoked: false}
  }) as Promise<ApiKey & {alreadyRevoked: boolean}>
}
