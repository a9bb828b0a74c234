/**
 * Actions (src/lib/errors.ts) as command lines the user can run: the one
 * renderer of every hint the CLI prints. The program is named the way that
 * works from here: `anthias` when that name on PATH is this program, else the
 * path it was run by (`./bin/run.js` after the quick start).
 */
import {accessSync, constants, realpathSync} from 'node:fs'
import {delimiter, isAbsolute, join, relative} from 'node:path'

import type {Config} from '@oclif/core'

import type {Action} from '../lib/errors.js'

const realpath = (path: string) => {
  try {
    return realpathSync(path)
  } catch {
    return undefined
  }
}

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** A word as the shell reads it: bare when safe, else in single quotes. */
export const shellWord = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`)

/**
 * How to run this program again: `bin` if a `bin` on PATH is this script,
 * else the script's path, relative (`./bin/run.js`) when under the working
 * directory.
 */
export function invocation(bin: string, script = process.argv[1], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (!script) return bin
  const self = realpath(script)
  const onPath = (env.PATH ?? '').split(delimiter).some((dir) => dir && isAbsolute(dir) && realpath(join(dir, bin)) === self && executable(join(dir, bin)))
  if (onPath) return bin
  const rel = relative(cwd, script)
  return shellWord(rel && !rel.startsWith('..') && !isAbsolute(rel) ? `./${rel}` : script)
}

const kebab = (name: string) => name.replaceAll(/([a-z0-9])([A-Z])/g, '$1-$2').replaceAll('_', '-').toLowerCase()

/**
 * `action` as a command line: its arguments in the command's order (null as
 * the argument's name, EMAIL), then its flags (`--max-users 2`, `--force`; null
 * as the flag's help value, `--as SUBDOMAIN`, else its name, `--role ROLE`).
 */
export function commandLine(action: Action, config: Pick<Config, 'bin' | 'findCommand'>, program = invocation(config.bin)): string {
  const id = action.command.replaceAll('.', ':')
  const command = id ? config.findCommand(id) : undefined
  const positional = Object.keys(command?.args ?? {})
  const placeholder = (name: string) => {
    const help = (command?.flags?.[name] as {helpValue?: unknown} | undefined)?.helpValue
    return typeof help === 'string' ? help : name.toUpperCase().replaceAll('-', '_')
  }
  const given = new Map(Object.entries(action.args ?? {}).map(([name, value]) => [kebab(name), value]))
  const words = [program, ...(id ? id.split(':') : [])]
  for (const arg of positional) {
    if (!given.has(arg)) break
    const value = given.get(arg)
    words.push(value === null ? arg.toUpperCase() : shellWord(String(value)))
    given.delete(arg)
  }
  for (const [name, value] of given) {
    if (value === false) continue
    words.push(`--${name}`)
    if (value !== true) words.push(value === null ? placeholder(name) : shellWord(String(value)))
  }
  const line = words.join(' ')
  return action.text ? action.text.replace('{command}', line) : line
}
