/** Bulk rows validated: the tenant schema, the members and the seats they need. */
import {AppError} from '../errors.js'
import {inviteSchema} from '../members.js'
import {parsePermission} from '../permissions.js'
import type {Catalog} from '../plans.js'
import type {Context} from '../context.js'
import {type MemberSpec, specHash, type ValidatedSpec, validateTenantSpec} from '../tenants.js'
import {issuesToErrors} from '../validation.js'
import type {SourceRow} from './sources.js'

export interface Prepared {
  line: number
  valid: ValidatedSpec
  members: MemberSpec[]
  /** the spec hash, computed when first needed */
  hash?: string
}

export const hashOf = (p: Prepared) =>
  (p.hash ??= specHash(p.valid, p.members.filter((m) => m.role !== 'owner' || m.email !== p.valid.spec.ownerEmail)))

const memberSchema = inviteSchema.pick({email: true, role: true, permissions: true})

/** Validate one row: the tenant schema, the members, the seats they need (the problems are placed in the file by the caller: Source.place). */
export function prepare(row: SourceRow, catalog: Catalog, ctx: Context): {prepared?: Prepared; errors: AppError[]} {
  const errors = [...row.errors]
  let valid: ValidatedSpec | undefined
  try {
    if (row.errors.length === 0) valid = validateTenantSpec(row.input, catalog, ctx.baseDomain, row.fieldName)
  } catch (error) {
    const nested = (error as {errors?: AppError[]}).errors ?? [error as AppError]
    errors.push(...nested)
  }
  const members: MemberSpec[] = []
  const ownerEmail = valid?.spec.ownerEmail
  if (ownerEmail) members.push({email: ownerEmail, role: 'owner', permissions: {admin: true}})
  row.members.forEach((member, i) => {
    const parsed = memberSchema.safeParse(member)
    if (!parsed.success) {
      errors.push(...issuesToErrors(parsed.error, (p) => row.fieldName(['users', i, ...p])).map((e) =>
        new AppError(e.field?.endsWith('.role') ? 'ROLE_INVALID' : e.field?.endsWith('.email') ? 'EMAIL_INVALID' : 'PERMISSION_INVALID', e.message, {field: e.field})))
      return
    }
    for (const name of Object.keys(parsed.data.permissions)) {
      try {
        parsePermission(name, row.fieldName(['users', i, 'permissions']), ['admin'])
      } catch (error) {
        errors.push(error as AppError)
      }
    }
    if (members.some((m) => m.email === parsed.data.email)) {
      errors.push(new AppError('MEMBER_DUPLICATE', `${parsed.data.email} is listed twice for this tenant.`, {field: row.fieldName(['users', i, 'email'])}))
      return
    }
    members.push(parsed.data)
  })
  if (valid && members.length > valid.limits.maxUsers) {
    errors.push(new AppError('QUOTA_EXCEEDED', `users: ${members.length} listed > ${valid.limits.maxUsers} allowed (max_users).`, {field: row.fieldName(['maxUsers'])}))
  }
  if (errors.length > 0 || !valid) return {errors}
  return {prepared: {line: row.line, valid, members}, errors}
}


/** A batch of rows validated: what the conflict check needs of the valid ones, and the refused ones. */
export interface Checked {
  total: number
  /** line, subdomain, custom domain and name of each valid row, as COPY text */
  keys: string
  valid: number
  refused: {line: number; label: string; errors: AppError[]}[]
  /** the valid rows themselves, when asked to keep them */
  prepared?: Prepared[]
}

const COPY_SPECIAL = /[\\\t\n\r]/
const copyText = (value: string | undefined) =>
  value === undefined ? '\\N' : COPY_SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ({'\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r'})[c]!) : value

export function checkRows(rows: SourceRow[], catalog: Catalog, ctx: Context, keep: boolean): Checked {
  const checked: Checked = {total: rows.length, keys: '', valid: 0, refused: [], prepared: keep ? [] : undefined}
  for (const row of rows) {
    const {prepared, errors} = prepare(row, catalog, ctx)
    if (!prepared) {
      checked.refused.push({line: row.line, label: row.label, errors})
      continue
    }
    const {spec} = prepared.valid
    checked.valid++
    checked.prepared?.push(prepared)
    checked.keys += `${row.line}\t${copyText(spec.subdomain)}\t${copyText(spec.customDomain)}\t${copyText(spec.name)}\n`
  }
  return checked
}
