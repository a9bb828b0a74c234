/** The security-policy questions, shared by the create wizard and `tenant security`. */
import {checkbox, confirm, input} from '@inquirer/prompts'

import {judgeCidr, securitySchema, type SecurityPolicy} from '../lib/validation.js'
import {by} from './validate.js'

/** Ask for each part of the policy, the current values as defaults. */
export async function askSecurityPolicy(current: SecurityPolicy): Promise<SecurityPolicy> {
  const shape = securitySchema.shape
  const policyShape = shape.passwordPolicy.unwrap().shape
  const enable2fa = await confirm({message: 'Require two-factor authentication?', default: current.enable2fa})
  const sessionTimeoutMinutes = await input({message: 'Session timeout (minutes)', default: String(current.sessionTimeoutMinutes), validate: by(shape.sessionTimeoutMinutes)})
  const p = current.passwordPolicy
  const minLength = await input({message: 'Minimum password length', default: String(p.minLength), validate: by(policyShape.minLength)})
  const classes = await checkbox({
    message: 'Passwords must contain',
    choices: [
      {name: 'an uppercase letter', value: 'requireUppercase', checked: p.requireUppercase},
      {name: 'a lowercase letter', value: 'requireLowercase', checked: p.requireLowercase},
      {name: 'a digit', value: 'requireNumbers', checked: p.requireNumbers},
      {name: 'a symbol', value: 'requireSymbols', checked: p.requireSymbols},
    ],
  })
  const passwordHistory = await input({message: 'Previous passwords that cannot be reused', default: String(p.passwordHistory), validate: by(policyShape.passwordHistory)})
  const keep = current.allowedIpRanges.length > 0 && (await confirm({message: `Keep the allowed IP ranges ${current.allowedIpRanges.join(', ')}?`, default: true}))
  const ranges = keep ? [...current.allowedIpRanges] : []
  for (;;) {
    const range = await input({
      message: `Allowed IP range (CIDR, IPv4 or IPv6; empty ${ranges.length > 0 ? 'to finish' : 'for any address'})`,
      validate: (v) => {
        if (v.trim() === '') return true
        const verdict = judgeCidr(v)
        return verdict.ok || verdict.reason
      },
    })
    if (range.trim() === '') break
    const verdict = judgeCidr(range)
    if (verdict.ok && !ranges.includes(verdict.cidr)) ranges.push(verdict.cidr)
  }
  return {
    enable2fa,
    sessionTimeoutMinutes: Number(sessionTimeoutMinutes),
    passwordPolicy: {
      minLength: Number(minLength),
      passwordHistory: Number(passwordHistory),
      requireUppercase: classes.includes('requireUppercase'),
      requireLowercase: classes.includes('requireLowercase'),
      requireNumbers: classes.includes('requireNumbers'),
      requireSymbols: classes.includes('requireSymbols'),
    },
    allowedIpRanges: ranges,
  }
}
