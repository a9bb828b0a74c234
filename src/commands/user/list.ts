
import {BaseCommand, describe} from '../../base.js'
import {tenantArg} from '../../flags.js'
import type {Member} from '../../lib/members.js'

export default class UserList extends BaseCommand<typeof UserList> {
  static override description = describe("List a tenant's members: email, role, permissions, status (invited or active), invited and accepted times.")
  static override examples = ['<%= config.bin %> user list acme-corp', '<%= config.bin %> user list acme-corp --json']
  static override args = {tenant: tenantArg}

  async run(): Promise<Member[]> {
    const {listMembers} = await import('../../lib/members.js')
    const {table} = await import('../../lib/ui/format.js')
    const members = await listMembers((await this.database()).sql, this.args.tenant)
    const perms = (p: Record<string, boolean>) => Object.entries(p).map(([k, v]) => (v ? k : `!${k}`)).join(' ')
    if (members.length === 0) this.log('No members.')
    else {
      this.log(table(['email', 'role', 'permissions', 'status', 'invited', 'accepted'], members.map((m) => [
        m.email, m.role, perms(m.permissions), m.status, m.invitedAt.toISOString().slice(0, 16), m.acceptedAt?.toISOString().slice(0, 16),
      ])))
    }
    return members
  }
}
