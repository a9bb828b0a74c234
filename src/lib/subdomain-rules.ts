/**
 * What makes a subdomain valid, without zod or any other dependency: `subdomain
 * check` and the lists judge a name with it and start up without loading the
 * schemas (src/lib/validation.ts builds subdomainSchema on it).
 */
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
