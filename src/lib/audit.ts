import type {Sql, TransactionSql} from 'postgres'

import {isUuid} from './db/tenant-context.js'
import {AppError} from './errors.js'
import {DAY_MS, parseSpan} from './expiry.js'
import {decodeCursor, KEY, type Page, type PageRequest, toPage} from './paging.js'
import {judgeSubdomain} from './validation.js'

/** password, ownerPassword, token, apiKey, keyHash...; not passwordPolicy */
const SECRET_KEY = /(password|secret|token|key|hash)$/i

/** A copy of the arguments with every secret-looking key removed, at any depth. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact)
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([key]) => !SECRET_KEY.test(key))
        .map(([key, v]) => [key, redact(v)]),
    )
  }
  return value
}

export interface AuditEntry {
  actor: string
  action: string
  tenantId?: string | null
  subject?: string
  arguments?: Record<string, unknown>
  outcome?: 'success' | 'failure'
  errorCode?: string
}

/** Append one audit row; pass the transaction that makes the change. */
export async function writeAudit(sql: Sql | TransactionSql, entry: AuditEntry): Promise<void> {
  await writeAudits(sql, [entry])
}

/** Append audit rows in one statement (a bulk batch's); the arguments redacted as writeAudit's. */
export async function writeAudits(sql: Sql | TransactionSql, entries: AuditEntry[]): Promise<void> {
  await sql`
    insert into audit_log (tenant_id, actor, action, subject, arguments, outcome, error_code)
    select * from unnest(${entries.map((e) => e.tenantId ?? null)}::uuid[], ${entries.map((e) => e.actor)}::text[],
      ${entries.map((e) => e.action)}::text[], ${entries.map((e) => e.subject ?? null)}::text[],
      ${entries.map((e) => JSON.stringify(redact(e.arguments ?? {})))}::text[]::jsonb[], ${entries.map((e) => e.outcome ?? 'success')}::text[],
      ${entries.map((e) => e.errorCode ?? null)}::text[])`
}

export interface AuditRow {
  id: string
  at: Date
  /** the tenant's subdomain now; null for a tenant since deleted */
  tenant: string | null
  actor: string
  action: string
  tenantId: string | null
  subject: string | null
  arguments: Record<string, unknown>
  outcome: 'success' | 'failure'
  errorCode: string | null
}

export interface AuditFilter {
  /** a tenant id, or a subdomain (also of a deleted tenant) */
  tenant?: string
  /** an action, or a prefix ending in * (tenant.*) */
  action?: string
  since?: Date
}

/** The longest span back from now --since takes: 100 years. */
export const MAX_SINCE_MS = 100 * 365.25 * DAY_MS

/** `2026-11-01`, an ISO timestamp, or a span back from now of at most 100 years: 30m, 24h, 7d; TIME_INVALID otherwise. */
export function parseSince(text: string, field = 'since'): Date {
  const ms = parseSpan(text)
  if (ms !== undefined) {
    if (ms > MAX_SINCE_MS) {
      throw new AppError('TIME_INVALID', `${field} "${text}" reaches back more than 100 years.`, {field, suggestions: ['Give a shorter span such as 30d, or a date such as 2026-11-01.']})
    }
    return new Date(Date.now() - ms)
  }
  const date = new Date(text)
  if (Number.isNaN(date.getTime())) throw new AppError('TIME_INVALID', `${field} "${text}" is neither a date nor a span like 24h or 7d.`, {field})
  return date
}

/** tenant.create, or a prefix ending in *: tenant.*, apikey* */
const ACTION_PATTERN = /^[a-z0-9_.-]*\*?$/i

/**
 * One page of the audit trail, newest first (keyset on the id). `total` only
 * with a tenant filter: counting a trail of millions of rows on every page
 * would cost more than the page.
 */
export async function listAudit(sql: Sql, filter: AuditFilter & PageRequest & {withTotal?: boolean}): Promise<Page<AuditRow>> {
  const tenant = filter.tenant?.trim().toLowerCase()
  const isId = tenant !== undefined && isUuid(tenant)
  if (tenant !== undefined && !isId && !judgeSubdomain(tenant).ok) {
    throw new AppError('TENANT_ID_INVALID', `"${filter.tenant}" is neither a tenant id (a UUID) nor a subdomain.`, {field: 'tenant'})
  }
  const action = filter.action?.trim()
  if (action !== undefined && (action === '' || !ACTION_PATTERN.test(action))) {
    throw new AppError('ACTION_INVALID', `Action "${filter.action}" is neither an action such as tenant.create nor a prefix such as tenant.*.`, {
      field: 'action',
      suggestions: ['tenant.*', 'tenant.create', 'user.invite', 'apikey.*'],
    })
  }
  const after = filter.after === undefined ? undefined : decodeCursor(filter.after, AUDIT_SORT, [KEY.bigint])
  const filters = sql`
      ${tenant === undefined ? sql`` : isId ? sql`and a.tenant_id = ${tenant}::uuid`
        // a deleted tenant's rows keep its subdomain as their subject
        : sql`and (a.tenant_id = (select id from tenants where lower(subdomain) = ${tenant}) or lower(a.subject) = ${tenant})`}
      ${action === undefined ? sql`` : action.endsWith('*') ? sql`and a.action like ${likePrefix(action.slice(0, -1))}` : sql`and a.action = ${action}`}
      ${filter.since ? sql`and a.at >= ${filter.since}` : sql``}`
  const rows = await sql<AuditRow[]>`
    select a.id::text as id, a.at, t.subdomain as tenant, a.actor, a.action, a.tenant_id, a.subject, a.arguments, a.outcome, a.error_code
    from audit_log a left join tenants t on t.id = a.tenant_id
    where true ${filters} ${after === undefined ? sql`` : sql`and a.id < ${after[0]!}::bigint`}
    order by a.id desc
    limit ${filter.limit + 1}`
  const total = tenant === undefined || filter.withTotal === false ? undefined : (await sql<{n: number}[]>`select count(*)::int as n from audit_log a where true ${filters}`)[0]!.n
  return toPage(rows, filter.limit, AUDIT_SORT, (r) => [r.id], total)
}

const AUDIT_SORT = '-id'
const likePrefix = (text: string) => `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
