import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {tenantArg} from '../../flags.js'

export default class TenantBackup extends BaseCommand<typeof TenantBackup> {
  static override description = describe(
    `Back up one tenant from the shared tables: one consistent snapshot (a read-only REPEATABLE READ transaction) of its rows in every table with a tenant_id, its tenant row and its members' users, in foreign-key order.

The file is plain SQL that psql restores into a database with the schema; its header manifest gives the format and schema versions, the tenant, and each table's row count and SHA-256. It holds password hashes: it is written with mode 0600.`,
  )
  static override examples = [
    '<%= config.bin %> tenant backup acme-corp',
    '<%= config.bin %> tenant backup acme-corp -o acme.sql.gz --gzip',
    'psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f tenant_backup_acme-corp_20261126120000.sql',
  ]
  static override args = {tenant: tenantArg}
  static override flags = {
    output: Flags.string({char: 'o', description: 'the file to write (default tenant_backup_SUBDOMAIN_TIMESTAMP.sql)', helpValue: 'FILE'}),
    gzip: Flags.boolean({description: 'compress with gzip'}),
  }

  async run(): Promise<unknown> {
    const {backupTenant, defaultBackupPath} = await import('../../lib/backup.js')
    const {symbols} = await import('../../lib/ui/format.js')
    const {sql} = await this.database()
    const {getTenant} = await import('../../lib/tenants.js')
    const tenant = await getTenant(sql, this.args.tenant, (await this.context()).baseDomain)
    const result = await backupTenant(sql, tenant.id, this.flags.output ?? defaultBackupPath(tenant.subdomain, this.flags.gzip), {gzip: this.flags.gzip})
    const rows = result.manifest.tables.map((t) => `${t.name} ${t.rows}`).join(', ')
    this.log(`${symbols.ok} Backed up ${tenant.subdomain} to ${result.path} (${result.bytes} bytes, ${result.durationMs} ms)\n  ${rows}`)
    return result
  }
}
