/**
 * One zod schema per concept: flags, prompts, CSV rows and JSON configs all
 * parse through these, so they accept and refuse exactly the same values with
 * the same error codes. A refinement names its stable code in `params.code`.
 */
import {domainToASCII} from 'node:url'

import ipaddr from 'ipaddr.js'
import {parse as parseDomain} from 'tldts'
import {z} from 'zod'

import {AppError, type ErrorCode, ValidationErrors} from './errors.js'
import {controlCharacter} from './text.js'

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

const controlMessage = (label: string, found: string) => `${label} must not contain control or text-direction characters (found ${found})`

/**
 * A check that reports its own issue. Not superRefine: that sets a property on
 * zod's parse state for every value, which, checked for every bulk row, made
 * the peak RSS of a 200,000-row validation jump from 150 to 230 MB.
 */
const issueCheck = (problem: (value: never) => {message: string; code: ErrorCode; path?: string[]} | undefined) =>
  (ctx: {value: unknown; issues: unknown[]}) => {
    const found = problem(ctx.value as never)
    if (found) ctx.issues.push({code: 'custom', message: found.message, input: ctx.value, path: found.path ?? [], params: {code: found.code}})
  }

/** Free text under the one rule for names: no control characters (TEXT_CONTROL_CHARACTER). */
export const plainTextSchema = (label: string) =>
  z.string().check(issueCheck((text: string) => {
    const found = controlCharacter(text)
    return found ? {message: controlMessage(label, found), code: 'TEXT_CONTROL_CHARACTER'} : undefined
  }))

/** The rule for a text that is not parsed with a schema (the actor): TEXT_CONTROL_CHARACTER naming `field`. */
export function checkPlainText(text: string, label: string, field: string): string {
  const found = controlCharacter(text)
  if (found) throw new AppError('TEXT_CONTROL_CHARACTER', controlMessage(label, found), {field})
  return text
}

/** Its runs of white space (tabs and line breaks too, as in a quoted CSV cell) become one space; other controls are refused. */
export const tenantNameSchema = z
  .string()
  .transform((s) => s.trim().replace(/\s+/g, ' '))
  .pipe(
    plainTextSchema('Tenant name')
      .min(1, {error: 'Tenant name must not be empty'})
      .max(100, {error: 'Tenant name must be at most 100 characters'}),
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
/** Limits as a caller gives them (flags' text, or numbers); limitsSchema checks them. */
export type LimitsInput = {[K in keyof Limits]?: string | number}
const limitInput = z.union([z.number(), z.string()]).optional()
/** LimitsInput's shape as a schema, for an input described as data (an HTTP body); the rules are limitsSchema's. */
export const limitsInputShape = {maxAssets: limitInput, maxUsers: limitInput, maxDevices: limitInput, storageQuotaGb: limitInput}

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

/** The character classes a policy requires, in words, each with the pattern a password must match. */
const requiredClasses = (policy: PasswordPolicy): [string, RegExp][] =>
  ([
    [policy.requireUppercase, 'an uppercase letter', /\p{Lu}/u],
    [policy.requireLowercase, 'a lowercase letter', /\p{Ll}/u],
    [policy.requireNumbers, 'a digit', /\p{Nd}/u],
    [policy.requireSymbols, 'a symbol such as !@#$%', /[^\p{L}\p{Nd}\s]/u],
  ] as const).flatMap(([required, words, pattern]) => (required ? [[words, pattern] as [string, RegExp]] : []))

/** Unmet password rules, in words; empty when the password meets the policy. */
export function unmetPasswordRules(password: string, policy: PasswordPolicy): string[] {
  const unmet: string[] = []
  if (password.length < policy.minLength) unmet.push(`at least ${policy.minLength} characters`)
  if (Buffer.byteLength(password, 'utf8') > 72) unmet.push('at most 72 bytes (the bcrypt limit)')
  for (const [words, pattern] of requiredClasses(policy)) if (!pattern.test(password)) unmet.push(words)
  return unmet
}

/**
 * The policy in the words of unmetPasswordRules, for every front end:
 * "at least 8 characters with an uppercase letter, a lowercase letter and a digit".
 */
export function describePasswordPolicy(policy: PasswordPolicy): string {
  const classes = requiredClasses(policy).map(([words]) => words)
  const last = classes.pop()
  const required = last === undefined ? '' : ` with ${classes.length > 0 ? `${classes.join(', ')} and ` : ''}${last}`
  return `at least ${policy.minLength} characters${required}${policy.passwordHistory > 0 ? `, not one of the last ${policy.passwordHistory} passwords` : ''}`
}

const SETTING_KEY = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/

/** A dotted setting key (notifications.email): letters, digits, _ and -, parts separated by dots. */
export const isSettingKey = (key: string) => SETTING_KEY.test(key)

/** Keys that would reach an object's prototype instead of a setting of its own, refused at any depth. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

/** How deep and how large a tenant's settings may be (nesting levels; bytes of JSON). */
export const SETTINGS_LIMITS = {depth: 32, bytes: 64 * 1024} as const

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

const forbiddenKey = (path: string[], field?: string, line?: number) =>
  new AppError('SETTING_KEY_FORBIDDEN', `Setting key "${path.join('.')}" is not allowed: ${[...FORBIDDEN_KEYS].join(', ')} cannot be setting names.`, {
    field,
    line,
    suggestions: ['Rename the setting.'],
  })

/** A dotted setting key as its path; SETTING_KEY_FORBIDDEN when a part is __proto__, constructor or prototype. */
export function settingPath(key: string, field?: string, line?: number): string[] {
  const path = key.split('.')
  if (path.some((part) => FORBIDDEN_KEYS.has(part))) throw forbiddenKey(path, field, line)
  return path
}

/** Two of these dotted keys where one is inside the other (a and a.b): their values cannot both be set. */
export function settingPathConflict(keys: string[]): [string, string] | undefined {
  const given = new Set(keys)
  for (const key of keys) {
    for (let dot = key.indexOf('.'); dot !== -1; dot = key.indexOf('.', dot + 1)) {
      if (given.has(key.slice(0, dot))) return [key.slice(0, dot), key]
    }
  }
  return undefined
}

/** Set a value at a path of checked keys (settingPath), making the objects on the way. */
export function setSettingPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!
    const next = Object.hasOwn(node, key) ? node[key] : undefined
    node = (isPlainObject(next) ? next : (node[key] = {})) as Record<string, unknown>
  }
  node[path.at(-1)!] = value
}

export interface SettingsProblem {
  code: 'SETTING_KEY_FORBIDDEN' | 'SETTING_NUL' | 'SETTINGS_TOO_DEEP' | 'SETTINGS_TOO_LARGE'
  message: string
  /** where in the settings */
  path: string[]
}

/** An object or array in the settings, linked to its parent: a path is only made for a problem. */
interface Place {
  value: object
  parent?: Place
  key: string
  depth: number
}

const pathOf = (place: Place, key?: string): string[] => {
  const path = key === undefined ? [] : [key]
  for (let p: Place | undefined = place; p?.parent; p = p.parent) path.unshift(p.key)
  return path
}

const nulProblem = (path: string[], inKey: boolean): SettingsProblem => ({
  code: 'SETTING_NUL',
  message: `${inKey ? `A setting key under ${path.join('.') || 'the settings'}` : `Setting ${path.join('.')}`} contains a NUL character (\\u0000), which cannot be stored.`,
  path,
})

/**
 * The first problem of a settings value: a forbidden key, a NUL character
 * (PostgreSQL's jsonb cannot hold \u0000), more than SETTINGS_LIMITS.depth
 * levels, more than SETTINGS_LIMITS.bytes of JSON. Walked with a stack of its
 * own and the depth checked before going deeper, so that no input, however
 * deep, can overflow the call stack. Checked for every row of a bulk file, so
 * it allocates next to nothing for flat settings, and measures the JSON only
 * when the text could reach the limit (a UTF-16 unit is at most 3 bytes).
 */
export function settingsProblem(settings: Record<string, unknown>): SettingsProblem | undefined {
  let stack: Place[] | undefined
  let units = 0
  for (let place: Place | undefined = {value: settings, key: '', depth: 0}; place; place = stack?.pop()) {
    if (place.depth >= SETTINGS_LIMITS.depth) {
      const path = pathOf(place)
      return {code: 'SETTINGS_TOO_DEEP', message: `Settings are nested more than ${SETTINGS_LIMITS.depth} levels deep (at ${path.slice(0, 3).join('.')}...).`, path: path.slice(0, 1)}
    }
    const array = Array.isArray(place.value)
    units += 2
    for (const key of Object.keys(place.value)) {
      if (!array && FORBIDDEN_KEYS.has(key)) {
        const path = pathOf(place, key)
        return {code: 'SETTING_KEY_FORBIDDEN', message: forbiddenKey(path).message, path}
      }
      if (key.includes('\0')) return nulProblem(pathOf(place), true)
      const child = (place.value as Record<string, unknown>)[key]
      units += key.length + 4
      if (typeof child === 'string') {
        if (child.includes('\0')) return nulProblem(pathOf(place, key), false)
        units += child.length + 3
      } else if (typeof child === 'object' && child !== null) {
        ;(stack ??= []).push({value: child, parent: place, key, depth: place.depth + 1})
      } else {
        units += 25
      }
    }
  }
  if (units * 3 <= SETTINGS_LIMITS.bytes) return undefined
  const bytes = Buffer.byteLength(JSON.stringify(settings))
  if (bytes > SETTINGS_LIMITS.bytes) {
    return {code: 'SETTINGS_TOO_LARGE', message: `Settings are ${bytes.toLocaleString('en-US')} bytes of JSON; at most ${SETTINGS_LIMITS.bytes.toLocaleString('en-US')} are allowed.`, path: []}
  }
  return undefined
}

// plain predicates rather than z.record: these are parsed for every row of a bulk file, and a record schema runs a schema a key
export const settingsSchema = z.custom<Record<string, unknown>>(isPlainObject, {error: 'Settings must be an object of keys and values'}).check(issueCheck(settingsProblem))
export type Settings = z.infer<typeof settingsSchema>

/** Settings read from a file or given whole: refused with the problem's code, naming `field`. */
export function checkSettings(settings: Record<string, unknown>, field: string): Settings {
  const problem = settingsProblem(settings)
  if (problem) throw new AppError(problem.code, problem.message, {field})
  return settings
}

/** Names switched on or off: a tenant's features, a member's permissions. */
export const togglesSchema = (what: 'Features' | 'Permissions') =>
  z.custom<Record<string, boolean>>((v) => isPlainObject(v) && Object.values(v).every((on) => typeof on === 'boolean'), {error: `${what} must map names to true or false`})

/** `KEY=VALUE` with a dotted key (notifications.email=true); VALUE is JSON when it parses, else text. */
export function parseSettingAssignment(text: string, field = 'setting'): {key: string; path: string[]; value: unknown} {
  const eq = text.indexOf('=')
  const key = eq > 0 ? text.slice(0, eq).trim() : ''
  if (!isSettingKey(key)) {
    throw new AppError('SETTING_INVALID', `Setting ${JSON.stringify(text)} is not KEY=VALUE with a key such as timezone or notifications.email`, {field})
  }
  return {key, path: settingPath(key, field), value: parseSettingValue(text.slice(eq + 1))}
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

/** Deep merge, like the guide's settings.update on nested dictionaries, of settings already checked (settingsProblem). */
export function mergeSettings(base: Settings, patch: Settings): Settings {
  const out: Settings = {...base}
  for (const [key, value] of Object.entries(patch)) {
    const current = Object.hasOwn(out, key) ? out[key] : undefined
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeSettings(current, value) : value
  }
  return out
}

/** `--setting KEY=VALUE` flags as settings; a key and a key inside it (a=1, a.b=2) are refused with SETTING_PATH_CONFLICT. */
export function settingsFromAssignments(assignments: string[], field = 'setting'): Settings {
  const parsed = assignments.map((text) => parseSettingAssignment(text, field))
  const conflict = settingPathConflict(parsed.map((a) => a.key))
  if (conflict) throw settingConflict(conflict, field)
  const settings: Settings = {}
  for (const {path, value} of parsed) setSettingPath(settings, path, value)
  return checkSettings(settings, field)
}

export const settingConflict = ([outer, inner]: [string, string], field: string, line?: number) =>
  new AppError('SETTING_PATH_CONFLICT', `Settings ${outer} and ${inner} cannot both be given: ${inner} is inside ${outer}.`, {
    field,
    line,
    suggestions: [`Give ${outer} as one JSON object, or only the keys inside it.`],
  })

/** `NAME=true|false` (or a bare NAME for true), for --feature and a member's --permission. */
export function parseToggle(text: string, what: 'feature' | 'permission' = 'feature'): [string, boolean] {
  const match = /^\s*([a-z*][a-z0-9_.*]*)\s*(?:=\s*(true|false|yes|no|on|off|1|0)\s*)?$/i.exec(text)
  if (!match?.[1]) {
    throw new AppError(what === 'feature' ? 'FEATURE_INVALID' : 'PERMISSION_INVALID', `${what === 'feature' ? 'Feature' : 'Permission'} ${JSON.stringify(text)} is not NAME=true or NAME=false`, {
      field: what,
      suggestions: [what === 'feature' ? '--feature api_access=true' : '--permission admin=true'],
    })
  }
  const value = (match[2] ?? 'true').toLowerCase()
  return [match[1].toLowerCase(), ['true', 'yes', 'on', '1'].includes(value)]
}

/** The stable error code of a field whose schema is a plain zod type (refinements name their own). */
const FIELD_CODES: Record<string, ErrorCode> = {
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

/** zod's own wording ("Invalid input: expected string, received undefined") in words a person uses, naming the field. */
function plainMessage(message: string, field: string): string {
  const name = field.split('.').at(-1) || 'the value'
  const type = /^Invalid input: expected (\w+), received (\w+)$/.exec(message)
  if (type) return type[2] === 'undefined' ? `${name} is required` : `${name} must be ${/^[aeiou]/.test(type[1]!) ? 'an' : 'a'} ${type[1]}, not ${type[2] === 'null' ? 'null' : `a ${type[2]}`}`
  return message.startsWith('Invalid input') ? `${name} is not valid` : message
}

/** zod issues as AppErrors: the code from the refinement or the field, the field from the path. */
export function issuesToErrors(error: z.ZodError, fieldName: (path: PropertyKey[]) => string = (p) => p.join('.'), line?: number): AppError[] {
  return error.issues.map((issue) => {
    // params.code is set by this module's refinements only, each from an ErrorCode
    const params = (issue as {params?: {code?: ErrorCode; suggestion?: string}}).params
    const field = fieldName(issue.path)
    return new AppError(params?.code ?? FIELD_CODES[String(issue.path[0])] ?? 'INVALID_INPUT', plainMessage(issue.message, field), {
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

/** Each assignable to the other (for a schema that describes an interface's shape). */
export type Alike<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
export type Assert<T extends true> = T
