import type {Sql} from 'postgres'

import {judgeSubdomain} from './subdomain-rules.js'

export type SubdomainStatus = 'available' | 'taken' | 'reserved' | 'invalid'

export interface SubdomainCheck {
  subdomain: string
  status: SubdomainStatus
  available: boolean
  reason: string
  /** for a taken subdomain: the tenant that has it */
  tenant?: {id: string; name: string}
  suggestions: string[]
}

/** Availability with the reason; for a taken name, free alternatives. */
export async function checkSubdomain(sql: Sql, input: string): Promise<SubdomainCheck> {
  const verdict = judgeSubdomain(input)
  if (!verdict.ok) {
    const suggestions = await suggestSubdomains(sql, input).catch(() => [])
    return {
      subdomain: verdict.subdomain,
      status: verdict.code === 'SUBDOMAIN_RESERVED' ? 'reserved' : 'invalid',
      available: false,
      reason: verdict.code === 'SUBDOMAIN_RESERVED' ? verdict.reason : `Subdomain ${verdict.reason}`,
      suggestions,
    }
  }
  const [tenant] = await sql<{id: string; name: string}[]>`
    select id, name from tenants where lower(subdomain) = ${verdict.subdomain}`
  if (tenant) {
    return {
      subdomain: verdict.subdomain,
      status: 'taken',
      available: false,
      reason: `"${verdict.subdomain}" is already used by tenant "${tenant.name}"`,
      tenant,
      suggestions: await suggestSubdomains(sql, verdict.subdomain),
    }
  }
  return {subdomain: verdict.subdomain, status: 'available', available: true, reason: `"${verdict.subdomain}" is available`, suggestions: []}
}

/** A custom domain a new tenant could take: a valid public hostname (judgeCustomDomain) that no tenant has; else why not. */
export async function checkCustomDomain(sql: Sql, input: string, baseDomain: string): Promise<{available: true; domain: string} | {available: false; reason: string}> {
  const {judgeCustomDomain} = await import('./validation.js')
  const verdict = judgeCustomDomain(input, baseDomain)
  if (!verdict.ok) return {available: false, reason: `Custom domain ${verdict.reason}`}
  const [taken] = await sql`select 1 from tenants where lower(custom_domain) = ${verdict.domain}`
  return taken ? {available: false, reason: `${verdict.domain} is already used by another tenant`} : {available: true, domain: verdict.domain}
}

const SUFFIXES = ['hq', 'app', 'signage', 'team', 'online', 'io', 'digital', 'group']

/**
 * Valid, non-reserved names derived from free text, best first (not yet checked
 * against the database). slugify is loaded here, not at start-up: building its
 * transliteration tables costs more than a whole `subdomain check` of a free name.
 */
export async function subdomainCandidates(text: string): Promise<string[]> {
  const {default: slugify} = await import('@sindresorhus/slugify')
  const slug = slugify(text, {lowercase: true, decamelize: false}).slice(0, 63).replace(/-+$/, '')
  const words = slug.split('-').filter(Boolean)
  const joined = words.join('')
  const initials = words.length > 1 ? words.map((w) => w[0]).join('') : ''
  const bases = [...new Set([slug, joined, words[0] ?? '', initials].filter(Boolean))]
  const candidates: string[] = []
  const push = (name: string) => {
    const trimmed = name.slice(0, 63).replace(/-+$/, '')
    if (judgeSubdomain(trimmed).ok && !candidates.includes(trimmed)) candidates.push(trimmed)
  }
  for (const base of bases) push(base)
  for (const suffix of SUFFIXES) for (const base of bases.slice(0, 2)) push(`${base.slice(0, 62 - suffix.length)}-${suffix}`)
  for (let n = 2; n <= 20; n++) push(`${(bases[0] ?? 'tenant').slice(0, 60)}-${n}`)
  if (candidates.length === 0) for (let n = 1; n <= 10; n++) push(`tenant-${n}`)
  return candidates
}

/** At least `count` free subdomains derived from the text, checked against the database in one query. */
export async function suggestSubdomains(sql: Sql, text: string, count = 5): Promise<string[]> {
  const candidates = await subdomainCandidates(text)
  const taken = new Set(
    (await sql<{subdomain: string}[]>`
      select lower(subdomain) as subdomain from tenants where lower(subdomain) = any(${candidates}::text[])`).map((r) => r.subdomain),
  )
  return candidates.filter((c) => !taken.has(c)).slice(0, count)
}
