import {describe, expect, it} from 'vitest'

import {
  DEFAULT_PASSWORD_POLICY,
  describePasswordPolicy,
  judgeCidr,
  judgeCustomDomain,
  parseToggle,
  settingsFromAssignments,
  unmetPasswordRules,
} from '../../src/lib/validation.js'
import {judgeSubdomain} from '../../src/lib/subdomain-rules.js'
import {subdomainCandidates} from '../../src/lib/subdomains.js'

describe('subdomains', () => {
  it.each(['acme-corp', 'abc', 'a1b', 'x'.repeat(63), 'ACME-Corp'])('accepts %s', (s) => {
    expect(judgeSubdomain(s)).toMatchObject({ok: true, subdomain: s.toLowerCase()})
  })

  it.each([
    ['ab', 'at least 3'],
    ['x'.repeat(64), 'at most 63'],
    ['-acme', 'start and end'],
    ['acme-', 'start and end'],
    ['acme_corp', 'only letters'],
    ['acme.corp', 'only letters'],
    ['xn--acme', 'punycode'],
    ['café', 'only letters'],
  ])('refuses %s as invalid (%s)', (s, reason) => {
    const verdict = judgeSubdomain(s)
    expect(verdict.ok).toBe(false)
    expect(verdict).toMatchObject({code: 'SUBDOMAIN_INVALID'})
    expect(!verdict.ok && verdict.reason).toContain(reason)
  })

  it.each(['www', 'api', 'admin', 'app', 'mail'])('refuses reserved %s', (s) => {
    expect(judgeSubdomain(s)).toMatchObject({ok: false, code: 'SUBDOMAIN_RESERVED'})
  })

  it('derives valid candidates from free text', async () => {
    const candidates = await subdomainCandidates('Café Zürich & Co')
    expect(candidates.length).toBeGreaterThanOrEqual(5)
    for (const c of candidates) expect(judgeSubdomain(c).ok).toBe(true)
    expect(candidates[0]).toBe('cafe-zuerich-and-co')
  })
})

describe('CIDR ranges', () => {
  it.each([
    ['192.168.1.0/24', '192.168.1.0/24'],
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['203.0.113.7', '203.0.113.7/32'],
    ['2001:DB8:0:0::/32', '2001:db8::/32'],
    ['::1', '::1/128'],
  ])('normalises %s', (input, out) => {
    expect(judgeCidr(input)).toEqual({ok: true, cidr: out})
  })

  it('names the network when host bits are set', () => {
    expect(judgeCidr('192.168.1.5/24')).toMatchObject({ok: false, code: 'CIDR_HOST_BITS', network: '192.168.1.0/24'})
    expect(judgeCidr('2001:db8::1/32')).toMatchObject({ok: false, code: 'CIDR_HOST_BITS', network: '2001:db8::/32'})
  })

  it.each(['10.0.0.0/33', '::1/129', '300.1.1.1/8', 'not-an-ip', '10.0.0.0/', '10.0.0.0/8/8'])('refuses %s', (input) => {
    expect(judgeCidr(input)).toMatchObject({ok: false, code: 'CIDR_INVALID'})
  })
})

describe('custom domains', () => {
  it.each(['client.enterprise.com', 'dashboard.client.com', 'Signage.Example.CO.UK.'])('accepts %s', (d) => {
    expect(judgeCustomDomain(d, 'anthias.app')).toMatchObject({ok: true, domain: d.toLowerCase().replace(/\.$/, '')})
  })

  it.each([
    ['acme.anthias.app', "platform's own domain"],
    ['anthias.app', "platform's own domain"],
    ['192.168.1.1', 'IP address'],
    ['localhost', 'public top-level domain'],
    ['intranet.local', 'public top-level domain'],
    ['bad_name.example.com', 'not a valid hostname'],
    ['-x.example.com', 'not a valid hostname'],
  ])('refuses %s (%s)', (d, reason) => {
    const verdict = judgeCustomDomain(d, 'anthias.app')
    expect(verdict.ok).toBe(false)
    expect(!verdict.ok && verdict.reason).toContain(reason)
  })
})

describe('password policy', () => {
  it("passes the guide's SecurePass123 under the default policy", () => {
    expect(unmetPasswordRules('SecurePass123', DEFAULT_PASSWORD_POLICY)).toEqual([])
  })

  it('lists every unmet rule', () => {
    expect(unmetPasswordRules('abc', {...DEFAULT_PASSWORD_POLICY, requireSymbols: true})).toEqual([
      'at least 8 characters',
      'an uppercase letter',
      'a digit',
      'a symbol such as !@#$%',
    ])
  })

  it('describes a policy in the words of its rules', () => {
    expect(describePasswordPolicy(DEFAULT_PASSWORD_POLICY)).toBe('at least 8 characters with an uppercase letter, a lowercase letter and a digit')
    expect(describePasswordPolicy({...DEFAULT_PASSWORD_POLICY, minLength: 12, requireSymbols: true, passwordHistory: 5}))
      .toBe('at least 12 characters with an uppercase letter, a lowercase letter, a digit and a symbol such as !@#$%, not one of the last 5 passwords')
    expect(describePasswordPolicy({...DEFAULT_PASSWORD_POLICY, requireUppercase: false, requireLowercase: false})).toBe('at least 8 characters with a digit')
    expect(describePasswordPolicy({...DEFAULT_PASSWORD_POLICY, requireUppercase: false, requireLowercase: false, requireNumbers: false})).toBe('at least 8 characters')
  })
})

describe('settings and features', () => {
  it('nests dotted keys and parses JSON values', () => {
    expect(settingsFromAssignments(['timezone=America/New_York', 'notifications.email=true', 'notifications.in_app=false', 'limit=5'])).toEqual({
      timezone: 'America/New_York',
      notifications: {email: true, in_app: false},
      limit: 5,
    })
  })

  it('parses NAME=true|false', () => {
    expect(parseToggle('api_access=false')).toEqual(['api_access', false])
    expect(parseToggle('custom_branding')).toEqual(['custom_branding', true])
    expect(() => parseToggle('api_access=maybe')).toThrow(/NAME=true/)
  })
})
