import {Args, Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {flagFieldName} from '../../flags.js'
import type {Invitation} from '../../lib/members.js'

export default class UserInvite extends BaseCommand<typeof UserInvite> {
  static override aliases = ['invite_user']
  static override description = describe(
    `Invite a member to a tenant (the guide's TenantUserManager.invite_user).

Creates the global user if new and adds the membership as an invitation with a one-time token, shown once and stored only as its SHA-256. The tenant's max_users is enforced: when no seat is left the invite fails with QUOTA_EXCEEDED (exit 4). An email that is already a member exits 4 (MEMBER_EXISTS).`,
  )
  static override examples = [
    '<%= config.bin %> user invite client-org owner@client.com --role owner --permission admin=true',
    '<%= config.bin %> user invite client-org admin@client.com --role admin',
    '<%= config.bin %> invite_user acme-corp editor@acme.com --role editor --expires-days 14 --json',
  ]
  static override args = {
    tenant: Args.string({description: 'subdomain or tenant id', required: true}),
    email: Args.string({description: "the member's email address", required: true}),
  }
  static override flags = {
    role: Flags.string({description: 'owner, admin, editor or viewer', required: true, helpValue: 'ROLE'}),
    permission: Flags.string({description: 'a permission: admin or RESOURCE.ACTION, =true or =false (repeatable)', multiple: true, helpValue: 'NAME=true|false'}),
    'expires-days': Flags.string({description: 'days until the invitation expires (1-90, default 7)', helpValue: 'DAYS'}),
  }

  async run(): Promise<Invitation> {
    const {inviteUser} = await import('../../lib/members.js')
    const {parseToggle} = await import('../../lib/validation.js')
    const {symbols} = await import('../../lib/ui/format.js')
    const permissions = Object.fromEntries((this.flags.permission ?? []).map((p) => parseToggle(p, 'permission')))
    const invitation = await inviteUser(
      (await this.database()).sql,
      this.args.tenant,
      {email: this.args.email, role: this.flags.role as never, permissions, expiresDays: this.flags['expires-days']},
      await this.context(),
      flagFieldName(),
    )
    this.log(`${symbols.ok} Invited ${invitation.email} as ${invitation.role} to ${this.args.tenant}`)
    this.log(`Invitation token (shown once, expires ${invitation.expiresAt?.toISOString()}):\n  ${invitation.token}`)
    return invitation
  }
}
