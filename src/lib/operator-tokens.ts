/**
 * Operator tokens: the bearer credentials of the HTTP API (anthias serve),
 * for the platform's own systems (signup, billing, support tools). They are
 * distinct from a tenant's API keys (src/lib/api-keys.ts), which act inside
 * one tenant. A token is `at_<43 base64url characters>` (256 random bits),
 * shown once; only its SHA-256 is stored, so looking it up is one index probe.
 */
import type {Sql} from 'postgres'
import {z} from 'zod'

import {writeAudit} from './audit.js'
import type {Context} from './context.js'
import {AppError, conflict, type ErrorCode, notFound, ValidationErrors} from './errors.js'
import {parseSpan} from './expiry.js'
import {decodeCursor, KEY, type Page, type PageRequest, toPage} from './paging.js'
import {hashToken, newToken} from './secrets.js'
import {issuesToErrors, plainTextSchema} from './validation.js'

/** What a token may do; each route of the API needs one (src/server/routes). */
export const SCOPES = ['tenants:read', 'tenants:write', 'tenants:delete', 'members:write', 'apikeys:write', 'bulk', 'audit:read'] as const
export type Scope = (typeof SCOPES)[number]

/** The longest --expires-in: ten years. */
const MAX_EXPIRY_MS = 3650 * 86_400_000

export const operatorTokenInputSchema = z.object({
  name: plainTextSchema('Token name')
    .trim()
    .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/i, {error: 'Token name: 1 to 63 letters, digits, dots, dashes or underscores, starting with a letter or digit'}),
  scopes: z
    .array(z.string().trim().toLowerCase().pipe(z.enum(SCOPES, {error: `a scope is one of: ${SCOPES.join(', ')}`})))
    .min(1, {error: `give at least one scope: ${SCOPES.join(', ')}`}),
  /** a span from now: 30m, 12h, 90d, 52w; never, when absent */
  expiresIn: z.string().optional(),
})
export type OperatorTokenInput = z.input<typeof operatorTokenInputSchema>

export interface OperatorToken {
  id: string
  name: string
  scopes: string[]
  createdBy: string
  createdAt: Date
  expiresAt: Date | null
  revokedAt: Date | null
  lastUsedAt: Date | null
}

export interface CreatedOperatorToken extends OperatorToken {
  /** the bearer token, shown once */
  token: string
}

/** Who a request's bearer token is, once authenticated. */
export interface Operator {
  id: string
  name: string
  scopes: string[]
}

const CODES: Record<string, ErrorCode> = {name: 'TOKEN_NAME_INVALID', scopes: 'SCOPE_UNKNOWN', expiresIn: 'EXPIRY_INVALID'}

const COLUMNS = 'id, name, scopes, created_by, created_at, expires_at, revoked_at, last_used_at'

function expiryOf(text: string | undefined): Date | null {
  if (text === undefined) return null
  const ms = parseSpan(text)
  if (ms === undefined || ms <= 0 || ms > MAX_EXPIRY_MS) {
    throw new AppError('EXPIRY_INVALID', `expiresIn "${text}" is not a span from 1m to 3650d such as 30m, 12h, 90d or 52w.`, {field: 'expiresIn', suggestions: ['90d', '52w']})
  }
  return new Date(Date.now() + ms)
}

/** Create a token with its scopes; the token is in the result only (its SHA-256 is stored). */
export async function createOperatorToken(sql: Sql, input: OperatorTokenInput, ctx: Context): Promise<CreatedOperatorToken> {
  const parsed = operatorTokenInputSchema.safeParse(input)
  // each field's problems under its own code (the token's name is not a tenant's NAME_INVALID)
  const errors = parsed.success ? [] : issuesToErrors(parsed.error).map((e) => new AppError(CODES[String(e.field).split('.')[0]!] ?? e.code, e.message, {field: e.field}))
  let expiresAt: Date | null = null
  try {
    expiresAt = expiryOf(input.expiresIn)
  } catch (error) {
    errors.push(error as AppError)
  }
  if (!parsed.success || errors.length > 0) throw new ValidationErrors(errors)
  const {name} = parsed.data
  const scopes = [...new Set(parsed.data.scopes)].sort()
  const {token, hash} = newToken('at')
  return sql.begin(async (tx) => {
    const [row] = await tx.unsafe<OperatorToken[]>(
      `insert into operator_tokens (name, token_hash, scopes, created_by, expires_at) values ($1, $2, $3, $4, $5)
       on conflict do nothing returning ${COLUMNS}`,
      [name, hash, scopes, ctx.actor, expiresAt],
    )
    if (!row) {
      throw conflict('TOKEN_NAME_TAKEN', `An operator token named "${name}" exists already.`, {
        field: 'name',
        suggestions: [{command: 'token.revoke', args: {name}, text: 'Choose another name, or revoke the old token first with `{command}`.'}],
      })
    }
    await writeAudit(tx, {actor: ctx.actor, action: 'token.create', subject: name, arguments: {name, scopes, expiresAt: expiresAt?.toISOString() ?? null}})
    return {...row, token}
  }) as Promise<CreatedOperatorToken>
}

const TOKEN_SORT = 'created'

/** One page of operator tokens, oldest first (keyset on the creation time and the id); never a token. */
export async function listOperatorTokens(sql: Sql, page: PageRequest & {withTotal?: boolean}): Promise<Page<OperatorToken>> {
  const after = page.after === undefined ? undefined : decodeCursor(page.after, TOKEN_SORT, [KEY.time, KEY.uuid])
  // the time as text: a parameter typed timestamptz would go through a JS Date and lose its microseconds
  const rows = await sql.unsafe<(OperatorToken & {createdKey: string})[]>(
    `select ${COLUMNS}, created_at::text as created_key from operator_tokens
    ${after === undefined ? '' : 'where (created_at, id) > ($2::text::timestamptz, $3::uuid)'}
    order by created_at, id limit $1`,
    [page.limit + 1, ...(after ?? [])],
  )
  const total = page.withTotal === false ? undefined : (await sql<[{n: number}]>`select count(*)::int as n from operator_tokens`)[0].n
  const result = toPage(rows, page.limit, TOKEN_SORT, (r) => [r.createdKey, r.id], total)
  return {...result, items: result.items.map(({createdKey: _createdKey, ...token}) => token)}
}

/** Revoke the live token of that name; TOKEN_NOT_FOUND when there is none. */
export async function revokeOperatorToken(sql: Sql, name: string, ctx: Context): Promise<OperatorToken> {
  return sql.begin(async (tx) => {
    const [row] = await tx.unsafe<OperatorToken[]>(
      `update operator_tokens set revoked_at = now() where lower(name) = lower($1) and revoked_at is null returning ${COLUMNS}`,
      [name.trim()],
    )
    if (!row) throw notFound('TOKEN_NOT_FOUND', `No live operator token named "${name}".`, [{command: 'token.list', text: 'List the tokens with `{command}`.'}])
    await writeAudit(tx, {actor: ctx.actor, action: 'token.revoke', subject: row.name, arguments: {name: row.name}})
    return row
  }) as Promise<OperatorToken>
}

/**
 * The operator a bearer token belongs to: TOKEN_MISSING without one,
 * TOKEN_INVALID for an unknown one, TOKEN_EXPIRED or TOKEN_REVOKED. Marks it
 * used at most once a minute (a write per request would cost more than the lookup).
 */
export async function authenticateOperator(sql: Sql, token: string | undefined): Promise<Operator> {
  if (!token) throw new AppError('TOKEN_MISSING')
  // one round trip: the lookup, and a live token marked used (at most once a minute)
  const [row] = await sql<(Operator & {expired: boolean; revoked: boolean})[]>`
    with found as (
      select id, name, scopes, coalesce(expires_at <= now(), false) as expired, revoked_at is not null as revoked, last_used_at
      from operator_tokens where token_hash = ${hashToken(token)}
    ), used as (
      update operator_tokens t set last_used_at = now() from found f
      where t.id = f.id and not f.expired and not f.revoked and (f.last_used_at is null or f.last_used_at < now() - interval '1 minute')
    )
    select id, name, scopes, expired, revoked from found`
  if (!row) throw new AppError('TOKEN_INVALID')
  if (row.revoked) throw new AppError('TOKEN_REVOKED', `The operator token "${row.name}" was revoked.`)
  if (row.expired) throw new AppError('TOKEN_EXPIRED', `The operator token "${row.name}" has expired.`, {suggestions: [{command: 'token.create', args: {name: null, scope: null}, text: 'Create a new one with `{command}`.'}]})
  return {id: row.id, name: row.name, scopes: row.scopes}
}

/** SCOPE_MISSING unless the operator's token has `scope`. */
export function requireScope(operator: Operator, scope: Scope): void {
  if (operator.scopes.includes(scope)) return
  throw new AppError('SCOPE_MISSING', `The operator token "${operator.name}" lacks the scope ${scope} (it has ${operator.scopes.join(', ')}).`, {
    details: {required: scope, granted: operator.scopes},
    suggestions: [{command: 'token.create', args: {name: null, scope}, text: 'Create a token with that scope: `{command}`.'}],
  })
}

/** The audit trail's actor for a request made with this operator's token. */
export const operatorActor = (operator: Pick<Operator, 'name'>) => `token:${operator.name}`
