/**
 * Chooses the PostgreSQL server for the whole run: ANTHIAS_TEST_DATABASE_URL
 * (a URL whose user may create databases), else an embedded server started
 * here in a temporary directory and stopped at the end.
 */
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {TestProject} from 'vitest/node'

import {EmbeddedServer} from '../../src/lib/db/embedded.js'

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string
    serverLabel: string
  }
}

export default async function setup(project: TestProject) {
  const given = process.env.ANTHIAS_TEST_DATABASE_URL
  if (given) {
    project.provide('adminUrl', given)
    project.provide('serverLabel', 'ANTHIAS_TEST_DATABASE_URL')
    return
  }
  const dir = await mkdtemp(join(tmpdir(), 'anthias-test-'))
  const server = new EmbeddedServer(dir)
  const url = await server.start()
  project.provide('adminUrl', url.replace(/\/anthias$/, '/postgres'))
  project.provide('serverLabel', 'embedded')
  return async () => {
    await server.stop()
    await rm(dir, {recursive: true, force: true})
  }
}
