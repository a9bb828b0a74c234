import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {BIN} from '../helpers/cli.js'

// the machine's system Node, when it is older than the CLI needs
const OLD_NODE = '/usr/bin/node'
const oldMajor = existsSync(OLD_NODE)
  ? Number(execFileSync(OLD_NODE, ['-p', 'process.versions.node.split(".")[0]']).toString().trim())
  : undefined

describe('Node version', () => {
  it.skipIf(oldMajor === undefined || oldMajor >= 22)('on Node < 22 the CLI refuses at once with one line naming the version it needs', () => {
    const r = spawnSync(OLD_NODE, [BIN, 'tenant', 'list'], {encoding: 'utf8', env: {...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none'}})
    expect(r.status).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/needs Node\.js 22 or newer; this is Node\.js \d+\./)
  })
})
