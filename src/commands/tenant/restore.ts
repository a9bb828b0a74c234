import {Args, Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import type {TenantRestoreResult} from '../../lib/results.js'

/** What a restore goes through: the file read into staging tables, the safety backup (when it overwrites), the inserts. */
export const RESTORE_PHASES = [
  {key: 'read', title: 'Read and verify the backup'},
  {key: 'backup', title: 'Back up the tenant it overwrites'},
  {key: 'verify', title: 'Verify that backup'},
  {key: 'write', title: 'Write the rows'},
]

export default class TenantRestore extends BaseCommand<typeof TenantRestore> {
  static override hiddenAliases = ['restore_tenant_backup']
  static override description = describe(
    `Restore a tenant from a backup written by "tenant backup".

The manifest and every table's checksum are verified first, every row must belong to the backed-up tenant, and its users rows must be exactly its members': a tampered or truncated file is refused (exit 2) and nothing is written. A user who already has an account (the same id, else the same email) keeps it untouched. The restore runs in one transaction through staging tables, the tenant data inserted as the application role in the tenant's context; row counts are checked before it commits, and identity sequences are moved past the restored ids.

--mode replace (default) makes the tenant exactly the backup. When the tenant still exists, that overwrites it: its exact name must be typed in a terminal, or given with --confirm-name, and a verified backup of what is overwritten is written first (its path reported) unless --no-backup, in the same transaction, which holds the tenant row locked. --mode merge adds the rows that are missing. --as restores a copy under a new subdomain (and a new tenant id), without the original's credentials: its API keys are not copied, its pending invitations get new tokens (shown once), and it has no custom domain. A subdomain or custom domain that another tenant holds now exits 4 (SUBDOMAIN_TAKEN, CUSTOM_DOMAIN_TAKEN) and changes nothing.

--check verifies the file the same way (its format byte for byte, every checksum, every row's tenant, its users) and restores nothing: it reads the file alone, without connecting to a database, and prints the manifest (tenant, format and schema versions, tables and row counts); exit 0 when the file is whole and untouched, else 2 (BACKUP_INVALID). Check a file with it before restoring it with psql.`,
  )
  static override examples = [
    '<%= config.bin %> restore_tenant_backup tenant_backup_20240101.sql',
    '<%= config.bin %> tenant restore acme.sql --confirm-name "Acme Corp" --backup-file acme-before-restore.sql',
    '<%= config.bin %> tenant restore acme.sql.gz --mode merge',
    '<%= config.bin %> tenant restore acme.sql --as acme-copy --json',
    '<%= config.bin %> tenant restore acme.sql --check && psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f acme.sql',
  ]
  static override args = {file: Args.string({description: 'a backup file (.sql or .sql.gz)', required: true})}
  static override flags = {
    mode: Flags.string({description: 'replace the tenant\'s rows, or merge missing ones', options: ['replace', 'merge'], default: 'replace'}),
    as: Flags.string({description: 'restore as a new tenant with this subdomain', helpValue: 'SUBDOMAIN'}),
    'confirm-name': Flags.string({description: "the exact name of the live tenant a replace overwrites (asked in a terminal when missing)", helpValue: 'NAME'}),
    backup: Flags.boolean({description: 'back up and verify the live tenant before overwriting it', default: true, allowNo: true}),
    'backup-file': Flags.string({description: 'where that backup goes (default tenant_backup_SUBDOMAIN_TIMESTAMP.sql)', helpValue: 'FILE'}),
    check: Flags.boolean({
      description: 'verify the file completely and print its manifest; restore nothing, connect to no database',
      exclusive: ['mode', 'as', 'confirm-name', 'backup', 'backup-file'],
    }),
  }

  async run(): Promise<TenantRestoreResult> {
    const {readBackup, restoreTenant, tenantToReplace} = await import('../../lib/backup.js')
    const {defaultBackupPath, newBackupFile} = await import('../../backup-files.js')
    const {symbols, table} = await import('../../ui/format.js')
    const {backupInput} = await import('../../inputs.js')
    const input = await backupInput(this.args.file)
    if (this.flags.check) {
      const manifest = await readBackup(input)
      const {tenant} = manifest
      this.log(`${symbols.ok} ${this.args.file}: a whole, untouched backup of ${tenant.subdomain} (${tenant.name}, ${tenant.id}), made ${manifest.createdAt}; nothing was restored`)
      this.log(`  format ${manifest.format}, schema version ${manifest.schemaVersion}: restore it into a database at that version or later`)
      this.log(table(['table', 'rows'], manifest.tables.map((t) => [t.name, t.rows])))
      return {file: this.args.file, manifest}
    }
    const {sql} = await this.database()
    const options = {mode: this.flags.mode as 'replace' | 'merge', as: this.flags.as}
    // a replace over a live tenant verifies the whole file before it asks to confirm
    const live = options.mode === 'replace' && options.as === undefined
      ? await this.withProgress([{key: 'read', title: 'Verify the backup before the overwrite'}], () => 'nothing was changed', (onProgress) => tenantToReplace(sql, input, options, onProgress))
      : undefined
    const overwrite = live && {
      confirmName: await this.confirmTenantName(this.flags['confirm-name'], live, `This overwrites the live tenant ${live.name} (${live.subdomain}) with the backup.`),
      backup: this.flags.backup ? () => newBackupFile(this.flags['backup-file'] ?? defaultBackupPath(live.subdomain)) : undefined,
    }
    const ctx = await this.context()
    const result = await this.withProgress(RESTORE_PHASES, () => 'nothing was changed (the transaction was rolled back)', (onProgress) =>
      restoreTenant(sql, input, {...options, ...overwrite, onProgress}, ctx))
    if (result.backup) this.log(`${symbols.ok} Verified backup of the overwritten tenant: ${result.backup}`)
    this.log(`${symbols.ok} Restored ${result.subdomain} (${result.mode}, ${result.durationMs} ms); row counts verified`)
    this.log(table(['table', 'rows'], Object.entries(result.rows)))
    if (result.copy) {
      this.log(`${symbols.warn} A copy gets no credentials of the original: ${result.copy.apiKeysDropped} API key(s) not copied (anthias apikey create ${result.subdomain} ...)`)
      if (result.copy.invitations.length > 0) {
        this.log(`${symbols.warn} Pending invitations re-issued; the tokens are shown once:`)
        // whole, one per line: a table would cut a token to fit the terminal
        for (const i of result.copy.invitations) this.log(`  ${i.email}  ${i.token}  (expires ${i.expiresAt.toISOString()})`)
      }
    }
    return result
  }
}
