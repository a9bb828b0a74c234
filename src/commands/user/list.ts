import {describe} from '../../base.js'
import {listFlags, tenantArg} from '../../flags.js'
import {ListCommand} from '../../list-command.js'
import type {Member} from '../../lib/members.js'
import type {UserListResult} from '../../lib/results.js'

export default class UserList extends ListCommand<typeof UserList> {
  static override description = describe(
    "List a tenant's members: email, role, permissions, status (invited or active), invited and accepted times; owners first, a page at a time (100 by default; --all for every one). --json gives {items, nextCursor, total}.",
  )
  static override examples = [
    '<%= config.bin %> user list acme-corp',
    '<%= config.bin %> user list acme-corp --json',
    '<%= config.bin %> user list acme-corp --all --csv --columns email,role,status',
  ]
  static override args = {tenant: tenantArg}
  static override flags = listFlags(100)

  async run(): Promise<UserListResult | undefined> {
    const {listMembers} = await import('../../lib/members.js')
    const {sql} = await this.database()
    const perms = (p: Record<string, boolean>) => Object.entries(p).map(([k, v]) => (v ? k : `!${k}`)).join(' ')
    return this.list<Member>({
      columns: [
        {name: 'email', value: (m) => m.email},
        {name: 'role', value: (m) => m.role},
        {name: 'permissions', value: (m) => perms(m.permissions)},
        {name: 'status', value: (m) => m.status},
        {name: 'invited', value: (m) => m.invitedAt.toISOString().slice(0, 16)},
        {name: 'accepted', value: (m) => m.acceptedAt?.toISOString().slice(0, 16)},
        {name: 'expires', value: (m) => m.invitationExpiresAt?.toISOString().slice(0, 16)},
      ],
      defaults: ['email', 'role', 'permissions', 'status', 'invited', 'accepted'],
      empty: 'No members.',
      fetch: (page) => listMembers(sql, this.args.tenant, page),
    })
  }
}
