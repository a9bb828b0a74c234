import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {tenantArg} from '../../flags.js'
import type {TenantDeleteResult} from '../../lib/results.js'

export default class TenantDelete extends BaseCommand<typeof TenantDelete> {
  static override description = describe(
    `Delete a tenant and all its rows, children first, in one transaction; the audit trail is kept.

The tenant's exact name must be typed in a terminal, or given with --confirm-name. A mismatch exits 2 and deletes nothing. A verified backup is written first (its path reported) unless --no-backup, in the same transaction, which holds the tenant row locked: no row can be added to the tenant meanwhile, so what is deleted is exactly what was backed up. Reports the rows deleted per table, and an orphan scan afterwards. Webhook endpoints subscribed to tenant.deleted (see webhook add) get the event, queued in the same transaction.`,
  )
  static override examples = [
    '<%= config.bin %> tenant delete acme-corp',
    '<%= config.bin %> tenant delete acme-corp --confirm-name "Acme Corp" --json',
  ]
  static override args = {tenant: tenantArg}
  static override flags = {
    'confirm-name': Flags.string({description: "the tenant's exact name (asked in a terminal when missing)", helpValue: 'NAME'}),
    backup: Flags.boolean({description: 'write and verify a backup first', default: true, allowNo: true}),
    'backup-file': Flags.string({description: 'where the backup goes (default tenant_backup_SUBDOMAIN_TIMESTAMP.sql)', helpValue: 'FILE'}),
  }

  async run(): Promise<TenantDeleteResult> {
    const {deleteTenant} = await import('../../lib/tenant-delete.js')
    const {defaultBackupPath, newBackupFile} = await import('../../backup-files.js')
    const {getTenant} = await import('../../lib/tenants.js')
    const {escapeControls, table, symbols} = await import('../../ui/format.js')
    const {sql} = await this.database()
    const ctx = await this.context()
    const target = await getTenant(sql, this.args.tenant, ctx.baseDomain)
    const name = await this.confirmTenantName(this.flags['confirm-name'], target, `This deletes ${target.name} (${target.subdomain}) and all its data.`)
    const path = this.flags.backup ? this.flags['backup-file'] ?? defaultBackupPath(target.subdomain) : undefined
    const phases = [
      ...(path ? [{key: 'backup', title: `Back up ${target.subdomain}`}, {key: 'verify', title: 'Verify the backup'}] : []),
      {key: 'delete', title: `Delete ${target.subdomain}`},
    ]
    const result = await this.withProgress(phases, () => 'nothing was changed (the transaction was rolled back)', (onProgress) => deleteTenant(sql, target.id, name, ctx, {backup: path === undefined ? undefined : () => newBackupFile(path), onProgress}))
    if (result.backup) this.log(`${symbols.ok} Verified backup: ${result.backup}`)
    this.log(`${symbols.ok} Deleted ${escapeControls(result.name)} (${result.subdomain})`)
    this.log(table(['table', 'rows deleted'], Object.entries(result.deleted).map(([t, n]) => [t, n])))
    this.log(Object.keys(result.orphans).length === 0 ? `${symbols.ok} Orphan scan: nothing left` : `${symbols.fail} Orphan scan: ${JSON.stringify(result.orphans)}`)
    return result
  }
}
