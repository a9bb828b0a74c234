import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {ERROR_CATALOGUE} from '../../src/lib/error-catalogue.js'
import {AppError, conflict, notFound, ValidationErrors} from '../../src/lib/errors.js'

const SRC = new URL('../../src/', import.meta.url).pathname

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {withFileTypes: true})
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [])))
  return nested.flat()
}

// That every code raised is in the catalogue is the compiler's job: AppError takes an ErrorCode.
describe('the error catalogue', () => {
  it('holds no code that nothing raises', async () => {
    const files = (await sources(SRC)).filter((f) => !f.endsWith('error-catalogue.ts'))
    const text = (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join('\n')
    const unused = Object.keys(ERROR_CATALOGUE).filter((code) => !text.includes(`'${code}'`))
    expect(unused).toEqual([])
  })

  it('gives an error its kind, a message from its template, and keeps a per-case kind', () => {
    expect(new AppError('TENANT_NOT_FOUND', 'x')).toMatchObject({code: 'TENANT_NOT_FOUND', kind: 'notFound'})
    expect(new AppError('INTERRUPTED')).toMatchObject({kind: 'interrupted', message: 'Interrupted; nothing was written.', suggestions: []})
    expect(new AppError('TENANT_ID_INVALID', 'x').suggestions).toEqual([{command: 'tenant.list', text: 'List tenants with `{command}`.'}])
    expect(new AppError('TENANT_ID_INVALID', 'x', {suggestions: []}).suggestions).toEqual([])
    expect(new AppError('SUBDOMAIN_UNAVAILABLE', 'x', {kind: 'invalid'}).kind).toBe('invalid')
    expect(notFound('PLAN_NOT_FOUND', 'x').kind).toBe('notFound')
    expect(conflict('SUBDOMAIN_TAKEN', 'x').kind).toBe('conflict')
    // @ts-expect-error: a code that is not in the catalogue does not compile
    expect(new AppError('NO_SUCH_CODE', 'x').kind).toBe('failed')
    // @ts-expect-error: notFound() takes only codes whose kind is notFound
    notFound('SUBDOMAIN_TAKEN', 'x')
  })

  it('a set of input problems is invalid if any one is, else of the kind of the first', () => {
    expect(new ValidationErrors([new AppError('QUOTA_EXCEEDED', 'a'), new AppError('NAME_INVALID', 'b')]).kind).toBe('invalid')
    expect(new ValidationErrors([new AppError('QUOTA_EXCEEDED', 'a'), new AppError('FEATURE_IN_USE', 'b')]).kind).toBe('conflict')
  })

  it('JSON: actions rendered into suggestions, and kept as data', () => {
    const e = new AppError('TENANT_NOT_FOUND', 'gone', {suggestions: ['plain', {command: 'tenant.list', text: 'List with `{command}`.'}]})
    expect(e.toEnvelope((a) => `run ${a.command}`)).toEqual({
      code: 'TENANT_NOT_FOUND',
      message: 'gone',
      suggestions: ['plain', 'run tenant.list'],
      actions: [{command: 'tenant.list', text: 'List with `{command}`.'}],
    })
    expect(JSON.parse(JSON.stringify(e)).suggestions).toEqual(['plain', 'List with `tenant.list`.'])
  })
})
