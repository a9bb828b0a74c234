import {readFile} from 'node:fs/promises'

import {describe, expect, it} from 'vitest'

import {EXIT_CODE, EXIT_CODES, EXIT_CODES_HELP, exitCodesTable} from '../../src/exit-codes.js'
import {ERROR_CATALOGUE} from '../../src/lib/error-catalogue.js'

describe('exit codes', () => {
  it("the README's table is the one the CLI's list writes", async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8')
    const section = readme.slice(readme.indexOf('### Exit codes'), readme.indexOf('\n### ', readme.indexOf('### Exit codes') + 1))
    const table = section.split('\n').filter((l) => l.startsWith('|'))
    expect(table.join('\n')).toBe(exitCodesTable())
  })

  it('--help lists every code, one a line, in order', () => {
    const lines = EXIT_CODES_HELP.split('\n')
    expect(lines[0]).toBe('EXIT CODES')
    expect(lines.slice(1).map((l) => Number(l.trim().split(/\s+/)[0]))).toEqual([0, 1, 2, 3, 4, 5, 10, 68, 130])
    expect(lines.find((l) => l.startsWith('  2 '))).toContain('unknown command')
  })

  it("every catalogue entry's kind has its exit code, today's codes", () => {
    const api = {unauthorized: 1, forbidden: 1, preconditionFailed: 1, preconditionRequired: 1, unprocessable: 1, rateLimited: 1}
    expect(EXIT_CODE).toEqual({ok: 0, failed: 1, invalid: 2, notFound: 3, conflict: 4, unavailable: 5, breaches: 10, partial: 68, interrupted: 130, ...api})
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) expect(EXIT_CODE[entry.kind], code).toBeGreaterThan(0)
    expect(new Set(EXIT_CODES.map((e) => e.code)).size).toBe(EXIT_CODES.length)
  })
})
