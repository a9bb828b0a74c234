import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'

interface MigrateResult {
  direction: 'up' | 'down'
  plan: boolean
  migrations: {version: number; name: string}[]
  schemaVersion: number
}

export default class DbMigrate extends BaseCommand<typeof DbMigrate> {
  static override description = describe(
    `Apply the schema migrations in sql/migrations, each in its own transaction under an advisory lock.

Every command applies pending migrations on connect; this command shows and controls them. An applied migration whose file was edited is an error (MIGRATION_CHECKSUM_MISMATCH).`,
  )
  static override examples = [
    '<%= config.bin %> db migrate',
    '<%= config.bin %> db migrate --plan',
    '<%= config.bin %> db migrate --backwards',
    '<%= config.bin %> db migrate --backwards --to 1 --json',
  ]
  static override flags = {
    plan: Flags.boolean({description: 'list pending migrations (or, with --backwards, those that would be reverted); change nothing'}),
    backwards: Flags.boolean({description: 'revert the last applied migration (or down to --to)'}),
    to: Flags.integer({description: 'with --backwards: revert down to this version (kept)', dependsOn: ['backwards'], min: 0}),
  }

  async run(): Promise<MigrateResult> {
    const {migrate, migrateBackwards, migrationStatus} = await import('../../lib/db/migrations.js')
    const {symbols} = await import('../../lib/ui/format.js')
    const {sql} = await this.database({migrate: false})
    const {backwards, plan, to} = this.flags
    const status = await migrationStatus(sql)
    let migrations: {version: number; name: string}[]
    if (plan) {
      migrations = backwards
        ? status.applied.filter((m) => (to === undefined ? m === status.applied.at(-1) : m.version > to)).reverse()
        : status.pending
    } else {
      migrations = backwards ? await migrateBackwards(sql, {to}) : await migrate(sql)
    }
    const verb = plan ? (backwards ? 'would revert' : 'pending') : backwards ? 'reverted' : 'applied'
    if (migrations.length === 0) this.log(`${symbols.ok} Nothing ${plan ? verb : 'to do'}; schema version ${status.schemaVersion}.`)
    for (const m of migrations) this.log(`${symbols.ok} ${verb} ${String(m.version).padStart(4, '0')} ${m.name}`)
    const after = plan ? status.schemaVersion : (await migrationStatus(sql)).schemaVersion
    if (migrations.length > 0 && !plan) this.log(`Schema version ${after}.`)
    return {direction: backwards ? 'down' : 'up', plan, migrations: migrations.map(({version, name}) => ({version, name})), schemaVersion: after}
  }
}
