/**
 * One zod schema per concept: flags, prompts, CSV rows and JSON configs all
 * parse through these, so they accept and refuse exactly the same values with
 * the same error codes. A refinement names its stable code in `params.code`.
 */
import {domainToASCII} from 'node:url'

import ipaddr from 'ipaddr.js'
import {parse as parseDomain} from 'tldts'
import {z} from 'zod'

import {AppError, ValidationErrors} from './errors.js'

export const RESERVED_SUBDOMAINS: ReadonlySet<string> = new Set([
  'www', 'api', 'admin', 'app', 'apps', 'mail', 'email', 'smtp', 'imap', 'pop', 'pop3', 'ftp', 'sftp', 'ssh',
  'ns', 'ns1', 'ns2', 'ns3', 'dns', 'mx', 'webmail', 'autodiscover', 'autoconfig', 'status', 'support', 'help',
  'docs', 'blog', 'dev', 'staging', 'stage', 'test', 'demo', 'static', 'cdn', 'assets', 'media', 'files',
  'auth', 'login', 'logout', 'signup', 'register', 'sso', 'oauth', 'billing', 'dashboard', 'console', 'portal',
  'root', 'system', 'internal', 'localhost', 'anthias', 'account', 'accounts', 'security', 'metrics', 'monitor',
])

export type SubdomainVerdict =
  | {ok: true; subdomain: string}
  | {ok: false; subdomain: string; code: 'SUBDOMAIN_INVALID' | 'SUBDOMAIN_RESERVED'; reason: string}

/** A DNS label of 3-63 lowercase letters, digits and inner hyphens, not reserved. Input is lowercased. */
export function judgeSubdomain(input: string): SubdomainVerdict {
  const subdomain = input.trim().toLowerCase()
  const invalid = (reason: string): SubdomainVerdict => ({ok: false, subdomain, code: 'SUBDOMAIN_INVALID', reason})
  if (subdomain.length < 3) return invalid('must be at least 3 characters long')
  if (subdomain.length > 63) return invalid('must be at most 63 characters long (a DNS label)')
  if (/[^a-z0-9-]/.test(subdomain)) {
    const bad = [...new Set(subdomain.replace(/[a-z0-9-]/g, ''))].join('')
    return invalid(`may contain only letters a-z, digits and hyphens (found ${JSON.stringify(bad)})`)
  }
  if (subdomain.startsWith('-') || subdomain.endsWith('-')) return invalid('must start and end with a letter or digit')
  if (subdomain.slice(2, 4) === '--') return invalid('must not have hyphens in the 3rd and 4th place (reserved for punycode names such as xn--)')
  if (RESERVED_SUBDOMAINS.has(subdomain)) {
    return {ok: false, subdomain, code: 'SUBDOMAIN_RESERVED', reason: `"${subdomain}" is reserved for the platform`}
  }
  return {ok: true, subdomain}
}

export const subdomainSchema = z.string().transform((value, ctx) => {
  const verdict = judgeSubdomain(value)
  if (verdict.ok) return verdict.subdomain
  ctx.addIssue({code: 'custom', message: `Subdomain "${verdict.subdomain}" ${verdict.code === 'SUBDOMAIN_RESERVED' ? 'is reserved' : verdict.reason}`, params: {code: verdict.code}})
  return z.NEVER
})

export const tenantNameSchema = z
  .string()
  .transform((s) => s.trim().replace(/\s+/g, ' '))
  .pipe(
    z
      .string()
      .min(1, {error: 'Tenant name must not be empty'})
      .max(100, {error: 'Tenant name must be at most 100 characters'})
      .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), {error: 'Tenant name must not contain control characters'}),
  )

export const emailSchema = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.email({error: (issue) => `Not a valid email address: ${JSON.stringify(issue.input)}`}).max(254, {error: 'Email address is too long'}))

/** Judge a custom domain: a public hostname (Public Suffix List via tldts), not under the platform's base domain. */
export function judgeCustomDomain(input: string, baseDomain: string): {ok: true; domain: string} | {ok: false; reason: string} {
  const raw = input.trim().toLowerCase().replace(/\.$/, '')
  const domain = domainToASCII(raw)
  if (!domain) return {ok: false, reason: `"${input}" is not a valid hostname`}
  const parsed = parseDomain(domain)
  if (parsed.isIp) return {ok: false, reason: 'must be a hostname, not an IP address'}
  if (domain.length > 253 || domain.split('.').some((l) => l.length === 0 || l.length > 63 || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(l))) {
    return {ok: false, reason: `"${input}" is not a valid hostname`}
  }
  if (!parsed.isIcann || !parsed.domain || !parsed.publicSuffix) {
    return {ok: false, reason: `"${input}" does not end in a public top-level domain`}
  }
  const base = baseDomain.toLowerCase()
  if (domain === base || domain.endsWith(`.${base}`)) {
    return {ok: false, reason: `must not be under the platform's own domain ${base}; use the subdomain instead`}
  }
  return {ok: true, domain}
}

export const customDomainSchema = (baseDomain: string) =>
  z.string().transform((value, ctx) => {
    const verdict = judgeCustomDomain(value, baseDomain)
    if (verdict.ok) return verdict.domain
    ctx.addIssue({code: 'custom', message: `Custom domain ${verdict.reason}`, params: {code: 'CUSTOM_DOMAIN_INVALID'}})
    return z.NEVER
  })

/** A CIDR range, IPv4 or IPv6, normalised; a bare address is a single-host range. Host bits must be zero. */
export function judgeCidr(input: string): {ok: true; cidr: string} | {ok: false; code: 'CIDR_INVALID' | 'CIDR_HOST_BITS'; reason: string; network?: string} {
  const text = input.trim()
  let address: ipaddr.IPv4 | ipaddr.IPv6
  let prefix: number
  try {
    if (text.includes('/')) {
      if (!/\/\d{1,3}$/.test(text)) throw new Error('bad prefix')
      ;[address, prefix] = ipaddr.parseCIDR(text)
    } else {
      address = ipaddr.parse(text)
      prefix = address.kind() === 'ipv4' ? 32 : 128
    }
  } catch {
    const [addr, len] = text.split('/')
    const max = addr?.includes(':') ? 128 : 32
    const reason = len !== undefined && /^\d+$/.test(len) && Number(len) > max && (ipaddr.isValid(addr ?? ''))
      ? `prefix length /${len} is out of range (0-${max})`
      : 'is not an IPv4 or IPv6 CIDR range such as 192.168.1.0/24 or 2001:db8::/32'
    return {ok: false, code: 'CIDR_INVALID', reason: `"${text}" ${reason}`}
  }
  const network = address.kind() === 'ipv4'
    ? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${prefix}`)
    : ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${prefix}`)
  const normalised = `${network.toString()}/${prefix}`
  if (network.toString() !== address.toString()) {
    return {ok: false, code: 'CIDR_HOST_BITS', reason: `"${text}" has host bits set; use ${normalised}`, network: normalised}
  }
  return {ok: true, cidr: normalised}
}

export const cidrSchema = z.string().transform((value, ctx) => {
  const verdict = judgeCidr(value)
  if (verdict.ok) return verdict.cidr
  ctx.addIssue({code: 'custom', message: `IP range ${verdict.reason}`, params: {code: verdict.code, ...(verdict.network ? {suggestion: verdict.network} : {})}})
  return z.NEVER
})

export const LIMIT_BOUNDS = {
  maxAssets: {min: 1, max: 1_000_000, label: 'max assets'},
  maxUsers: {min: 1, max: 100_000, label: 'max users'},
  maxDevices: {min: 1, max: 100_000, label: 'max devices'},
  storageQuotaGb: {min: 1, max: 100_000, label: 'storage quota (GB)'},
} as const

export type LimitName = keyof typeof LIMIT_BOUNDS

const limitSchema = (name: LimitName) => {
  const {min, max, label} = LIMIT_BOUNDS[name]
  const message = `${label} must be a whole number from ${min} to ${max.toLocaleString('en-US')}`
  return z.coerce
    .number({error: message})
    .int({error: message})
    .min(min, {error: message})
    .max(max, {error: message})
}

export const limitsSchema = z.object({
  maxAssets: limitSchema('maxAssets').optional(),
  maxUsers: limitSchema('maxUsers').optional(),
  maxDevices: limitSchema('maxDevices').optional(),
  storageQuotaGb: limitSchema('storageQuotaGb').optional(),
})
export type Limits = Required<z.infer<typeof limitsSchema>>

export const PASSWORD_POLICY_BOUNDS = {
  minLength: {min: 8, max: 72},
  passwordHistory: {min: 0, max: 24},
  sessionTimeoutMinutes: {min: 5, max: 43_200},
} as const

const bounded = (name: keyof typeof PASSWORD_POLICY_BOUNDS, label: string) => {
  const {min, max} = PASSWORD_POLICY_BOUNDS[name]
  const message = `${label} must be a whole number from ${min} to ${max}`
  return z.coerce.number({error: message}).int({error: message}).min(min, {error: message}).max(max, {error: message})
}

export const passwordPolicySchema = z.object({
  minLength: bounded('minLength', 'password minimum length'),
  requireUppercase: z.boolean(),
  requireLowercase: z.boolean(),
  requireNumbers: z.boolean(),
  requireSymbols: z.boolean(),
  passwordHistory: bounded('passwordHistory', 'password history'),
})
export type PasswordPolicy = z.infer<typeof passwordPolicySchema>

/** The default policy; the guide's `SecurePass123` meets it. */
export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = {
  minLength: 8,
  requireUppercase: true,
  requireLowercase: true,
  requireNumbers: true,
  requireSymbols: false,
  passwordHistory: 0,
}
export const DEFAULT_SESSION_TIMEOUT_MINUTES = 480

export const securitySchema = z.object({
  enable2fa: z.boolean().optional(),
  sessionTimeoutMinutes: bounded('sessionTimeoutMinutes', 'session timeout (minutes)').optional(),
  passwordPolicy: passwordPolicySchema.partial().optional(),
  allowedIpRanges: z.array(cidrSchema).optional(),
})
export type SecurityInput = z.infer<typeof securitySchema>

export interface SecurityPolicy {
  enable2fa: boolean
  sessionTimeoutMinutes: number
  passwordPolicy: PasswordPolicy
  allowedIpRanges: string[]
}

/** Unmet password rules, in words; empty when the password meets the policy. */
export function unmetPasswordRules(password: string, policy: PasswordPolicy): string[] {
  const unmet: string[] = []
  if (password.length < policy.minLength) unmet.push(`at least ${policy.minLength} characters`)
  if (Buffer.byteLength(password, 'utf8') > 72) unmet.push('at most 72 bytes (the bcrypt limit)')
  if (policy.requireUppercase && !/\p{Lu}/u.test(password)) unmet.push('an uppercase letter')
  if (policy.requireLowercase && !/\p{Ll}/u.test(password)) unmet.push('a lowercase letter')
  if (policy.requireNumbers && !/\p{Nd}/u.test(password)) unmet.push('a digit')
  if (policy.requireSymbols && !/[^\p{L}\p{Nd}\s]/u.test(password)) unmet.push('a symbol such as !@#$%')
  return unmet
}

const SETTING_KEY = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

// plain predicates rather than z.record: these are parsed for every row of a bulk file, and a record schema runs a schema a key
export const settingsSchema = z.custom<Record<string, unknown>>(isPlainObject, {error: 'Settings must be an object of keys and values'})
export type Settings = z.infer<typeof settingsSchema>

/** Names switched on or off: a tenant's features, a member's permissions. */
export const togglesSchema = (what: 'Features' | 'Permissions') =>
  z.custom<Record<string, boolean>>((v) => isPlainObject(v) && Object.values(v).every((on) => typeof on === 'boolean'), {error: `${what} must map names to true or false`})

/** `KEY=VALUE` with a dotted key (notifications.email=true); VALUE is JSON when it parses, else text. */
export function parseSettingAssignment(text: string): {path: string[]; value: unknown} {
  const eq = text.indexOf('=')
  const key = eq > 0 ? text.slice(0, eq).trim() : ''
  if (!SETTING_KEY.test(key)) {
    throw new AppError('SETTING_INVALID', `Setting ${JSON.stringify(text)} is not KEY=VALUE with a key such as timezone or notifications.email`, {field: 'setting'})
  }
  return {path: key.split('.'), value: parseSettingValue(text.slice(eq + 1))}
}

/** A setting's value: JSON when it parses (true, 5, {"a":1}), else the text itself. */
export function parseSettingValue(raw: string): unknown {
  // most values are plain text: try JSON only where it could be JSON (throwing is slow)
  if (!/^\s*([[{"\-\d]|true\s*$|false\s*$|null\s*$)/.test(raw)) return raw
  try {
    return JSON.parse(raw)
  } catch {
    return raw
  }
}

/** Deep merge, like the guide's settings.update on nested dictionaries. */
export function mergeSettings(base: Settings, patch: Settings): Settings {
  const out: Settings = {...base}
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key]
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeSettings(current, value) : value
  }
  return out
}

export function settingsFromAssignments(assignments: string[]): Settings {
  let settings: Settings = {}
  for (const text of assignments) {
    const {path, value} = parseSettingAssignment(text)
    const patch = path.reduceRight<unknown>((acc, key) => ({[key]: acc}), value) as Settings
    settings = mergeSettings(settings, patch)
  }
  return settings
}

/** `NAME=true|false` (or a bare NAME for true), for --feature and a member's --permission. */
export function parseToggle(text: string, what: 'feature' | 'permission' = 'feature'): [string, boolean] {
  const match = /^\s*([a-z*][a-z0-9_.*]*)\s*(?:=\s*(true|false|yes|no|on|off|1|0)\s*)?$/i.exec(text)
  if (!match?.[1]) {
    throw new AppError(`${what.toUpperCase()}_INVALID`, `${what === 'feature' ? 'Feature' : 'Permission'} ${JSON.stringify(text)} is not NAME=true or NAME=false`, {
      field: what,
      suggestions: [what === 'feature' ? '--feature api_access=true' : '--permission admin=true'],
    })
  }
  const value = (match[2] ?? 'true').toLowerCase()
  return [match[1].toLowerCase(), ['true', 'yes', 'on', '1'].includes(value)]
}

/** The stable error code of a field whose schema is a plain zod type (refinements name their own). */
const FIELD_CODES: Record<string, string> = {
  name: 'NAME_INVALID',
  contactEmail: 'EMAIL_INVALID',
  ownerEmail: 'EMAIL_INVALID',
  email: 'EMAIL_INVALID',
  maxAssets: 'LIMIT_INVALID',
  maxUsers: 'LIMIT_INVALID',
  maxDevices: 'LIMIT_INVALID',
  storageQuotaGb: 'LIMIT_INVALID',
  sessionTimeoutMinutes: 'SESSION_TIMEOUT_INVALID',
  passwordPolicy: 'POLICY_INVALID',
  enable2fa: 'POLICY_INVALID',
  allowedIpRanges: 'CIDR_INVALID',
  settings: 'SETTING_INVALID',
  features: 'FEATURE_INVALID',
  ownerPassword: 'PASSWORD_INVALID',
}

/** zod issues as AppErrors: the code from the refinement or the field, the field from the path. */
export function issuesToErrors(error: z.ZodError, fieldName: (path: PropertyKey[]) => string = (p) => p.join('.'), line?: number): AppError[] {
  return error.issues.map((issue) => {
    const params = (issue as {params?: {code?: string; suggestion?: string}}).params
    const field = fieldName(issue.path)
    return new AppError(params?.code ?? FIELD_CODES[String(issue.path[0])] ?? 'INVALID_INPUT', issue.message, {
      field,
      line,
      suggestions: params?.suggestion ? [params.suggestion] : [],
    })
  })
}

export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, fieldName?: (path: PropertyKey[]) => string): z.infer<S> {
  const result = schema.safeParse(input)
  if (!result.success) throw new ValidationErrors(issuesToErrors(result.error, fieldName))
  return result.data
}
