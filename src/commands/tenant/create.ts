import {Args, Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {featureFlag, featuresFromFlags, flagFieldName, limitFlags, limitsFromFlags, securityFlags, securityFromFlags} from '../../flags.js'
import {AppError} from '../../lib/errors.js'
import type {CreateTenantResult, TenantInput} from '../../lib/tenants.js'
import type {TenantCreateResult} from '../../lib/results.js'
import {DEFAULT_PASSWORD_POLICY, describePasswordPolicy} from '../../lib/validation.js'

const fieldName = flagFieldName({name: 'NAME', subdomain: 'SUBDOMAIN'})

export default class TenantCreate extends BaseCommand<typeof TenantCreate> {
  static override hiddenAliases = ['create_tenant']
  static override description = describe(
    `Create a tenant: plan, limits, features, contact, custom domain, owner, security policy and settings, in one transaction.

The plan's limits are the defaults; --max-* flags override them. With --owner-email and a password the owner can log in at once; without a password an invitation token is printed once.

Default password policy: ${describePasswordPolicy(DEFAULT_PASSWORD_POLICY)} (the guide's SecurePass123 passes). Passwords are stored as bcrypt hashes (cost 12), never printed or audited.`,
  )

  static override examples = [
    '<%= config.bin %> tenant create "Acme Corp" acme-corp --plan professional',
    '<%= config.bin %> create_tenant "Acme Corp" acme-corp --plan professional --owner-email admin@acme.com --owner-password-file ./owner.pw --contact-email billing@acme.com',
    '<%= config.bin %> create_tenant "Enterprise Client" enterprise-client --plan enterprise --max-assets 2000 --max-users 200 --storage-quota 500 --custom-domain client.enterprise.com',
    '<%= config.bin %> tenant create "Client Org" client-org --feature analytics_dashboard=true --setting timezone=America/New_York --allow-ip 192.168.1.0/24 --json',
  ]

  static override args = {
    name: Args.string({description: 'organisation name, e.g. "Acme Corp"'}),
    subdomain: Args.string({description: 'DNS label: 3-63 lowercase letters, digits and inner hyphens'}),
  }

  static override flags = {
    interactive: Flags.boolean({char: 'i', description: 'ask for every value not given as a flag (the default in a terminal when NAME is missing)'}),
    plan: Flags.string({description: 'basic (default), professional or enterprise', helpValue: 'PLAN'}),
    'contact-email': Flags.string({description: 'billing / contact address', helpValue: 'EMAIL'}),
    'owner-email': Flags.string({description: 'the tenant owner; a new user is created or an existing one added', helpValue: 'EMAIL'}),
    'owner-password': Flags.string({description: 'owner password (visible in shell history: prefer --owner-password-file)', helpValue: 'PASSWORD'}),
    'owner-password-file': Flags.string({description: 'read the owner password from a file, or - for stdin', helpValue: 'FILE', exclusive: ['owner-password']}),
    ...limitFlags,
    'custom-domain': Flags.string({description: 'a public hostname pointing (CNAME) at the platform', helpValue: 'HOST'}),
    ...featureFlag,
    setting: Flags.string({description: 'a setting; dotted keys nest, JSON values parse (repeatable; settings: at most 32 levels, 64 KiB)', helpValue: 'KEY=VALUE', multiple: true}),
    'settings-file': Flags.string({description: 'settings as a JSON object; --setting values merge over it', helpValue: 'FILE'}),
    ...securityFlags,
  }

  async run(): Promise<TenantCreateResult> {
    const {name, subdomain} = this.args
    const missing = name === undefined || subdomain === undefined
    if ((missing || this.flags.interactive) && !this.interactive) {
      throw new AppError('MISSING_INPUT', missing
        ? `Missing ${name === undefined ? 'the NAME and SUBDOMAIN arguments' : 'the SUBDOMAIN argument'}, and there is no terminal to ask in.`
        : '--interactive needs a terminal (and no CI, --no-input or --json).', {
        field: name === undefined ? 'name' : 'subdomain',
        suggestions: [{command: 'tenant.create', args: {name: 'Acme Corp', subdomain: 'acme-corp', plan: 'professional'}}],
      })
    }
    const input = await this.buildInput(name, subdomain)
    const ctx = await this.context()
    const {sql} = await this.database()
    let generatedPassword: string | undefined
    let result: CreateTenantResult
    if (missing || this.flags.interactive) {
      const {createTenantWizard} = await import('../../prompts/create-tenant.js')
      const answers = await createTenantWizard(sql, ctx, input, (text) => this.log(text))
      if (!answers) {
        this.log('Cancelled; nothing was created.')
        return {cancelled: true}
      }
      generatedPassword = answers.generatedPassword
      const {createTenantWithTasks} = await import('../../ui/create-tasks.js')
      result = await createTenantWithTasks(sql, answers.input, ctx, fieldName)
    } else {
      const {createTenant} = await import('../../lib/tenants.js')
      result = await createTenant(sql, input as TenantInput, ctx, fieldName)
    }
    for (const warning of result.warnings) this.warn(typeof warning === 'string' ? warning : this.commandLine(warning))
    await this.render(result, ctx.baseDomain)
    if (generatedPassword) this.log(`\nOwner password (generated, shown once): ${generatedPassword}`)
    return result
  }

  private async buildInput(name: string | undefined, subdomain: string | undefined): Promise<Partial<TenantInput>> {
    const f = this.flags
    const {settingsFromAssignments, mergeSettings} = await import('../../lib/validation.js')
    const {readSettings, readText} = await import('../../lib/input.js')
    const {textInput} = await import('../../inputs.js')
    let ownerPassword = f['owner-password']
    if (ownerPassword !== undefined) {
      this.warn('A password in a command-line flag is visible in shell history and the process list; prefer --owner-password-file.')
    }
    if (f['owner-password-file']) ownerPassword = (await readText(textInput(f['owner-password-file']), '--owner-password-file')).replace(/\r?\n$/, '')
    const settingsFile = f['settings-file'] ? await readSettings(textInput(f['settings-file']), '--settings-file') : {}
    return {
      name,
      subdomain,
      plan: f.plan,
      contactEmail: f['contact-email'],
      ownerEmail: f['owner-email'],
      ownerPassword,
      ...limitsFromFlags(f),
      customDomain: f['custom-domain'],
      features: await featuresFromFlags(f.feature),
      settings: mergeSettings(settingsFile, settingsFromAssignments(f.setting ?? [])),
      ...securityFromFlags(f),
      allowedIpRanges: f['allow-ip'],
    }
  }

  private async render(result: CreateTenantResult, baseDomain: string): Promise<void> {
    const {symbols} = await import('../../ui/format.js')
    const {formatTenant} = await import('../../ui/tenant.js')
    const t = result.tenant
    this.log(`${symbols.ok} Created tenant ${t.name}\n`)
    this.log(formatTenant(t))
    const next: string[] = []
    if (result.ownerInvitation) {
      const inv = result.ownerInvitation
      this.log(`\nOwner invitation for ${inv.email} (shown once, expires ${inv.expiresAt.toISOString()}):\n  ${inv.token}`)
    }
    if (t.customDomain) {
      next.push(`DNS: create the record ${t.customDomain} CNAME app.${baseDomain}, then issue its TLS certificate`)
    }
    next.push(`open ${t.accessUrl}`, this.commandLine({command: 'tenant.show', args: {tenant: t.subdomain}}))
    this.log(`\nNext steps:\n${next.map((n) => `  ${symbols.arrow} ${n}`).join('\n')}`)
  }
}
