import {randomUUID} from 'node:crypto'

import type {Sql, TransactionSql} from 'postgres'
import {z} from 'zod'

import {writeAudit, writeAudits} from './audit.js'
import {accessUrl, type Context} from './context.js'
import {AppError, conflict, type Hint, ValidationErrors} from './errors.js'
import {type Catalog, checkFeatureName, DEFAULT_PLAN, findPlan, loadCatalog, type Plan} from './plans.js'
import {addMembership} from './members.js'
import {hashPassword, sha256} from './secrets.js'
import {suggestSubdomains} from './subdomains.js'
import type {TenantStatus} from './tenant-list.js'
import {type OnStep, runStep} from './progress.js'
import {tenantKey, tenantNotFound} from './tenant-ref.js'
import {claimDomains} from './tenant-domains.js'
import {
  customDomainSchema,
  DEFAULT_PASSWORD_POLICY,
  DEFAULT_SESSION_TIMEOUT_MINUTES,
  emailSchema,
  issuesToErrors,
  type Limits,
  limitsSchema,
  securitySchema,
  type SecurityPolicy,
  settingsSchema,
  subdomainSchema,
  tenantNameSchema,
  togglesSchema,
  unmetPasswordRules,
} from './validation.js'

/** Everything set when a tenant is created; flags, prompts, CSV rows and JSON configs all parse through this. */
export const tenantSpecSchema = (baseDomain: string) => {
  let schema = specSchemas.get(baseDomain)
  if (!schema) specSchemas.set(baseDomain, (schema = buildSpecSchema(baseDomain)))
  return schema
}

const buildSpecSchema = (baseDomain: string) =>
  z.object({
    name: tenantNameSchema,
    subdomain: subdomainSchema,
    plan: z.string().trim().toLowerCase().default(DEFAULT_PLAN),
    contactEmail: emailSchema.optional(),
    ownerEmail: emailSchema.optional(),
    ownerPassword: z.string().optional(),
    ...limitsSchema.shape,
    customDomain: customDomainSchema(baseDomain).optional(),
    features: togglesSchema('Features').default({}),
    settings: settingsSchema.default({}),
    ...securitySchema.shape,
  })

/** one compiled schema per base domain: zod compiles each schema object once */
const specSchemas = new Map<string, ReturnType<typeof buildSpecSchema>>()

export type TenantSpec = z.infer<ReturnType<typeof tenantSpecSchema>>
export type TenantInput = z.input<ReturnType<typeof tenantSpecSchema>>

export interface TenantMember {
  email: string
  role: string
  status: 'invited' | 'active'
}

export interface TenantDetails {
  id: string
  name: string
  subdomain: string
  accessUrl: string
  status: TenantStatus
  plan: string
  limits: Limits
  /** effective features: the plan's, with the tenant's overrides applied */
  features: string[]
  featureOverrides: Record<string, boolean>
  contactEmail: string | null
  customDomain: string | null
  settings: Record<string, unknown>
  security: SecurityPolicy
  owners: TenantMember[]
  createdAt: Date
  updatedAt: Date
}

export interface OwnerInvitation {
  email: string
  /** shown once; only its SHA-256 is stored */
  token: string
  expiresAt: Date
}

export interface CreateTenantResult {
  tenant: TenantDetails
  ownerInvitation?: OwnerInvitation
  /** a warning, or one whose remedy is a command (Action, rendered by the front end) */
  warnings: Hint[]
}

export const effectiveFeatures = (planFeatures: string[], overrides: Record<string, boolean>) =>
  [...new Set([...planFeatures, ...Object.keys(overrides)])].filter((f) => overrides[f] ?? planFeatures.includes(f)).sort()

interface TenantRow extends Limits, SecurityPolicy {
  id: string
  name: string
  subdomain: string
  status: TenantStatus
  planId: string
  contactEmail: string | null
  customDomain: string | null
  settings: Record<string, unknown>
  planFeatures: string[]
  featureOverrides: Record<string, boolean>
  owners: TenantMember[] | null
  createdAt: Date
  updatedAt: Date
}

function toDetails(row: TenantRow, baseDomain: string): TenantDetails {
  return {
    id: row.id,
    name: row.name,
    subdomain: row.subdomain,
    accessUrl: accessUrl(row.subdomain, baseDomain),
    status: row.status,
    plan: row.planId,
    limits: {maxAssets: row.maxAssets, maxUsers: row.maxUsers, maxDevices: row.maxDevices, storageQuotaGb: row.storageQuotaGb},
    features: effectiveFeatures(row.planFeatures, row.featureOverrides),
    featureOverrides: row.featureOverrides,
    contactEmail: row.contactEmail,
    customDomain: row.customDomain,
    settings: row.settings,
    security: {
      enable2fa: row.enable2fa,
      sessionTimeoutMinutes: row.sessionTimeoutMinutes,
      passwordPolicy: row.passwordPolicy,
      allowedIpRanges: row.allowedIpRanges,
    },
    owners: row.owners ?? [],
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  }
}

/**
 * The version of a tenant as it is now (the HTTP API's ETag): a hash of all
 * it shows, so any change, through any front end, gives another.
 */
export const tenantVersion = (tenant: TenantDetails) => sha256(canonicalJson(tenant)).slice(0, 32)

/** A tenant by id or subdomain (case-insensitive), in full; TENANT_NOT_FOUND otherwise. */
export async function getTenant(sql: Sql | TransactionSql, ref: string, baseDomain: string): Promise<TenantDetails> {
  const [row] = await sql<TenantRow[]>`
    select t.id, t.name, t.subdomain, t.status, t.plan_id, t.max_assets, t.max_users, t.max_devices,
      t.storage_quota_gb, t.contact_email, t.custom_domain, t.settings, t.enable_2fa as "enable2fa",
      t.session_timeout_minutes, t.password_policy, t.allowed_ip_ranges::text[] as allowed_ip_ranges,
      t.created_at, t.updated_at, p.features as plan_features,
      coalesce((select jsonb_object_agg(f.feature, f.enabled) from tenant_features f where f.tenant_id = t.id), '{}') as feature_overrides,
      (select json_agg(json_build_object('email', u.email, 'role', m.role, 'status', m.status) order by u.email)
         from memberships m join users u on u.id = m.user_id
        where m.tenant_id = t.id and m.role = 'owner') as owners
    from tenants t join plans p on p.id = t.plan_id
    where ${tenantKey(sql, ref)}`
  if (!row) throw tenantNotFound(ref)
  return toDetails(row, baseDomain)
}

/** Field names for errors: the spec's camelCase keys unless the caller maps them (to flags, CSV columns). */
export type FieldName = (path: PropertyKey[]) => string

export interface ValidatedSpec {
  spec: TenantSpec
  plan: Plan
  security: SecurityPolicy
  limits: Limits
}

/** Parse and check a spec against the catalog, reporting every problem at once. */
export function validateTenantSpec(input: TenantInput, catalog: Catalog, baseDomain: string, fieldName: FieldName = (p) => p.join('.')): ValidatedSpec {
  const errors: AppError[] = []
  const parsed = tenantSpecSchema(baseDomain).safeParse(input)
  if (!parsed.success) errors.push(...issuesToErrors(parsed.error, fieldName))
  let plan: Plan | undefined
  try {
    plan = findPlan(catalog, typeof input.plan === 'string' ? input.plan : DEFAULT_PLAN, fieldName(['plan']))
  } catch (error) {
    errors.push(error as AppError)
  }
  for (const name of Object.keys(input.features ?? {})) {
    const unknown = checkFeatureName(catalog, name, fieldName(['features', name]))
    if (unknown) errors.push(unknown)
  }
  const security: SecurityPolicy = {
    enable2fa: parsed.data?.enable2fa ?? false,
    sessionTimeoutMinutes: parsed.data?.sessionTimeoutMinutes ?? DEFAULT_SESSION_TIMEOUT_MINUTES,
    passwordPolicy: {...DEFAULT_PASSWORD_POLICY, ...parsed.data?.passwordPolicy},
    allowedIpRanges: [...new Set(parsed.data?.allowedIpRanges ?? [])],
  }
  const spec = parsed.data
  if (spec?.ownerPassword !== undefined) {
    if (!spec.ownerEmail) {
      errors.push(new AppError('OWNER_EMAIL_REQUIRED', 'An owner password was given without an owner email.', {field: fieldName(['ownerEmail'])}))
    }
    const unmet = unmetPasswordRules(spec.ownerPassword, security.passwordPolicy)
    if (unmet.length > 0) {
      errors.push(new AppError('PASSWORD_WEAK', `The owner password does not meet the tenant's password policy; it needs ${unmet.join(', ')}.`, {
        field: fieldName(['ownerPassword']),
        details: {unmet},
        suggestions: ['Choose a longer password with the missing character classes, or leave it out to send an invitation instead.'],
      }))
    }
  }
  if (errors.length > 0 || !spec || !plan) throw new ValidationErrors(errors)
  const limits: Limits = {
    maxAssets: spec.maxAssets ?? plan.limits.maxAssets,
    maxUsers: spec.maxUsers ?? plan.limits.maxUsers,
    maxDevices: spec.maxDevices ?? plan.limits.maxDevices,
    storageQuotaGb: spec.storageQuotaGb ?? plan.limits.storageQuotaGb,
  }
  return {spec, plan, security, limits}
}

/** JSON with object keys sorted at every depth: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined || typeof value !== 'object' || value instanceof Date) return JSON.stringify(value ?? null)
  if (Array.isArray(value)) {
    let out = '['
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + canonicalJson(value[i])
    return out + ']'
  }
  const object = value as Record<string, unknown>
  let out = '{'
  for (const key of Object.keys(object).sort()) {
    if (object[key] === undefined) continue
    out += (out.length > 1 ? ',' : '') + JSON.stringify(key) + ':' + canonicalJson(object[key])
  }
  return out + '}'
}

export interface MemberSpec {
  email: string
  role: 'owner' | 'admin' | 'editor' | 'viewer'
  permissions: Record<string, boolean>
}

/** The SHA-256 of what a tenant is created from; the same spec gives the same hash. */
export function specHash(valid: ValidatedSpec, members: MemberSpec[] = []): string {
  const {spec, plan, limits, security} = valid
  // fixed order for what this module builds; canonical form only for free-form objects
  return sha256(JSON.stringify([
    spec.name,
    spec.subdomain,
    plan.id,
    [limits.maxAssets, limits.maxUsers, limits.maxDevices, limits.storageQuotaGb],
    spec.contactEmail ?? null,
    spec.customDomain ?? null,
    spec.ownerEmail ?? null,
    Object.keys(spec.features).length > 0 ? canonicalJson(spec.features) : '',
    Object.keys(spec.settings).length > 0 ? canonicalJson(spec.settings) : '',
    JSON.stringify(security),
    members.length > 0 ? canonicalJson([...members].sort((a, b) => (a.email < b.email ? -1 : 1))) : '',
  ]))
}

/**
 * A unique violation on a tenant's subdomain or custom domain (another writer
 * got there first) as the conflict a person understands; undefined for any other error.
 */
export function domainConflict(error: unknown, values: {subdomain?: string; customDomain?: string | null}, fieldName: FieldName = (p) => p.join('.')): AppError | undefined {
  const e = error as {code?: string; constraint_name?: string; message?: string}
  if (e.code !== '23505') return undefined
  // Citus passes on a worker's error without the constraint's name, and names a shard's index
  // (the table's index name, then the shard id)
  const constraint = (e.constraint_name ?? /unique constraint "([^"]+)"/.exec(e.message ?? '')?.[1])?.replace(/_\d+$/, '')
  if (constraint === 'tenants_subdomain_key' || constraint === 'tenant_domains_subdomain_key') {
    return conflict('SUBDOMAIN_TAKEN', `Subdomain "${values.subdomain}" is already taken.`, {field: fieldName(['subdomain'])})
  }
  if (constraint === 'tenants_custom_domain_key' || constraint === 'tenant_domains_custom_domain_key') {
    return conflict('CUSTOM_DOMAIN_TAKEN', `Custom domain "${values.customDomain}" is already used by another tenant.`, {
      field: fieldName(['customDomain']),
      suggestions: ['Choose another domain, or remove it from the other tenant first.'],
    })
  }
  return undefined
}

/** domainConflict, with free alternatives for a taken subdomain. */
async function uniqueViolation(sql: Sql, error: unknown, spec: TenantSpec, fieldName: FieldName): Promise<AppError | undefined> {
  const known = domainConflict(error, spec, fieldName)
  if (known?.code !== 'SUBDOMAIN_TAKEN') return known
  return conflict(known.code, known.message, {field: known.field, suggestions: await suggestSubdomains(sql, spec.subdomain).catch(() => [])})
}

/** Every column a new tenant is written with, and the type its text is cast to: the one list for a create and a bulk batch. */
const NEW_TENANT_COLUMNS = {
  id: 'uuid', name: 'text', subdomain: 'text', plan_id: 'text',
  max_assets: 'int', max_users: 'int', max_devices: 'int', storage_quota_gb: 'int',
  contact_email: 'text', custom_domain: 'text', settings: 'jsonb',
  enable_2fa: 'bool', session_timeout_minutes: 'int', password_policy: 'jsonb', allowed_ip_ranges: 'cidr[]',
  spec_sha256: 'text',
} as const
type NewTenantRow = Record<keyof typeof NEW_TENANT_COLUMNS, string | null>
const newTenantColumns = Object.keys(NEW_TENANT_COLUMNS) as (keyof typeof NEW_TENANT_COLUMNS)[]

/** A new tenant's row: every column's value as the text PostgreSQL casts it from. */
function newTenantRow({spec, plan, limits, security}: ValidatedSpec, hash: string, id: string): NewTenantRow {
  return {
    id,
    name: spec.name,
    subdomain: spec.subdomain,
    plan_id: plan.id,
    max_assets: String(limits.maxAssets),
    max_users: String(limits.maxUsers),
    max_devices: String(limits.maxDevices),
    storage_quota_gb: String(limits.storageQuotaGb),
    contact_email: spec.contactEmail ?? null,
    custom_domain: spec.customDomain ?? null,
    settings: JSON.stringify(spec.settings),
    enable_2fa: String(security.enable2fa),
    session_timeout_minutes: String(security.sessionTimeoutMinutes),
    password_policy: JSON.stringify(security.passwordPolicy),
    // validated CIDRs: no comma, quote or brace to escape
    allowed_ip_ranges: `{${security.allowedIpRanges.join(',')}}`,
    spec_sha256: hash,
  }
}

const INSERT_TENANTS = `
  insert into tenants (${newTenantColumns.join(', ')})
  select ${newTenantColumns.map((c) => `${c}::${NEW_TENANT_COLUMNS[c]}`).join(', ')}
  from unnest(${newTenantColumns.map((_, i) => `$${i + 1}::text[]`).join(', ')}) as r(${newTenantColumns.join(', ')})
`

/** A tenant to write: its validated spec, the spec's hash, and what its audit row notes besides the spec. */
export interface NewTenant {
  valid: ValidatedSpec
  hash: string
  audit?: Record<string, unknown>
}

/**
 * Write validated tenants, their feature overrides and their tenant.create
 * audit rows with set-based inserts, in the caller's transaction: one create,
 * or a whole bulk batch. Returns each tenant's id, in the order given.
 */
export async function insertTenantRows(tx: TransactionSql, tenants: NewTenant[], actor: string, ids: string[] = tenants.map(() => randomUUID())): Promise<string[]> {
  const rows = tenants.map((t, i) => newTenantRow(t.valid, t.hash, ids[i]!))
  const features = tenants.flatMap((t, i) => Object.entries(t.valid.spec.features).map(([f, on]) => [ids[i]!, f, on] as const))
  // the ids are known here: the statements are sent at once (pipelined, execute() keeps their order) when
  // this is called, and a caller may send its own about these tenants right after, in the same round trip
  await Promise.all([
    tx.unsafe(INSERT_TENANTS, newTenantColumns.map((c) => rows.map((r) => r[c]))).execute(),
    claimDomains(tx, tenants.map((t, i) => ({tenantId: ids[i]!, subdomain: t.valid.spec.subdomain, customDomain: t.valid.spec.customDomain}))),
    features.length > 0 && tx`insert into tenant_features (tenant_id, feature, enabled)
      select * from unnest(${features.map((f) => f[0])}::uuid[], ${features.map((f) => f[1])}::text[], ${features.map((f) => String(f[2]))}::text[]::bool[])`.execute(),
    writeAudits(tx, tenants.map(({valid: {spec, plan, limits, security}, audit}, i) => ({
      actor,
      action: 'tenant.create',
      tenantId: ids[i],
      subject: spec.subdomain,
      arguments: {...spec, plan: plan.id, limits, security, ...audit},
    }))),
  ])
  return ids
}

/** The steps of createTenant, in order; `hash` is skipped without an owner password (the owner gets an invitation). */
export const CREATE_TENANT_STEPS = ['validate', 'hash', 'insert', 'verify'] as const
export type CreateTenantStep = (typeof CREATE_TENANT_STEPS)[number]

/**
 * Create a tenant in one transaction: the tenant, its feature overrides, its
 * owner (a new user with a bcrypt hash, or an invitation) and the audit row;
 * then read it back (step verify, whose detail is its subdomain and status).
 * `onStep` hears each step of CREATE_TENANT_STEPS start and end.
 */
export async function createTenant(sql: Sql, input: TenantInput, ctx: Context, fieldName?: FieldName, onStep?: OnStep<CreateTenantStep>): Promise<CreateTenantResult> {
  const valid = await runStep(onStep, 'validate', async () => validateTenantSpec(input, await loadCatalog(sql), ctx.baseDomain, fieldName))
  let hash: string | undefined
  if (valid.spec.ownerPassword === undefined) onStep?.({step: 'hash', state: 'skipped'})
  else hash = await runStep(onStep, 'hash', () => hashOwnerPassword(valid))
  const result = await runStep(onStep, 'insert', () => insertTenant(sql, valid, hash, ctx, fieldName))
  await runStep(onStep, 'verify', () => getTenant(sql, result.tenant.id, ctx.baseDomain), (t) => `${t.subdomain} is ${t.status}`)
  return result
}

/** The bcrypt hash of the owner password, if one was given (slow on purpose: cost 12). */
async function hashOwnerPassword(valid: ValidatedSpec): Promise<string | undefined> {
  return valid.spec.ownerPassword === undefined ? undefined : hashPassword(valid.spec.ownerPassword)
}

/** The write step of createTenant, for callers that show validation and hashing as steps of their own. */
export async function insertTenant(sql: Sql, valid: ValidatedSpec, passwordHash: string | undefined, ctx: Context, fieldName?: FieldName): Promise<CreateTenantResult> {
  const {spec, plan} = valid
  const warnings: Hint[] = []
  try {
    return await sql.begin(async (tx) => {
      const [tenantId] = (await insertTenantRows(tx, [{valid, hash: specHash(valid)}], ctx.actor)) as [string]
      let ownerInvitation: OwnerInvitation | undefined
      if (spec.ownerEmail) {
        const owner = await addMembership(tx, tenantId, {email: spec.ownerEmail, role: 'owner', permissions: {admin: true}, passwordHash, activate: true})
        if (owner.userExisted && passwordHash) {
          warnings.push(`${spec.ownerEmail} already has an account; their password was left unchanged.`)
        }
        if (owner.token && owner.expiresAt) ownerInvitation = {email: owner.email, token: owner.token, expiresAt: owner.expiresAt}
      } else {
        warnings.push({command: 'user.invite', args: {tenant: spec.subdomain, email: null, role: 'owner'}, text: 'The tenant has no owner yet; invite one with `{command}`.'})
      }
      return {tenant: await getTenant(tx, tenantId, ctx.baseDomain), ownerInvitation, warnings}
    })
  } catch (error) {
    const known = await uniqueViolation(sql, error, spec, fieldName ?? ((p) => p.join('.')))
    if (!known) throw error
    await writeAudit(sql, {
      actor: ctx.actor,
      action: 'tenant.create',
      subject: spec.subdomain,
      arguments: {...spec, plan: plan.id},
      outcome: 'failure',
      errorCode: known.code,
    })
    throw known
  }
}

/** The tenant's own feature overrides (on or off, whatever its plan). */
export async function loadFeatureOverrides(sql: Sql | TransactionSql, tenantId: string): Promise<Record<string, boolean>> {
  const rows = await sql<{feature: string; enabled: boolean}[]>`select feature, enabled from tenant_features where tenant_id = ${tenantId} order by feature`
  return Object.fromEntries(rows.map((r) => [r.feature, r.enabled]))
}

/** The tenant's effective features: its plan's, with its overrides applied. */
export async function loadEffectiveFeatures(sql: Sql | TransactionSql, tenantId: string): Promise<string[]> {
  const [row] = await sql<{planFeatures: string[]; overrides: Record<string, boolean>}[]>`
    select p.features as plan_features,
      coalesce((select jsonb_object_agg(f.feature, f.enabled) from tenant_features f where f.tenant_id = t.id), '{}') as overrides
    from tenants t join plans p on p.id = t.plan_id where t.id = ${tenantId}`
  return row ? effectiveFeatures(row.planFeatures, row.overrides) : []
}
