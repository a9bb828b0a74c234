import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {RESTORE_PHASES} from './restore.js'
import type {TenantRecoverResult} from '../../lib/results.js'

export default class TenantRecover extends BaseCommand<typeof TenantRecover> {
  static override hiddenAliases = ['recover_tenant_data']
  static override description = describe(
    `Recover one table of a tenant from a backup (the guide's partial data recovery), after the same verification as a restore. --mode replace (default) makes the table's rows exactly the backup's: the rows it has are updated in place and only those it lacks are deleted, so rows of other tables that refer to them keep their links (qr_contents.asset_id after recovering assets, assets.created_by after recovering memberships). --mode merge adds the missing ones.`,
  )
  static override examples = [
    '<%= config.bin %> recover_tenant_data --tenant acme-corp --table assets --from tenant_backup_20240101.sql',
    '<%= config.bin %> tenant recover --tenant acme-corp --table devices --from acme.sql.gz --mode merge --json',
  ]
  static override flags = {
    tenant: Flags.string({description: 'subdomain or tenant id', required: true, helpValue: 'T'}),
    table: Flags.string({description: 'the table to recover, e.g. assets, devices, qr_contents', required: true}),
    from: Flags.string({description: 'the backup file', required: true, helpValue: 'FILE'}),
    mode: Flags.string({description: 'replace the table\'s rows, or merge missing ones', options: ['replace', 'merge'], default: 'replace'}),
  }

  async run(): Promise<TenantRecoverResult> {
    const {readManifest, restoreTenant} = await import('../../lib/backup.js')
    const {getTenant} = await import('../../lib/tenants.js')
    const {AppError} = await import('../../lib/errors.js')
    const {symbols} = await import('../../ui/format.js')
    const {sql} = await this.database()
    const tenant = await getTenant(sql, this.flags.tenant, (await this.context()).baseDomain)
    const {backupInput} = await import('../../inputs.js')
    const input = await backupInput(this.flags.from)
    const manifest = await readManifest(input)
    if (manifest.tenant.id !== tenant.id) {
      throw new AppError('BACKUP_OTHER_TENANT', `${this.flags.from} is a backup of ${manifest.tenant.subdomain}, not of ${tenant.subdomain}.`, {field: '--from'})
    }
    const ctx = await this.context()
    const result = await this.withProgress(RESTORE_PHASES, () => 'nothing was changed (the transaction was rolled back)', (onProgress) =>
      restoreTenant(sql, input, {mode: this.flags.mode as 'replace' | 'merge', table: this.flags.table, onProgress}, ctx))
    this.log(`${symbols.ok} Recovered ${this.flags.table} of ${tenant.subdomain} (${result.mode}): ${result.rows[this.flags.table]} rows`)
    return result
  }
}
