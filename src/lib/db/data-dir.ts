/**
 * Where the embedded server's data lives. Apart from embedded.ts so that a command
 * given a server URL resolves it without loading the embedded server's code.
 */

/** Where root keeps the data (PostgreSQL runs as `postgres`, which cannot enter /root). */
export const ROOT_DATA_DIR = '/var/lib/anthias'

export const isRoot = () => process.getuid?.() === 0

/** The default data directory: ANTHIAS_DATA_DIR, else /var/lib/anthias for root, else the CLI's data dir. */
export function resolveDataDir(defaultDir: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.ANTHIAS_DATA_DIR) return env.ANTHIAS_DATA_DIR
  return isRoot() ? ROOT_DATA_DIR : defaultDir
}
