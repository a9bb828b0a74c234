import {readdir, readFile} from 'node:fs/promises'

import {describe, expect, it} from 'vitest'

import {COMMAND_RESULTS, commandJsonSchemas} from '../../src/command-results.js'
import {commandSnapshot} from '../../src/command-snapshot.js'

/** The committed contract files agree with the code: schemas/ with the zod schemas, command-snapshot.json with the built manifest. */
const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), 'utf8')
const manifest = JSON.parse(await read('oclif.manifest.json'))

describe('the committed contract files', () => {
  it('every command of the manifest has a result schema, and only those', () => {
    expect(Object.keys(COMMAND_RESULTS).sort()).toEqual(Object.keys(manifest.commands).sort())
  })

  it('schemas/ is what `npm run schemas` generates from src/lib/results.ts', async () => {
    const generated = commandJsonSchemas()
    const committed: Record<string, string> = {}
    for (const name of (await readdir(new URL('../../schemas/', import.meta.url))).sort()) committed[name] = await read(`schemas/${name}`)
    const stale = Object.keys({...generated, ...committed}).filter((name) => generated[name] !== committed[name]).sort()
    expect(stale, `schemas/ differs from the result schemas for ${stale.join(', ')}: run \`npm run schemas\` and commit schemas/ if the change is meant`).toEqual([])
  })

  it('command-snapshot.json is every command, argument and flag as built: a change needs `npm run snapshot`', async () => {
    const classes = Object.fromEntries(Object.entries(COMMAND_RESULTS).map(([id, {command}]) => [id, command]))
    const snapshot = commandSnapshot(manifest, classes)
    const committed = JSON.parse(await read('command-snapshot.json')) as Record<string, unknown>
    const changed = Object.keys({...snapshot, ...committed}).filter((id) => JSON.stringify(snapshot[id]) !== JSON.stringify(committed[id])).sort()
    expect(
      snapshot,
      `commands changed against command-snapshot.json: ${changed.join(', ')}. A flag or command changed: if it is meant, run \`npm run snapshot\` and commit command-snapshot.json (and note the change for scripts); if not, undo it`,
    ).toEqual(committed)
  })
})
