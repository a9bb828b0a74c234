#!/usr/bin/env node
// Writes schemas/<topic>-<command>.json, each command's --json document as a
// JSON Schema, from the zod schemas in src/lib/results.ts (built: run through
// `npm run schemas`). test/e2e/schemas.test.ts fails when these files differ
// from what the schemas generate.
import {mkdir, readdir, rm, writeFile} from 'node:fs/promises'

import {commandJsonSchemas} from '../dist/command-results.js'

const dir = new URL('../schemas/', import.meta.url)
await mkdir(dir, {recursive: true})
const files = commandJsonSchemas()
for (const name of await readdir(dir)) if (!(name in files)) await rm(new URL(name, dir))
for (const [name, text] of Object.entries(files)) await writeFile(new URL(name, dir), text)
process.stdout.write(`${Object.keys(files).length} schemas written to schemas/\n`)
