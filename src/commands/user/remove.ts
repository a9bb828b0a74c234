import {Args} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {tenantArg} from '../../flags.js'
import type {UserRemoveResult} from '../../lib/results.js'

export default class UserRemove extends BaseCommand<typeof UserRemove> {
  static override description = describe('Remove a member from a tenant. A tenant keeps an owner who can act: the last active owner (one who accepted) cannot be removed while the other owners are only invited, nor the last owner of any kind (LAST_OWNER, exit 4).')
  static override examples = ['<%= config.bin %> user remove acme-corp manager@acme.com', '<%= config.bin %> user remove acme-corp manager@acme.com --json']
  static override args = {
    tenant: tenantArg,
    email: Args.string({description: "the member's email address", required: true}),
  }

  async run(): Promise<UserRemoveResult> {
    const {removeMember} = await import('../../lib/members.js')
    const {symbols} = await import('../../ui/format.js')
    const removed = await removeMember((await this.database()).sql, this.args.tenant, this.args.email, await this.context())
    this.log(`${symbols.ok} Removed ${removed.email} (${removed.role}) from ${this.args.tenant}`)
    return removed
  }
}
