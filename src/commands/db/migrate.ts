import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {AppError} from '../../lib/errors.js'
import {invocation, shellWord} from '../../ui/hints.js'
import type {DbMigrateResult} from '../../lib/results.js'

export default class DbMigrate extends BaseCommand<typeof DbMigrate> {
  static override description = describe(
    `Apply the schema migrations in sql/migrations, each in its own transaction under an advisory lock.

Every command applies pending migrations on connect; this command shows and controls them. An applied migration whose file was edited is an error (MIGRATION_CHECKSUM_MISMATCH).

--backwards (or --to below the current version) reverts, newest first, in one transaction: each down script with its ledger row, and if one fails nothing is reverted (MIGRATION_DOWN_FAILED). Reverting drops what the migrations created, data included: a terminal asks first; without one, pass --yes.`,
  )
  static override examples = [
    '<%= config.bin %> db migrate',
    '<%= config.bin %> db migrate --plan',
    '<%= config.bin %> db migrate --backwards',
    '<%= config.bin %> db migrate --to 0 --plan',
    '<%= config.bin %> db migrate --to 0 --yes --json',
  ]
  static override flags = {
    plan: Flags.boolean({description: 'list pending migrations (or those that would be reverted); change nothing'}),
    backwards: Flags.boolean({description: 'revert the last applied migration (or down to --to)'}),
    to: Flags.integer({description: 'migrate to this version: apply up to it, or revert the migrations above it', min: 0}),
    yes: Flags.boolean({char: 'y', description: 'revert without asking (required to revert without a terminal)'}),
  }

  async run(): Promise<DbMigrateResult> {
    const {migrateSchema} = await import('../../lib/db/schema-migrate.js')
    const {symbols} = await import('../../ui/format.js')
    const {sql} = await this.database({migrate: false})
    const {plan, backwards, to, yes} = this.flags
    const result = await migrateSchema(sql, {plan, backwards, to, confirmRevert: yes ? undefined : (reverting) => this.confirmRevert(reverting)})
    if (result.cancelled) {
      this.log('Cancelled; nothing was reverted.')
      return result
    }
    const down = result.direction === 'down'
    const verb = plan ? (down ? 'would revert' : 'pending') : down ? 'reverted' : 'applied'
    if (result.migrations.length === 0) this.log(`${symbols.ok} Nothing ${plan ? verb : 'to do'}; schema version ${result.schemaVersion}.`)
    for (const m of result.migrations) this.log(`${symbols.ok} ${verb} ${String(m.version).padStart(4, '0')} ${m.name}`)
    if (result.migrations.length > 0 && !plan) this.log(`Schema version ${result.schemaVersion}.`)
    for (const t of result.distributed ?? []) {
      this.log(`${symbols.ok} Citus: ${t.table} ${t.placement === 'distributed' ? `distributed by ${t.column}` : 'is a reference table'}`)
    }
    return result
  }

  /** In a terminal, ask; without one, refuse naming --yes. */
  private async confirmRevert(reverting: {version: number; name: string}[]): Promise<boolean> {
    const list = reverting.map((m) => `${String(m.version).padStart(4, '0')} ${m.name}`).join(', ')
    if (!this.interactive) {
      throw new AppError('CONFIRMATION_REQUIRED', `Reverting ${list} drops what they created, data included, and there is no terminal to ask in; nothing was reverted.`, {
        field: 'yes',
        suggestions: [[invocation(this.config.bin), 'db', 'migrate', ...this.argv.map(shellWord), '--yes'].join(' ')],
      })
    }
    const {confirm} = await import('@inquirer/prompts')
    return confirm({message: `Revert ${list}? This drops what they created, data included.`, default: false})
  }
}
