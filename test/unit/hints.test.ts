import {chmod, mkdtemp, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {Config} from '@oclif/core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {commandLine, invocation} from '../../src/ui/hints.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SCRIPT = join(ROOT, 'bin', 'run.js')

describe('hints as command lines', () => {
  let dir: string
  let config: Config

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anthias-hints-'))
    config = await Config.load(ROOT)
  })
  afterAll(async () => {
    if (dir) await rm(dir, {recursive: true, force: true})
  })

  it('names the program anthias when that anthias on PATH is this program', async () => {
    const bin = join(dir, 'installed')
    await (await import('node:fs/promises')).mkdir(bin)
    await symlink(SCRIPT, join(bin, 'anthias'))
    expect(invocation('anthias', SCRIPT, {PATH: `/nonexistent:${bin}`}, ROOT)).toBe('anthias')
  })

  it('else the way it was run: ./bin/run.js from the clone, its path from elsewhere', async () => {
    expect(invocation('anthias', SCRIPT, {PATH: '/usr/bin'}, ROOT)).toBe('./bin/run.js')
    expect(invocation('anthias', SCRIPT, {PATH: '/usr/bin'}, dir)).toBe(SCRIPT)
    // another program called anthias on PATH is not this one
    const other = join(dir, 'other')
    await (await import('node:fs/promises')).mkdir(other)
    await writeFile(join(other, 'anthias'), '#!/bin/sh\n')
    await chmod(join(other, 'anthias'), 0o755)
    expect(invocation('anthias', SCRIPT, {PATH: other}, ROOT)).toBe('./bin/run.js')
  })

  it("renders an action's arguments in the command's order, then its flags", () => {
    expect(commandLine({command: 'tenant.update', args: {tenant: 'full-house', maxUsers: 2}, text: 'Raise the limit: {command}'}, config, 'anthias'))
      .toBe('Raise the limit: anthias tenant update full-house --max-users 2')
    expect(commandLine({command: 'user.remove', args: {tenant: 'full-house', email: null}, text: 'Or remove a member: {command}'}, config, 'anthias'))
      .toBe('Or remove a member: anthias user remove full-house EMAIL')
    expect(commandLine({command: 'user.invite', args: {tenant: 'acme', email: null, role: 'owner'}}, config, './bin/run.js')).toBe('./bin/run.js user invite acme EMAIL --role owner')
    expect(commandLine({command: 'tenant.migrate', args: {all: true, onlyFailed: true, setupRls: false}}, config, 'anthias')).toBe('anthias tenant migrate --all --only-failed')
    expect(commandLine({command: 'tenant.create', args: {name: 'Acme Corp', subdomain: 'acme-corp', plan: 'professional'}}, config, 'anthias'))
      .toBe("anthias tenant create 'Acme Corp' acme-corp --plan professional")
    expect(commandLine({command: '', args: {help: true}, text: 'Run "{command}".'}, config, 'anthias')).toBe('Run "anthias --help".')
  })
})
