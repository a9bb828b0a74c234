import {Args, Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {AppError} from '../../lib/errors.js'
import type {DeleteResult} from '../../lib/tenant-delete.js'

export default class TenantDelete extends BaseCommand<typeof TenantDelete> {
  static override description = describe(
    `Delete a tenant and all its rows, children first, in one transaction; the audit trail is kept.

The tenant's exact name must be typed in a terminal, or given with --confirm-name. A mismatch exits 2 and deletes nothing. Reports the rows deleted per table.`,
  )
  static override examples = [
    '<%= config.bin %> tenant delete acme-corp',
    '<%= config.bin %> tenant delete acme-corp --confirm-name "Acme Corp" --json',
  ]
  static override args = {tenant: Args.string({description: 'subdomain or tenant id', required: true})}
  static override flags = {
    'confirm-name': Flags.string({description: "the tenant's exact name (asked in a terminal when missing)", helpValue: 'NAME'}),
  }

  async run(): Promise<DeleteResult> {
    const {deleteTenant} = await import('../../lib/tenant-delete.js')
    const {getTenant} = await import('../../lib/tenants.js')
    const {table, symbols} = await import('../../lib/ui/format.js')
    const {sql} = await this.database()
    const ctx = await this.context()
    let name = this.flags['confirm-name']
    if (name === undefined) {
      if (!this.interactive) {
        throw new AppError('MISSING_INPUT', "Missing --confirm-name with the tenant's exact name, and there is no terminal to ask in.", {field: '--confirm-name'})
      }
      const tenant = await getTenant(sql, this.args.tenant, ctx.baseDomain)
      const {input} = await import('@inquirer/prompts')
      this.log(`${symbols.warn} This deletes ${tenant.name} (${tenant.subdomain}) and all its data.`)
      name = await input({message: `Type the tenant's exact name to confirm (${tenant.name})`})
    }
    const result = await deleteTenant(sql, this.args.tenant, name, ctx)
    this.log(`${symbols.ok} Deleted ${result.name} (${result.subdomain})`)
    this.log(table(['table', 'rows deleted'], Object.entries(result.deleted).map(([t, n]) => [t, n])))
    return result
  }
}
