import type {Sql, TransactionSql} from 'postgres'

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
  await sql`
    insert into audit_log (tenant_id, actor, action, subject, arguments, outcome, error_code)
    values (${entry.tenantId ?? null}, ${entry.actor}, ${entry.action}, ${entry.subject ?? null},
      ${sql.json(redact(entry.arguments ?? {}) as never)}, ${entry.outcome ?? 'success'}, ${entry.errorCode ?? null})`
}
