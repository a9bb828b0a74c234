/**
 * Permission grammar, shared by API keys and member permissions:
 *
 *   PERMISSION := "*" | RESOURCE "." ACTION | RESOURCE ".*" | "*." ACTION
 *
 * RESOURCE and ACTION come from the catalog below; anything else is refused
 * with the valid names. Members may also hold the single word "admin".
 */
import {AppError} from './errors.js'
import {closest} from './suggest.js'

export const PERMISSION_CATALOG: Readonly<Record<string, readonly string[]>> = {
  assets: ['read', 'create', 'update', 'delete'],
  devices: ['read', 'create', 'update', 'delete'],
  qr_contents: ['read', 'create', 'update', 'delete'],
  users: ['read', 'invite', 'remove'],
  settings: ['read', 'update'],
  analytics: ['read'],
}

const RESOURCES = Object.keys(PERMISSION_CATALOG)
const ACTIONS = [...new Set(Object.values(PERMISSION_CATALOG).flat())]

function unknown(kind: 'resource' | 'action', value: string, permission: string, valid: readonly string[], field: string): AppError {
  const guess = closest(value, valid)
  return new AppError('PERMISSION_UNKNOWN', `Unknown ${kind} "${value}" in permission "${permission}"${guess ? `; did you mean "${guess}"?` : '.'} Valid ${kind}s: ${valid.join(', ')}.`, {
    field,
    suggestions: guess ? [guess] : [...valid],
  })
}

/** The permission, normalised (lowercase), or PERMISSION_INVALID / PERMISSION_UNKNOWN naming the valid ones. */
export function parsePermission(input: string, field = 'permission', extra: readonly string[] = []): string {
  const text = input.trim().toLowerCase()
  if (text === '*' || extra.includes(text)) return text
  const match = /^([a-z_*]+)\.([a-z_*]+)$/.exec(text)
  if (!match) {
    throw new AppError('PERMISSION_INVALID', `Permission "${input}" is not RESOURCE.ACTION (e.g. assets.read, devices.*, *)`, {
      field,
      suggestions: ['assets.*', 'devices.read', '*'],
    })
  }
  const [, resource, action] = match as unknown as [string, string, string]
  if (resource !== '*' && !PERMISSION_CATALOG[resource]) throw unknown('resource', resource, input, RESOURCES, field)
  if (action !== '*') {
    const valid = resource === '*' ? ACTIONS : PERMISSION_CATALOG[resource]!
    if (!valid.includes(action)) throw unknown('action', action, input, valid, field)
  }
  return `${resource}.${action}`
}
