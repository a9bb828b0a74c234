/**
 * Chooses the PostgreSQL server for the whole run: ANTHIAS_TEST_CITUS_URL (a
 * Citus coordinator with its workers registered, as .ci/citus-cluster starts
 * one), else ANTHIAS_TEST_DATABASE_URL (a URL whose user may create
 * databases), else an embedded server started here in a temporary directory
 * and stopped at the end.
 *
 * On one server it then migrates one template database for the run, named
 * for the run (other runs may share the server), which createTestDatabase
 * copies with CREATE DATABASE ... TEMPLATE, and drops it at the end. A Citus
 * database cannot be copied that way (its shards live on the workers), so on
 * Citus each test database is made and migrated on its own (see db.ts).
 */
import {randomBytes} from 'node:crypto'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import postgres from 'postgres'
import type {TestProject} from 'vitest/node'

import {EmbeddedServer} from '../../src/lib/db/embedded.js'
import {migrate} from '../../src/lib/db/migrations.js'
import {withDatabase} from './urls.js'

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string
    serverLabel: string
    /** the migrated database every test database is a copy of; empty on Citus */
    templateDatabase: string
    /** the admin URL is a Citus coordinator */
    citus: boolean
  }
}

/** Migrate a new database `name` and close every connection to it (a template must have none). */
async function migrateTemplate(adminUrl: string, name: string): Promise<void> {
  const admin = postgres(adminUrl, {max: 1, onnotice: () => undefined})
  try {
    await admin.unsafe(`create database ${name}`)
  } finally {
    await admin.end()
  }
  const sql = postgres(withDatabase(adminUrl, name), {max: 1, onnotice: () => undefined})
  try {
    await migrate(sql)
  } finally {
    await sql.end()
  }
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = postgres(adminUrl, {max: 1, onnotice: () => undefined})
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`)
  } finally {
    await admin.end()
  }
}

export default async function setup(project: TestProject) {
  const citus = process.env.ANTHIAS_TEST_CITUS_URL
  project.provide('citus', Boolean(citus))
  if (citus) {
    project.provide('adminUrl', citus)
    project.provide('serverLabel', 'ANTHIAS_TEST_CITUS_URL')
    project.provide('templateDatabase', '')
    return
  }
  const given = process.env.ANTHIAS_TEST_DATABASE_URL
  let adminUrl: string
  let stopServer = async () => undefined
  if (given) {
    adminUrl = given
    project.provide('serverLabel', 'ANTHIAS_TEST_DATABASE_URL')
  } else {
    const dir = await mkdtemp(join(tmpdir(), 'anthias-test-'))
    const server = new EmbeddedServer(dir)
    adminUrl = (await server.start()).replace(/\/anthias$/, '/postgres')
    project.provide('serverLabel', 'embedded')
    stopServer = async () => {
      await server.stop()
      await rm(dir, {recursive: true, force: true})
    }
  }
  project.provide('adminUrl', adminUrl)
  const template = `anthias_template_${process.pid}_${randomBytes(4).toString('hex')}`
  try {
    await migrateTemplate(adminUrl, template)
  } catch (error) {
    await dropDatabase(adminUrl, template).catch(() => undefined)
    await stopServer()
    throw error
  }
  project.provide('templateDatabase', template)
  return async () => {
    await dropDatabase(adminUrl, template)
    await stopServer()
  }
}
