import {userInfo} from 'node:os'

import {checkPlainText} from './validation.js'

/** Who and where: the actor written to the audit trail and the platform's base domain. */
export interface Context {
  actor: string
  baseDomain: string
}

export const DEFAULT_BASE_DOMAIN = 'anthias.app'

export function resolveContext(options: {actor?: string} = {}, env: NodeJS.ProcessEnv = process.env): Context {
  let osUser = 'unknown'
  try {
    osUser = userInfo().username
  } catch {
    // no passwd entry (some containers)
  }
  return {
    actor: checkPlainText(options.actor || env.ANTHIAS_ACTOR || osUser, 'The actor', options.actor ? 'actor' : env.ANTHIAS_ACTOR ? 'ANTHIAS_ACTOR' : 'actor'),
    baseDomain: (env.ANTHIAS_BASE_DOMAIN || DEFAULT_BASE_DOMAIN).toLowerCase().replace(/\.$/, ''),
  }
}

export const accessUrl = (subdomain: string, baseDomain: string) => `https://${subdomain}.${baseDomain}`
