import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {parseSince} from '../../src/lib/audit.js'
import {fileInput} from '../../src/inputs.js'
import {configSource, csvSource, type SourceRow} from '../../src/lib/bulk/sources.js'
import {AppError} from '../../src/lib/errors.js'
import {escapeControls, escapeJsonControls} from '../../src/lib/text.js'
import {apiKeySchema} from '../../src/lib/api-keys.js'
import {channelSchema} from '../../src/lib/monitoring.js'
import {resolveContext} from '../../src/lib/context.js'
import {mergeSettings, settingsFromAssignments, settingsSchema, tenantNameSchema} from '../../src/lib/validation.js'

const dir = await mkdtemp(join(tmpdir(), 'anthias-input-'))
const file = async (name: string, text: string) => {
  const path = join(dir, name)
  await writeFile(path, text)
  return path
}

async function readAll(source: ReturnType<typeof csvSource>): Promise<SourceRow[]> {
  const rows: SourceRow[] = []
  for await (const batch of source.batches()) rows.push(...batch)
  return rows
}

const codes = (error: unknown) => ((error as {errors?: AppError[]}).errors ?? [error as AppError]).map((e) => e.code)

const pristine = () => {
  const probe = {} as Record<string, unknown>
  return {plan: probe.plan, x: probe.x, polluted: Object.keys(Object.prototype)}
}

describe('settings keys that would reach a prototype', () => {
  it('a CSV header settings.__proto__.plan is refused and Object.prototype stays clean', async () => {
    const path = await file('proto.csv', 'name,subdomain,settings.__proto__.plan\nAcme,acme-co,enterprise\nBeta,beta-co,\n')
    const error = await readAll(csvSource(await fileInput(path, 'file'))).catch((e: unknown) => e)
    expect(codes(error)).toEqual(['SETTING_KEY_FORBIDDEN'])
    expect((error as AppError).line).toBe(1)
    expect((error as AppError).field).toBe('settings.__proto__.plan')
    expect(pristine()).toEqual({plan: undefined, x: undefined, polluted: []})
  })

  it('settings.constructor.prototype.x in a CSV header is refused too', async () => {
    const path = await file('ctor.csv', 'name,subdomain,settings.constructor.prototype.x\nAcme,acme-co,1\n')
    expect(codes(await readAll(csvSource(await fileInput(path, 'file'))).catch((e: unknown) => e))).toEqual(['SETTING_KEY_FORBIDDEN'])
    expect(pristine()).toEqual({plan: undefined, x: undefined, polluted: []})
  })

  it('--setting __proto__.plan=x and constructor.x=1 are refused, not dropped', () => {
    for (const assignment of ['__proto__.plan=enterprise', 'constructor.x=1', 'a.prototype=1']) {
      expect(() => settingsFromAssignments([assignment])).toThrow(expect.objectContaining({code: 'SETTING_KEY_FORBIDDEN', field: 'setting'}))
    }
    expect(pristine()).toEqual({plan: undefined, x: undefined, polluted: []})
  })

  it('settings read as JSON with a __proto__ or constructor key are refused at any depth', () => {
    for (const json of ['{"__proto__": {"plan": "enterprise"}}', '{"a": {"b": {"constructor": {"prototype": {"x": 1}}}}}', '{"list": [{"__proto__": 1}]}']) {
      const result = settingsSchema.safeParse(JSON.parse(json))
      expect(result.error?.issues[0]).toMatchObject({params: {code: 'SETTING_KEY_FORBIDDEN'}})
    }
    expect(mergeSettings({}, JSON.parse('{"toString": {"x": 1}}'))).toEqual({toString: {x: 1}})
    expect(pristine()).toEqual({plan: undefined, x: undefined, polluted: []})
  })

  it('a JSON config with tenant.constructor is refused like any unknown key', async () => {
    const path = await file('config.json', JSON.stringify([{tenant: {name: 'Acme', subdomain: 'acme-co', constructor: 'x', toString: 'y'}}]))
    const rows: SourceRow[] = []
    for await (const batch of configSource(await fileInput(path, 'file')).batches()) rows.push(...batch)
    expect(rows[0]!.errors.map((e) => [e.code, e.field])).toEqual([['CONFIG_UNKNOWN_KEY', '[0].tenant.constructor'], ['CONFIG_UNKNOWN_KEY', '[0].tenant.toString']])
  })
})

describe('settings limits', () => {
  it('a CSV header with settings.a and settings.a.b is a header error naming the column', async () => {
    const path = await file('conflict.csv', 'name,subdomain,settings.a,settings.a.b\nAcme,acme-co,1,2\n')
    const error = await readAll(csvSource(await fileInput(path, 'file'))).catch((e: unknown) => e)
    expect(codes(error)).toEqual(['SETTING_PATH_CONFLICT'])
    expect(error).toMatchObject({line: 1, field: 'settings.a.b'})
  })

  it('--setting a=1 --setting a.b=2 conflict, in either order', () => {
    expect(() => settingsFromAssignments(['a=1', 'a.b=2'])).toThrow(expect.objectContaining({code: 'SETTING_PATH_CONFLICT'}))
    expect(() => settingsFromAssignments(['a.b=2', 'a=1'])).toThrow(expect.objectContaining({code: 'SETTING_PATH_CONFLICT'}))
    expect(settingsFromAssignments(['a.b=2', 'a.c=3', 'ab=1'])).toEqual({a: {b: 2, c: 3}, ab: 1})
  })

  it('20,000 levels, 64 KiB and NUL: each its own code, without overflowing the stack', () => {
    const deep = JSON.parse('['.repeat(20_000) + ']'.repeat(20_000)) as unknown
    expect(settingsSchema.safeParse({a: deep}).error?.issues[0]).toMatchObject({params: {code: 'SETTINGS_TOO_DEEP'}, path: ['a']})
    const nested = JSON.parse('{"a":'.repeat(32) + '1' + '}'.repeat(32)) as Record<string, unknown>
    expect(settingsSchema.safeParse(nested).success).toBe(true)
    expect(settingsSchema.safeParse({a: nested}).error?.issues[0]).toMatchObject({params: {code: 'SETTINGS_TOO_DEEP'}})
    expect(settingsSchema.safeParse({big: 'x'.repeat(64 * 1024)}).error?.issues[0]).toMatchObject({params: {code: 'SETTINGS_TOO_LARGE'}})
    expect(settingsSchema.safeParse({a: {b: 'x\u0000y'}}).error?.issues[0]).toMatchObject({params: {code: 'SETTING_NUL'}, path: ['a', 'b']})
    expect(settingsSchema.safeParse({'k\u0000': 1}).error?.issues[0]).toMatchObject({params: {code: 'SETTING_NUL'}})
    expect(() => settingsFromAssignments([`a=${'['.repeat(20_000)}${']'.repeat(20_000)}`])).toThrow(expect.objectContaining({code: 'SETTINGS_TOO_DEEP'}))
  })

  it('--since spans are bounded to 100 years', () => {
    expect(() => parseSince('99999999999d')).toThrow(expect.objectContaining({code: 'TIME_INVALID', field: 'since'}))
    expect(() => parseSince('yesterday-ish')).toThrow(expect.objectContaining({code: 'TIME_INVALID'}))
    expect(parseSince('36500d').getTime()).toBeLessThan(Date.now())
  })
})

describe('control characters in names', () => {
  const bad = ['Acme\u001b[2J', 'Acme\u0007', 'Acme\u009b31m', 'Acme\u202eoC', 'Acme\u2066x', 'Acme\tCo', 'Acme\nCo', 'Acme\u007f']

  it('every name-like input refuses C0, DEL, C1 and bidi controls with TEXT_CONTROL_CHARACTER', () => {
    for (const text of bad) {
      if (!/\s/.test(text)) expect(tenantNameSchema.safeParse(text).error?.issues[0], text).toMatchObject({params: {code: 'TEXT_CONTROL_CHARACTER'}})
      expect(apiKeySchema.shape.name.safeParse(text).error?.issues[0], text).toMatchObject({params: {code: 'TEXT_CONTROL_CHARACTER'}})
      expect(channelSchema.safeParse(`webhook:https://hooks.example.com/${text}`).error?.issues[0], text).toMatchObject({params: {code: 'TEXT_CONTROL_CHARACTER'}})
      expect(() => resolveContext({actor: text}, {})).toThrow(expect.objectContaining({code: 'TEXT_CONTROL_CHARACTER', field: 'actor'}))
    }
    expect(tenantNameSchema.parse('  שלום\u200f Co  ')).toBe('שלום\u200f Co')
    // white space in a tenant name, line breaks of a quoted CSV cell included, becomes one space
    expect(tenantNameSchema.parse('Multi\r\n\tLine Co')).toBe('Multi Line Co')
  })

  it('shows control characters escaped on output', () => {
    expect(escapeControls('a\u001b[2Jb\u0007\u009b\u202e')).toBe('a\\x1B[2Jb\\x07\\x9B\\u202E')
    expect(escapeControls('plain café')).toBe('plain café')
    const json = escapeJsonControls(JSON.stringify({name: 'a\u001b\u007f\u009b\u202e\u2066'}))
    expect(json).toBe('{"name":"a\\u001b\\u007f\\u009b\\u202e\\u2066"}')
    expect(JSON.parse(json)).toEqual({name: 'a\u001b\u007f\u009b\u202e\u2066'})
  })
})
