import {Flags} from '@oclif/core'

import {describe} from '../../base.js'
import {listFlags} from '../../flags.js'
import {ListCommand} from '../../list-command.js'
import type {AuditRow} from '../../lib/audit.js'
import type {AuditListResult} from '../../lib/results.js'

export default class AuditList extends ListCommand<typeof AuditList> {
  static override description = describe(
    'Show the audit trail, newest first: who did what to which tenant, with the arguments (secrets removed) and the outcome, a page at a time (100 by default; --all for every row). --json gives {items, nextCursor}, and total with --tenant. The trail is append-only: a trigger refuses updates and deletes for everyone, and the application role may only insert and read.',
  )
  static override examples = [
    '<%= config.bin %> audit list --tenant acme-corp',
    '<%= config.bin %> audit list --action "tenant.*" --since 7d',
    '<%= config.bin %> audit list --since 2026-11-01 --limit 500 --json',
    '<%= config.bin %> audit list --tenant acme-corp --all --csv > acme-audit.csv',
  ]
  static override flags = {
    tenant: Flags.string({description: 'subdomain (also of a deleted tenant) or tenant id', helpValue: 'T'}),
    action: Flags.string({description: 'an action such as tenant.create, or a prefix like tenant.*', helpValue: 'ACTION'}),
    since: Flags.string({description: 'a date or time (2026-11-01, ISO) or a span back from now of at most 100 years (30m, 24h, 7d)', helpValue: 'TIME'}),
    ...listFlags(100),
  }

  async run(): Promise<AuditListResult | undefined> {
    const {listAudit, parseSince} = await import('../../lib/audit.js')
    const since = this.flags.since === undefined ? undefined : parseSince(this.flags.since)
    const {sql} = await this.database()
    const {tenant, action} = this.flags
    return this.list<AuditRow>({
      columns: [
        {name: 'at', value: (r) => r.at.toISOString().slice(0, 16).replace('T', ' ')},
        {name: 'actor', value: (r) => r.actor},
        {name: 'action', value: (r) => r.action},
        {name: 'tenant', value: (r) => r.tenant ?? (r.tenantId ? '(deleted)' : '-')},
        {name: 'subject', value: (r) => (r.subject === r.tenant ? '' : r.subject)},
        {name: 'outcome', value: (r) => (r.outcome === 'success' ? 'ok' : `failed ${r.errorCode ?? ''}`)},
        {name: 'id', value: (r) => r.id},
        {name: 'tenant-id', value: (r) => r.tenantId},
        {name: 'time', value: (r) => r.at.toISOString()},
        {name: 'arguments', value: (r) => JSON.stringify(r.arguments)},
      ],
      defaults: ['at', 'actor', 'action', 'tenant', 'subject', 'outcome'],
      empty: 'No audit rows.',
      fetch: (page) => listAudit(sql, {tenant, action, since, ...page}),
    })
  }
}
