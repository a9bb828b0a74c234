#!/usr/bin/env node
// Writes command-snapshot.json from the built oclif.manifest.json (run through
// `npm run snapshot`): commit it with a change to a command or flag that is meant.
import {readFile, writeFile} from 'node:fs/promises'

import {COMMAND_RESULTS} from '../dist/command-results.js'
import {commandSnapshot} from '../dist/command-snapshot.js'

const manifest = JSON.parse(await readFile(new URL('../oclif.manifest.json', import.meta.url), 'utf8'))
const classes = Object.fromEntries(Object.entries(COMMAND_RESULTS).map(([id, {command}]) => [id, command]))
const snapshot = commandSnapshot(manifest, classes)
await writeFile(new URL('../command-snapshot.json', import.meta.url), JSON.stringify(snapshot, null, 2) + '\n')
process.stdout.write(`command-snapshot.json: ${Object.keys(snapshot).length} commands\n`)
