export type ConnectionSource = 'flag' | 'ANTHIAS_DATABASE_URL' | 'DATABASE_URL' | 'embedded'

export interface ConnectionTarget {
  source: ConnectionSource
  /** undefined for the embedded server, whose URL is known once it runs */
  url?: string
}

/** `--database-url` > `ANTHIAS_DATABASE_URL` > `DATABASE_URL` > the embedded server. */
export function resolveConnectionTarget(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ConnectionTarget {
  if (flag) return {source: 'flag', url: flag}
  if (env.ANTHIAS_DATABASE_URL) return {source: 'ANTHIAS_DATABASE_URL', url: env.ANTHIAS_DATABASE_URL}
  if (env.DATABASE_URL) return {source: 'DATABASE_URL', url: env.DATABASE_URL}
  return {source: 'embedded'}
}

/** The URL with its password replaced by `***`, safe for messages and logs. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@')
  }
}
