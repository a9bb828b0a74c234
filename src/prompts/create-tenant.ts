/**
 * The guided `tenant create` for support staff. Every answer is checked by the
 * same zod schemas and judges as flags, CSV rows and JSON configs; values
 * already given (flags) are not asked again. Nothing is written here: the
 * wizard returns the input for createTenant, or undefined when declined.
 */
import {checkbox, confirm, input, password, select} from '@inquirer/prompts'
import chalk from '../ui/chalk.js'
import type {Sql} from 'postgres'

import type {Context} from '../lib/context.js'
import {accessUrl} from '../lib/context.js'
import {DEFAULT_PLAN, loadCatalog, type Plan} from '../lib/plans.js'
import {generatePassword} from '../lib/secrets.js'
import {judgeSubdomain} from '../lib/subdomain-rules.js'
import {checkCustomDomain, checkSubdomain, suggestSubdomains} from '../lib/subdomains.js'
import {effectiveFeatures, type TenantInput} from '../lib/tenants.js'
import {symbols, table} from '../ui/format.js'
import {securityRows} from '../ui/tenant.js'
import {askSecurityPolicy} from './security.js'
import {by, optional} from './validate.js'
import {
  DEFAULT_PASSWORD_POLICY,
  DEFAULT_SESSION_TIMEOUT_MINUTES,
  describePasswordPolicy,
  emailSchema,
  LIMIT_BOUNDS,
  type LimitName,
  limitsSchema,
  type PasswordPolicy,
  type SecurityPolicy,
  tenantNameSchema,
  unmetPasswordRules,
} from '../lib/validation.js'

export interface WizardResult {
  input: TenantInput
  /** a generated owner password, to show once after creation */
  generatedPassword?: string
}

export const describePlan = (p: Plan) =>
  `${p.id.padEnd(12)} ${`${p.priceMonthly}/mo`.padEnd(9)} ${p.limits.maxAssets} assets · ${p.limits.maxUsers} users · ${p.limits.maxDevices} devices · ${p.limits.storageQuotaGb} GB`

/** Pick a plan: the cursor starts on `start`, and the tenant's `current` plan, if any, is marked. */
export const askPlan = (plans: Plan[], options: {message: string; start?: string; current?: string}) =>
  select({
    message: options.message,
    choices: plans.map((p) => ({name: `${describePlan(p)}${p.id === options.current ? '  (current)' : ''}`, value: p.id, short: p.id, description: `features: ${p.features.join(', ')}`})),
    default: options.start,
  })

async function askSubdomain(sql: Sql, name: string, given: string | undefined, log: (text: string) => void): Promise<string> {
  let candidate = given
  const [first] = await suggestSubdomains(sql, name, 1)
  for (;;) {
    const value =
      candidate ??
      (await input({
        message: 'Subdomain',
        default: first,
        validate: (v) => {
          const verdict = judgeSubdomain(v)
          return verdict.ok || `${verdict.subdomain} ${verdict.reason}`
        },
      }))
    candidate = undefined
    const check = await checkSubdomain(sql, value)
    if (check.available) return check.subdomain
    log(`${symbols.fail} ${check.reason}`)
    const picked = await select({
      message: 'Pick a free subdomain',
      choices: [...check.suggestions.map((s) => ({name: s, value: s})), {name: 'Type another', value: ''}],
    })
    if (picked) return picked
  }
}

async function askSecurity(): Promise<Partial<SecurityPolicy>> {
  const defaults: SecurityPolicy = {enable2fa: false, sessionTimeoutMinutes: DEFAULT_SESSION_TIMEOUT_MINUTES, passwordPolicy: DEFAULT_PASSWORD_POLICY, allowedIpRanges: []}
  const keep = await confirm({
    message: `Keep the default security policy? (2FA off, ${DEFAULT_SESSION_TIMEOUT_MINUTES} min sessions, any IP; passwords of ${describePasswordPolicy(DEFAULT_PASSWORD_POLICY)})`,
    default: true,
  })
  return keep ? {} : askSecurityPolicy(defaults)
}

async function askOwner(given: Partial<TenantInput>, policy: PasswordPolicy, log: (text: string) => void): Promise<{ownerEmail?: string; ownerPassword?: string; generated?: string}> {
  const ownerEmail = given.ownerEmail ?? ((await input({message: 'Owner email (empty: add an owner later)', validate: optional(emailSchema)})).trim() || undefined)
  if (!ownerEmail) return {}
  if (given.ownerPassword !== undefined) return {ownerEmail, ownerPassword: given.ownerPassword}
  const how = await select({
    message: 'Owner password',
    choices: [
      {name: 'Type a password now', value: 'type'},
      {name: 'Generate a strong one (shown once)', value: 'generate'},
      {name: 'Send an invitation instead (the owner sets it)', value: 'invite'},
    ],
  })
  if (how === 'invite') return {ownerEmail}
  if (how === 'generate') {
    const generated = generatePassword(Math.max(20, policy.minLength))
    return {ownerEmail, ownerPassword: generated, generated}
  }
  // typed twice, as nobody can see what was typed; a mismatch asks for both again
  for (;;) {
    const ownerPassword = await password({
      message: `Password (${describePasswordPolicy(policy)})`,
      mask: '*',
      validate: (v) => {
        const unmet = unmetPasswordRules(v, policy)
        return unmet.length === 0 || `Needs ${unmet.join(', ')}`
      },
    })
    if ((await password({message: 'The same password again', mask: '*'})) === ownerPassword) return {ownerEmail, ownerPassword}
    log(`${symbols.fail} The two passwords differ; type it again.`)
  }
}

/** Ask for everything `given` lacks; returns the full input, or undefined when declined at the summary. */
export async function createTenantWizard(sql: Sql, ctx: Context, given: Partial<TenantInput>, log: (text: string) => void): Promise<WizardResult | undefined> {
  const catalog = await loadCatalog(sql)
  const name = given.name ?? (await input({message: 'Organisation name', validate: by(tenantNameSchema)}))
  const subdomain = await askSubdomain(sql, name, given.subdomain, log)
  const planId =
    given.plan ??
    (await askPlan(catalog.plans, {message: 'Plan', start: DEFAULT_PLAN}))
  const plan = catalog.plans.find((p) => p.id === planId) ?? catalog.plans[0]!
  const limits: Partial<Record<LimitName, string | number>> = {}
  for (const key of Object.keys(LIMIT_BOUNDS) as LimitName[]) {
    limits[key] = (given[key] as string | number | undefined) ?? (await input({message: `${LIMIT_BOUNDS[key].label[0]!.toUpperCase()}${LIMIT_BOUNDS[key].label.slice(1)}`, default: String(plan.limits[key]), validate: by(limitsSchema.shape[key])}))
  }
  const features: Record<string, boolean> = given.features ?? (await askFeatures())
  async function askFeatures() {
    const chosen = await checkbox({
      message: 'Features (space toggles; the plan\'s are preselected)',
      choices: catalog.features.map((f) => ({name: f.name, value: f.name, checked: plan.features.includes(f.name), description: f.description})),
      pageSize: 12,
    })
    return Object.fromEntries(catalog.features.filter((f) => chosen.includes(f.name) !== plan.features.includes(f.name)).map((f) => [f.name, chosen.includes(f.name)]))
  }
  const contactEmail = given.contactEmail ?? ((await input({message: 'Contact / billing email (optional)', validate: optional(emailSchema)})).trim() || undefined)
  const security = given.passwordPolicy || given.allowedIpRanges || given.sessionTimeoutMinutes || given.enable2fa !== undefined ? {} : await askSecurity()
  const policy = {...DEFAULT_PASSWORD_POLICY, ...given.passwordPolicy, ...security.passwordPolicy} as PasswordPolicy
  const owner = await askOwner(given, policy, log)
  const customDomain =
    given.customDomain ??
    ((await input({
      message: 'Custom domain (optional, e.g. dashboard.client.com)',
      validate: async (v) => {
        if (v.trim() === '') return true
        const verdict = await checkCustomDomain(sql, v, ctx.baseDomain)
        return verdict.available || verdict.reason
      },
    })).trim() || undefined)

  const tenantInput: TenantInput = {
    ...given,
    name,
    subdomain,
    plan: plan.id,
    ...limits,
    features,
    contactEmail,
    ...security,
    ownerEmail: owner.ownerEmail,
    ownerPassword: owner.ownerPassword,
    customDomain,
  } as TenantInput

  const enabled = effectiveFeatures(plan.features, features)
  log(`\n${chalk.bold('Summary')}`)
  log(
    table([], [
      ['name', name],
      ['subdomain', `${subdomain}  ${accessUrl(subdomain, ctx.baseDomain)}`],
      ['plan', `${plan.id} (${plan.priceMonthly}/month)`],
      ['limits', `${limits.maxAssets} assets · ${limits.maxUsers} users · ${limits.maxDevices} devices · ${limits.storageQuotaGb} GB`],
      ['features', enabled.join(', ')],
      ['contact', contactEmail ?? '-'],
      ['owner', owner.ownerEmail ? `${owner.ownerEmail} (${owner.ownerPassword ? (owner.generated ? 'generated password' : 'password set') : 'invitation'})` : 'none yet'],
      ...securityRows({
        enable2fa: tenantInput.enable2fa ?? false,
        // as given (a flag's text, or the wizard's number): validated when the tenant is created
        sessionTimeoutMinutes: (tenantInput.sessionTimeoutMinutes ?? DEFAULT_SESSION_TIMEOUT_MINUTES) as number,
        passwordPolicy: policy,
        allowedIpRanges: tenantInput.allowedIpRanges ?? [],
      }),
      ['custom domain', customDomain ?? '-'],
    ]),
  )
  log('')
  if (!(await confirm({message: 'Create this tenant?', default: true}))) return undefined
  return {input: tenantInput, generatedPassword: owner.generated}
}
