/**
 * Members and invitations (the guide's TenantUserManager.invite_user): global
 * users, per-tenant memberships with a role, permissions and an invitation
 * token that is shown once and stored only as its SHA-256.
 */
import type {Sql, TransactionSql} from 'postgres'
import {z} from 'zod'

import {writeAudit} from './audit.js'
import type {Context} from './context.js'
import {AppError, conflict, ExitCode, notFound, ValidationErrors} from './errors.js'
import {expiresIn} from './expiry.js'
import {decodeCursor, KEY, MAX_PAGE, type Page, type PageRequest, toPage} from './paging.js'
import {parsePermission} from './permissions.js'
import {newToken} from './secrets.js'
import {findTenant, lockTenant} from './tenant-ref.js'
import {quotaExceeded} from './usage.js'
import {emailSchema, issuesToErrors, togglesSchema} from './validation.js'

export const ROLES = ['owner', 'admin', 'editor', 'viewer'] as const
export type Role = (typeof ROLES)[number]
export const DEFAULT_INVITATION_DAYS = 7

export const inviteSchema = z.object({
  email: emailSchema,
  role: z.enum(ROLES, {error: (issue) => `Role ${JSON.stringify(issue.input)} is not one of ${ROLES.join(', ')}`}),
  permissions: togglesSchema('Permissions').default({}),
  expiresDays: z.coerce.number({error: 'expiry must be a whole number of days from 1 to 90'}).int({error: 'expiry must be a whole number of days from 1 to 90'}).min(1, {error: 'expiry must be a whole number of days from 1 to 90'}).max(90, {error: 'expiry must be a whole number of days from 1 to 90'}).default(DEFAULT_INVITATION_DAYS),
})
export type InviteInput = z.input<typeof inviteSchema>

const INVITE_CODES: Record<string, string> = {email: 'EMAIL_INVALID', role: 'ROLE_INVALID', expiresDays: 'EXPIRY_INVALID', permissions: 'PERMISSION_INVALID'}

export interface Invitation {
  tenantId: string
  email: string
  role: Role
  permissions: Record<string, boolean>
  status: 'invited' | 'active'
  /** shown once; only its SHA-256 is stored */
  token?: string
  expiresAt?: Date
}

export interface Member {
  email: string
  role: Role
  permissions: Record<string, boolean>
  status: 'invited' | 'active'
  invitedAt: Date
  acceptedAt: Date | null
  invitationExpiresAt: Date | null
}

/** The user with this email, created (with the hash, if any) when new. */
async function upsertUser(tx: TransactionSql, email: string, passwordHash?: string) {
  const attempt = async () => {
    const [row] = await tx<{id: string; created: boolean; hasPassword: boolean}[]>`
      with inserted as (
        insert into users (email, password_hash) values (${email}, ${passwordHash ?? null})
        on conflict (lower(email)) do nothing
        returning id, true as created, password_hash is not null as has_password
      )
      select * from inserted
      union all
      select id, false, password_hash is not null from users where lower(email) = ${email}
      limit 1`
    return row
  }
  // a concurrent insert of the same email is invisible to this statement's snapshot: look again
  const user = (await attempt()) ?? (await attempt())
  if (!user) throw new AppError('USER_CONFLICT', `Could not create or find the user ${email}; try again.`, {exit: ExitCode.failed})
  return user
}

/**
 * Add a membership inside the caller's transaction (the tenant row locked).
 * `activate`: a user who can already log in becomes an active member at once
 * (the owner set at creation); otherwise the member is invited with a token.
 */
export async function addMembership(
  tx: TransactionSql,
  tenantId: string,
  member: {email: string; role: Role; permissions: Record<string, boolean>; expiresDays?: number; passwordHash?: string; activate?: boolean},
): Promise<Invitation & {userExisted: boolean}> {
  const user = await upsertUser(tx, member.email, member.passwordHash)
  const [existing] = await tx`select role from memberships where tenant_id = ${tenantId} and user_id = ${user.id}`
  if (existing) {
    throw conflict('MEMBER_EXISTS', `${member.email} is already a member (${existing.role}) of this tenant.`, {
      field: 'email',
      suggestions: ['List members with `anthias user list`.'],
    })
  }
  const active = Boolean(member.activate && user.hasPassword)
  const invitation = active ? undefined : newToken('inv')
  const expiresAt = invitation ? expiresIn(member.expiresDays ?? DEFAULT_INVITATION_DAYS) : undefined
  await tx`
    insert into memberships (tenant_id, user_id, role, permissions, status, invitation_token_hash, invitation_expires_at, accepted_at)
    values (${tenantId}, ${user.id}, ${member.role}, ${tx.json(member.permissions)}, ${active ? 'active' : 'invited'},
      ${invitation?.hash ?? null}, ${expiresAt ?? null}, ${active ? new Date() : null})`
  return {
    tenantId,
    email: member.email,
    role: member.role,
    permissions: member.permissions,
    status: active ? 'active' : 'invited',
    token: invitation?.token,
    expiresAt,
    userExisted: !user.created,
  }
}

/** Validate an invitation, reporting every problem at once. */
export function validateInvite(input: InviteInput, fieldName: (path: PropertyKey[]) => string = (p) => p.join('.')) {
  const errors: AppError[] = []
  const parsed = inviteSchema.safeParse(input)
  if (!parsed.success) {
    for (const e of issuesToErrors(parsed.error, fieldName)) {
      errors.push(new AppError(INVITE_CODES[String(e.field?.split('.')[0])] ?? e.code, e.message, {field: e.field}))
    }
  }
  for (const name of Object.keys(input.permissions ?? {})) {
    try {
      parsePermission(name, fieldName(['permissions']), ['admin'])
    } catch (error) {
      errors.push(error as AppError)
    }
  }
  if (errors.length > 0 || !parsed.data) throw new ValidationErrors(errors)
  return parsed.data
}

/**
 * Invite a member. The database enforces max_users (the quota trigger on
 * memberships locks the tenant row), so two invites for the last seat run one
 * after the other: one succeeds, the other gets QUOTA_EXCEEDED.
 */
export async function inviteUser(sql: Sql, tenantRef: string, input: InviteInput, ctx: Context, fieldName?: (path: PropertyKey[]) => string): Promise<Invitation> {
  const invite = validateInvite(input, fieldName)
  try {
    return (await sql.begin(async (tx) => {
      const tenant = await lockTenant(tx, tenantRef)
      const {userExisted, ...invitation} = await addMembership(tx, tenant.id, invite)
      await writeAudit(tx, {
        actor: ctx.actor,
        action: 'user.invite',
        tenantId: tenant.id,
        subject: invite.email,
        arguments: {email: invite.email, role: invite.role, permissions: invite.permissions, expiresDays: invite.expiresDays},
      })
      return invitation
    })) as Invitation
  } catch (error) {
    throw quotaExceeded(error) ?? error
  }
}

/** One page of a tenant's members: owners first, then admins, editors, viewers, each by email (keyset on both). */
export async function listMembers(sql: Sql, tenantRef: string, page: PageRequest = {limit: MAX_PAGE}): Promise<Page<Member>> {
  const tenant = await findTenant(sql, tenantRef)
  const after = page.after === undefined ? undefined : decodeCursor(page.after, MEMBER_SORT, [/^[0-3]$/, KEY.text])
  const rank = sql`case m.role when 'owner' then 0 when 'admin' then 1 when 'editor' then 2 else 3 end`
  const rows = await sql<(Member & {rank: string; emailKey: string})[]>`
    select u.email, m.role, m.permissions, m.status, m.invited_at, m.accepted_at, m.invitation_expires_at, ${rank}::text as rank, lower(u.email) as email_key
    from memberships m join users u on u.id = m.user_id
    where m.tenant_id = ${tenant.id} ${after === undefined ? sql`` : sql`and (${rank}, lower(u.email)) > (${after[0]!}::text::int, ${after[1]!}::text)`}
    order by ${rank}, lower(u.email)
    limit ${page.limit + 1}`
  const [{n}] = await sql<[{n: number}]>`select count(*)::int as n from memberships where tenant_id = ${tenant.id}`
  const result = toPage(rows, page.limit, MEMBER_SORT, (r) => [r.rank, r.emailKey], n)
  return {...result, items: result.items.map(({rank: _rank, emailKey: _emailKey, ...member}) => member)}
}

const MEMBER_SORT = 'role,email'

const expiryDaysSchema = inviteSchema.shape.expiresDays

/** A member of a tenant by email (lowercased), or MEMBER_NOT_FOUND. */
async function findMember(tx: TransactionSql, tenant: {id: string; subdomain: string}, address: string) {
  const [member] = await tx<{userId: string; role: Role; permissions: Record<string, boolean>; status: 'invited' | 'active'}[]>`
    select m.user_id, m.role, m.permissions, m.status from memberships m join users u on u.id = m.user_id
    where m.tenant_id = ${tenant.id} and lower(u.email) = ${address}`
  if (!member) throw notFound('MEMBER_NOT_FOUND', `${address} is not a member of ${tenant.subdomain}.`, [`anthias user list ${tenant.subdomain}`])
  return member
}

/**
 * A new one-time token for an invitation not yet accepted (expired, or its
 * token lost, as when a bulk run was killed before its report was kept): the
 * old token stops working.
 */
export async function resendInvitation(sql: Sql, tenantRef: string, email: string, options: {expiresDays?: unknown}, ctx: Context): Promise<Invitation> {
  const address = email.trim().toLowerCase()
  const days = expiryDaysSchema.safeParse(options.expiresDays)
  if (!days.success) throw new AppError('EXPIRY_INVALID', days.error.issues[0]!.message, {field: 'expiresDays'})
  return sql.begin(async (tx) => {
    const tenant = await lockTenant(tx, tenantRef)
    const member = await findMember(tx, tenant, address)
    if (member.status === 'active') {
      throw conflict('MEMBER_ACTIVE', `${address} has already accepted; there is no invitation to send again.`, {field: 'email'})
    }
    const {token, hash} = newToken('inv')
    const expiresAt = expiresIn(days.data)
    await tx`update memberships set invitation_token_hash = ${hash}, invitation_expires_at = ${expiresAt}
      where tenant_id = ${tenant.id} and user_id = ${member.userId}`
    await writeAudit(tx, {actor: ctx.actor, action: 'user.reinvite', tenantId: tenant.id, subject: address, arguments: {email: address, expiresDays: days.data}})
    return {tenantId: tenant.id, email: address, role: member.role, permissions: member.permissions, status: 'invited', token, expiresAt}
  }) as Promise<Invitation>
}

/**
 * Remove a member. A tenant keeps an owner who can act: the last active owner
 * (one who accepted) cannot be removed while the other owners are only
 * invited, nor the last owner of any kind. The tenant row is locked first, so
 * two removals of the last two active owners run one after the other.
 */
export async function removeMember(sql: Sql, tenantRef: string, email: string, ctx: Context): Promise<{email: string; role: Role}> {
  const address = email.trim().toLowerCase()
  return sql.begin(async (tx) => {
    const tenant = await lockTenant(tx, tenantRef)
    const member = await findMember(tx, tenant, address)
    if (member.role === 'owner') {
      const [others] = await tx<{active: number; invited: number}[]>`
        select count(*) filter (where status = 'active')::int as active, count(*) filter (where status = 'invited')::int as invited
        from memberships where tenant_id = ${tenant.id} and role = 'owner' and user_id <> ${member.userId}`
      const last = member.status === 'active' ? others!.active === 0 : others!.active + others!.invited === 0
      if (last) {
        const pending = member.status === 'active' && others!.invited > 0
        throw conflict('LAST_OWNER', `${address} is the last ${member.status === 'active' ? 'active ' : ''}owner of ${tenant.subdomain} and cannot be removed${pending ? '; the other owners have not accepted their invitations yet' : ''}.`, {
          suggestions: pending
            ? [`Run this again once another owner has accepted (see anthias user list ${tenant.subdomain}).`]
            : [`Invite another owner first: anthias user invite ${tenant.subdomain} EMAIL --role owner`],
        })
      }
    }
    await tx`delete from memberships where tenant_id = ${tenant.id} and user_id = ${member.userId}`
    await writeAudit(tx, {actor: ctx.actor, action: 'user.remove', tenantId: tenant.id, subject: address, arguments: {email: address, role: member.role}})
    return {email: address, role: member.role}
  }) as Promise<{email: string; role: Role}>
}
