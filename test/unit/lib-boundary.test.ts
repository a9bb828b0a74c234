import {ESLint} from 'eslint'
import {describe, expect, it} from 'vitest'

const eslint = new ESLint()
const problems = async (code: string, filePath = 'src/lib/probe.ts') =>
  (await eslint.lintText(code, {filePath}))[0]!.messages.map((m) => `${m.line}:${m.ruleId}`)

describe('src/lib speaks to no terminal (eslint.config.js)', () => {
  it('refuses terminal libraries, the CLI layer and the process streams in src/lib', async () => {
    const code = [
      "import chalk from 'chalk'",
      "import {Flags} from '@oclif/core'",
      "import {confirm} from '@inquirer/prompts'",
      "import Table from 'cli-table3'",
      "import {Listr} from 'listr2'",
      "import {symbols} from '../ui/format.js'",
      "import {askPlan} from '../prompts/create-tenant.js'",
      'const {stdout} = process',
      'process.stderr.write(String(process.stdin))',
      "export const later = () => import('chalk')",
      'export const used = [chalk, Flags, confirm, Table, Listr, symbols, askPlan, stdout]',
    ].join('\n')
    expect(await problems(code)).toEqual([
      '1:@typescript-eslint/no-restricted-imports',
      '2:@typescript-eslint/no-restricted-imports',
      '3:@typescript-eslint/no-restricted-imports',
      '4:@typescript-eslint/no-restricted-imports',
      '5:@typescript-eslint/no-restricted-imports',
      '6:@typescript-eslint/no-restricted-imports',
      '7:@typescript-eslint/no-restricted-imports',
      '8:no-restricted-properties',
      '9:no-restricted-properties',
      '9:no-restricted-properties',
      '10:no-restricted-syntax',
    ])
  })

  it('keeps the HTTP layer out of src/lib, and the CLI layer out of src/server', async () => {
    expect(await problems("import Fastify from 'fastify'\nimport {buildServer} from '../server/app.js'\nexport const used = [Fastify, buildServer]")).toEqual([
      '1:@typescript-eslint/no-restricted-imports',
      '2:@typescript-eslint/no-restricted-imports',
    ])
    expect(await problems("import {symbols} from '../ui/format.js'\nimport {createTenant} from '../lib/tenants.js'\nexport const used = [symbols, createTenant]", 'src/server/probe.ts')).toEqual([
      '1:@typescript-eslint/no-restricted-imports',
    ])
  })

  it('allows them outside src/lib, and allows src/lib its own modules and streams it is given', async () => {
    expect(await problems("import chalk from 'chalk'\nexport const out = [chalk, process.stdout]", 'src/ui/probe.ts')).toEqual([])
    expect(await problems("import {Readable} from 'node:stream'\nimport {AppError} from './errors.js'\nexport const ok = [Readable, AppError, process.env]")).toEqual([])
  })
})
