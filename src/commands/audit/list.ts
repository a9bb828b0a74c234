import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import type {AuditRow} from '../../lib/audit.js'

export default class AuditList extends BaseCommand<typeof AuditList> {
  static override description = describe(
    'Show the audit trail, newest first: who did what to which tenant, with the arguments (secrets removed) and the outcome. The trail is append-only: a trigger refuses updates and deletes for everyone, and the application role may only insert and read.',
  )
  static override examples = [
    '<%= config.bin %> audit list --tenant acme-corp',
    '<%= config.bin %> audit list --action "tenant.*" --since 7d',
    '<%= config.bin %> audit list --since 2026-11-01 --limit 500 --json',
  ]
  static override flags = {
    tenant: Flags.string({description: 'subdomain (also of a deleted tenant) or tenant id', helpValue: 'T'}),
    action: Flags.string({description: 'an action such as tenant.create, or a prefix like tenant.*', helpValue: 'ACTION'}),
    since: Flags.string({description: 'a date or time (2026-11-01, ISO) or a span back from now of at most 100 years (30m, 24h, 7d)', helpValue: 'TIME'}),
    limit: Flags.integer({description: 'at most this many rows', default: 100, min: 1, max: 100_000}),
  }

  async run(): Promise<AuditRow[]> {
    const {listAudit, parseSince} = await import('../../lib/audit.js')
    const {table} = await import('../../lib/ui/format.js')
    const since = this.flags.since === undefined ? undefined : parseSince(this.flags.since)
    const rows = await listAudit((await this.database()).sql, {tenant: this.flags.tenant, action: this.flags.action, since, limit: this.flags.limit})
    if (rows.length === 0) this.log('No audit rows.')
    else {
      this.log(table(['at', 'actor', 'action', 'tenant', 'subject', 'outcome'], rows.map((r) => [
        r.at.toISOString().slice(0, 16).replace('T', ' '), r.actor, r.action, r.tenant ?? (r.tenantId ? '(deleted)' : '-'),
        r.subject === r.tenant ? '' : r.subject, r.outcome === 'success' ? 'ok' : `failed ${r.errorCode ?? ''}`,
      ])))
    }
    return rows
  }
}
