import {Args, Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import type {RestoreResult} from '../../lib/backup.js'

export default class TenantRestore extends BaseCommand<typeof TenantRestore> {
  static override aliases = ['restore_tenant_backup']
  static override description = describe(
    `Restore a tenant from a backup written by "tenant backup".

The manifest and every table's checksum are verified first, and every row must belong to the backed-up tenant: a tampered or truncated file is refused (exit 2) and nothing is written. The restore runs in one transaction through staging tables, the tenant data inserted as the application role in the tenant's context; row counts are checked before it commits.

--mode replace (default) makes the tenant exactly the backup; merge adds the rows that are missing. --as restores a copy under a new subdomain (and a new tenant id).`,
  )
  static override examples = [
    '<%= config.bin %> restore_tenant_backup tenant_backup_20240101.sql',
    '<%= config.bin %> tenant restore acme.sql.gz --mode merge',
    '<%= config.bin %> tenant restore acme.sql --as acme-copy --json',
  ]
  static override args = {file: Args.string({description: 'a backup file (.sql or .sql.gz)', required: true})}
  static override flags = {
    mode: Flags.string({description: 'replace the tenant\'s rows, or merge missing ones', options: ['replace', 'merge'], default: 'replace'}),
    as: Flags.string({description: 'restore as a new tenant with this subdomain', helpValue: 'SUBDOMAIN'}),
  }

  async run(): Promise<RestoreResult> {
    const {restoreTenant} = await import('../../lib/backup.js')
    const {symbols, table} = await import('../../lib/ui/format.js')
    const result = await restoreTenant((await this.database()).sql, this.args.file, {mode: this.flags.mode as 'replace' | 'merge', as: this.flags.as}, await this.context())
    this.log(`${symbols.ok} Restored ${result.subdomain} (${result.mode}, ${result.durationMs} ms); row counts verified`)
    this.log(table(['table', 'rows'], Object.entries(result.rows)))
    return result
  }
}
