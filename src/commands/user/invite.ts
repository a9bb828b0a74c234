import {Args, Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {flagFieldName, tenantArg} from '../../flags.js'
import {AppError} from '../../lib/errors.js'
import type {UserInviteResult} from '../../lib/results.js'

export default class UserInvite extends BaseCommand<typeof UserInvite> {
  static override hiddenAliases = ['invite_user']
  static override description = describe(
    `Invite a member to a tenant (the guide's TenantUserManager.invite_user).

Creates the global user if new and adds the membership as an invitation with a one-time token, shown once and stored only as its SHA-256. The tenant's max_users is enforced by the database, also against concurrent invites: when no seat is left the invite fails with QUOTA_EXCEEDED (exit 4). An email that is already a member exits 4 (MEMBER_EXISTS).

--resend gives a member who has not accepted yet a new token (and expiry) in place of the old one: for an expired invitation, or a token that was lost. A member who has accepted exits 4 (MEMBER_ACTIVE); one who is not a member exits 3 (MEMBER_NOT_FOUND).`,
  )
  static override examples = [
    '<%= config.bin %> user invite client-org owner@client.com --role owner --permission admin=true',
    '<%= config.bin %> user invite client-org admin@client.com --role admin',
    '<%= config.bin %> invite_user acme-corp editor@acme.com --role editor --expires-days 14 --json',
    '<%= config.bin %> user invite acme-corp owner@acme.com --resend --expires-days 14',
  ]
  static override args = {
    tenant: tenantArg,
    email: Args.string({description: "the member's email address", required: true}),
  }
  static override flags = {
    role: Flags.string({description: 'owner, admin, editor or viewer (required unless --resend)', helpValue: 'ROLE'}),
    permission: Flags.string({description: 'a permission: admin or RESOURCE.ACTION, =true or =false (repeatable)', multiple: true, helpValue: 'NAME=true|false'}),
    'expires-days': Flags.string({description: 'days until the invitation expires (1-90, default 7)', helpValue: 'DAYS'}),
    resend: Flags.boolean({description: 'a new token for a member who has not accepted yet; the old one stops working', exclusive: ['role', 'permission']}),
  }

  async run(): Promise<UserInviteResult> {
    const {inviteUser, resendInvitation} = await import('../../lib/members.js')
    const {parseToggle} = await import('../../lib/validation.js')
    const {symbols} = await import('../../ui/format.js')
    if (this.flags.resend) {
      const invitation = await resendInvitation((await this.database()).sql, this.args.tenant, this.args.email, {expiresDays: this.flags['expires-days']}, await this.context())
      this.log(`${symbols.ok} New invitation for ${invitation.email} (${invitation.role}) to ${this.args.tenant}; the previous token no longer works`)
      this.log(`Invitation token (shown once, expires ${invitation.expiresAt?.toISOString()}):\n  ${invitation.token}`)
      return invitation
    }
    if (!this.flags.role) throw new AppError('MISSING_INPUT', 'Missing --role (owner, admin, editor or viewer).', {field: 'role'})
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
