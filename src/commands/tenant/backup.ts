import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {tenantArg} from '../../flags.js'
import {AppError} from '../../lib/errors.js'
import type {TenantBackupResult} from '../../lib/results.js'

export default class TenantBackup extends BaseCommand<typeof TenantBackup> {
  static override description = describe(
    `Back up one tenant from the shared tables: one consistent snapshot (a read-only REPEATABLE READ transaction) of its rows in every table with a tenant_id, its tenant row and its members' users, in foreign-key order.

The file is plain SQL that psql restores into a database with the schema, and it moves the identity sequences of the restored tables past the restored ids (never back) before it commits; its header manifest gives the format and schema versions, the tenant, each table's row count, SHA-256 and identity columns, and the SHA-256 of every byte after the manifest. It holds password hashes: it is written with mode 0600, under a temporary name beside the target (removed if the backup fails or is interrupted), and takes its name only when whole. An existing file is never replaced (BACKUP_EXISTS) unless --force, which replaces only a regular file. "-o -" writes the backup to standard output.`,
  )
  static override examples = [
    '<%= config.bin %> tenant backup acme-corp',
    '<%= config.bin %> tenant backup acme-corp -o acme.sql.gz --gzip',
    '<%= config.bin %> tenant backup acme-corp -o acme.sql --force',
    '<%= config.bin %> tenant backup acme-corp -o - --gzip | ssh backup-host "cat > acme.sql.gz"',
    '<%= config.bin %> tenant restore tenant_backup_acme-corp_20261126120000.sql --check && psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f tenant_backup_acme-corp_20261126120000.sql',
  ]
  static override args = {tenant: tenantArg}
  static override flags = {
    output: Flags.string({char: 'o', description: 'the file to write, "-" for standard output (default tenant_backup_SUBDOMAIN_TIMESTAMP.sql)', helpValue: 'FILE'}),
    gzip: Flags.boolean({description: 'compress with gzip'}),
    force: Flags.boolean({description: 'replace the output file if it exists (a regular file only)'}),
  }

  async run(): Promise<TenantBackupResult> {
    const {backupTenantToStream} = await import('../../lib/backup.js')
    const {defaultBackupPath, writeBackupFile} = await import('../../backup-files.js')
    const {symbols} = await import('../../ui/format.js')
    const {formatBytes} = await import('../../ui/progress.js')
    const toStdout = this.flags.output === '-'
    if (toStdout && this.jsonEnabled()) {
      throw new AppError('USAGE', '"-o -" writes the backup to standard output, which --json needs for its document.', {field: 'output', suggestions: ['Write the backup to a file with -o FILE, or leave out --json.']})
    }
    const {sql} = await this.database()
    const {getTenant} = await import('../../lib/tenants.js')
    const tenant = await getTenant(sql, this.args.tenant, (await this.context()).baseDomain)
    const phases = [{key: 'backup', title: `Back up ${tenant.subdomain}`}, ...(this.flags.gzip ? [{key: 'compress', title: 'Compress'}] : [])]
    const result = await this.withProgress(phases, () => (toStdout ? 'the backup on standard output is incomplete' : 'no backup written (partial file removed)'), (onProgress) => toStdout
      ? backupTenantToStream(sql, tenant.id, process.stdout, {gzip: this.flags.gzip, onProgress})
      : writeBackupFile(sql, tenant.id, this.flags.output ?? defaultBackupPath(tenant.subdomain, this.flags.gzip), {gzip: this.flags.gzip, force: this.flags.force, onProgress}))
    const rows = result.manifest.tables.map((t) => `${t.name} ${t.rows}`).join(', ')
    const message = `${symbols.ok} Backed up ${tenant.subdomain} to ${toStdout ? 'standard output' : result.path} (${formatBytes(result.bytes)}, ${result.durationMs} ms)\n  ${rows}`
    if (toStdout) this.logToStderr(message)
    else this.log(message)
    return result
  }
}
