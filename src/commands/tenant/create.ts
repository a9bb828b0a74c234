import {Args, Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import {AppError} from '../../lib/errors.js'
import type {CreateTenantResult, TenantInput} from '../../lib/tenants.js'

/** Spec keys as the flags that set them, for error messages. */
const FLAG_FOR: Record<string, string> = {
  name: 'NAME',
  subdomain: 'SUBDOMAIN',
  plan: '--plan',
  contactEmail: '--contact-email',
  ownerEmail: '--owner-email',
  ownerPassword: '--owner-password',
  maxAssets: '--max-assets',
  maxUsers: '--max-users',
  maxDevices: '--max-devices',
  storageQuotaGb: '--storage-quota',
  customDomain: '--custom-domain',
  features: '--feature',
  settings: '--setting',
  enable2fa: '--enable-2fa',
  sessionTimeoutMinutes: '--session-timeout',
  allowedIpRanges: '--allow-ip',
  'passwordPolicy.minLength': '--password-min-length',
  'passwordPolicy.passwordHistory': '--password-history',
}

const fieldName = (path: PropertyKey[]) => FLAG_FOR[path.slice(0, 2).join('.')] ?? FLAG_FOR[String(path[0])] ?? path.join('.')

export default class TenantCreate extends BaseCommand<typeof TenantCreate> {
  static override aliases = ['create_tenant']
  static override description = describe(
    `Create a tenant: plan, limits, features, contact, custom domain, owner, security policy and settings, in one transaction.

The plan's limits are the defaults; --max-* flags override them. With --owner-email and a password the owner can log in at once; without a password an invitation token is printed once.

Default password policy: at least 8 characters with an uppercase letter, a lowercase letter and a digit (the guide's SecurePass123 passes). Passwords are stored as bcrypt hashes (cost 12), never printed or audited.`,
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
    plan: Flags.string({description: 'basic, professional or enterprise', default: 'basic', helpValue: 'PLAN'}),
    'contact-email': Flags.string({description: 'billing / contact address', helpValue: 'EMAIL'}),
    'owner-email': Flags.string({description: 'the tenant owner; a new user is created or an existing one added', helpValue: 'EMAIL'}),
    'owner-password': Flags.string({description: 'owner password (visible in shell history: prefer --owner-password-file)', helpValue: 'PASSWORD'}),
    'owner-password-file': Flags.string({description: 'read the owner password from a file, or - for stdin', helpValue: 'FILE', exclusive: ['owner-password']}),
    'max-assets': Flags.string({description: "override the plan's asset limit", helpValue: 'N', helpGroup: 'LIMITS'}),
    'max-users': Flags.string({description: "override the plan's user limit", helpValue: 'N', helpGroup: 'LIMITS'}),
    'max-devices': Flags.string({description: "override the plan's device limit", helpValue: 'N', helpGroup: 'LIMITS'}),
    'storage-quota': Flags.string({description: "override the plan's storage quota, in GB", helpValue: 'GB', helpGroup: 'LIMITS'}),
    'custom-domain': Flags.string({description: 'a public hostname pointing (CNAME) at the platform', helpValue: 'HOST'}),
    feature: Flags.string({description: 'enable or disable a feature, beyond the plan (repeatable)', helpValue: 'NAME=true|false', multiple: true}),
    setting: Flags.string({description: 'a setting; dotted keys nest, JSON values parse (repeatable)', helpValue: 'KEY=VALUE', multiple: true}),
    'settings-file': Flags.string({description: 'settings as a JSON object; --setting values merge over it', helpValue: 'FILE'}),
    'enable-2fa': Flags.boolean({description: 'require two-factor authentication', allowNo: true, helpGroup: 'SECURITY'}),
    'session-timeout': Flags.string({description: 'session timeout in minutes (5-43200, default 480)', helpValue: 'MINUTES', helpGroup: 'SECURITY'}),
    'password-min-length': Flags.string({description: 'minimum password length (8-72, default 8)', helpValue: 'N', helpGroup: 'SECURITY'}),
    'require-uppercase': Flags.boolean({description: 'passwords need an uppercase letter (default on)', allowNo: true, helpGroup: 'SECURITY'}),
    'require-lowercase': Flags.boolean({description: 'passwords need a lowercase letter (default on)', allowNo: true, helpGroup: 'SECURITY'}),
    'require-numbers': Flags.boolean({description: 'passwords need a digit (default on)', allowNo: true, helpGroup: 'SECURITY'}),
    'require-symbols': Flags.boolean({description: 'passwords need a symbol (default off)', allowNo: true, helpGroup: 'SECURITY'}),
    'password-history': Flags.string({description: 'previous passwords that cannot be reused (0-24, default 0)', helpValue: 'N', helpGroup: 'SECURITY'}),
    'allow-ip': Flags.string({description: 'allow logins only from this CIDR range, IPv4 or IPv6 (repeatable)', helpValue: 'CIDR', multiple: true, helpGroup: 'SECURITY'}),
  }

  async run(): Promise<CreateTenantResult> {
    const {name, subdomain} = this.args
    if (name === undefined || subdomain === undefined) {
      throw new AppError('MISSING_INPUT', `Missing ${name === undefined ? 'NAME and SUBDOMAIN arguments' : 'the SUBDOMAIN argument'}.`, {
        field: name === undefined ? 'NAME' : 'SUBDOMAIN',
        suggestions: ['anthias tenant create "Acme Corp" acme-corp --plan professional'],
      })
    }
    const input = await this.buildInput(name, subdomain)
    const {createTenant} = await import('../../lib/tenants.js')
    const ctx = await this.context()
    const result = await createTenant((await this.database()).sql, input, ctx, fieldName)
    for (const warning of result.warnings) this.warn(warning)
    await this.render(result, ctx.baseDomain)
    return result
  }

  private async buildInput(name: string, subdomain: string): Promise<TenantInput> {
    const f = this.flags
    const {parseFeatureAssignment, settingsFromAssignments, mergeSettings} = await import('../../lib/validation.js')
    const {readTextInput, readJsonObject} = await import('../../lib/input.js')
    let ownerPassword = f['owner-password']
    if (ownerPassword !== undefined) {
      this.warn('A password in a command-line flag is visible in shell history and the process list; prefer --owner-password-file.')
    }
    if (f['owner-password-file']) ownerPassword = (await readTextInput(f['owner-password-file'], '--owner-password-file')).replace(/\r?\n$/, '')
    const settingsFile = f['settings-file'] ? await readJsonObject(f['settings-file'], '--settings-file') : {}
    const policy = Object.fromEntries(
      Object.entries({
        minLength: f['password-min-length'],
        requireUppercase: f['require-uppercase'],
        requireLowercase: f['require-lowercase'],
        requireNumbers: f['require-numbers'],
        requireSymbols: f['require-symbols'],
        passwordHistory: f['password-history'],
      }).filter(([, v]) => v !== undefined),
    )
    return {
      name,
      subdomain,
      plan: f.plan,
      contactEmail: f['contact-email'],
      ownerEmail: f['owner-email'],
      ownerPassword,
      maxAssets: f['max-assets'],
      maxUsers: f['max-users'],
      maxDevices: f['max-devices'],
      storageQuotaGb: f['storage-quota'],
      customDomain: f['custom-domain'],
      features: Object.fromEntries((f.feature ?? []).map((a) => parseFeatureAssignment(a))),
      settings: mergeSettings(settingsFile, settingsFromAssignments(f.setting ?? [])),
      enable2fa: f['enable-2fa'],
      sessionTimeoutMinutes: f['session-timeout'],
      passwordPolicy: Object.keys(policy).length > 0 ? policy : undefined,
      allowedIpRanges: f['allow-ip'],
    } as TenantInput
  }

  private async render(result: CreateTenantResult, baseDomain: string): Promise<void> {
    const {symbols} = await import('../../lib/ui/format.js')
    const {formatTenant} = await import('../../lib/ui/tenant.js')
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
    next.push(`open ${t.accessUrl}`, `anthias tenant show ${t.subdomain}`)
    this.log(`\nNext steps:\n${next.map((n) => `  ${symbols.arrow} ${n}`).join('\n')}`)
  }
}
