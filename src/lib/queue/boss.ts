/**
 * The job queue: pg-boss in the same database, in its own schema (pgboss).
 * pg-boss connects with its own small pool (the `pg` driver) to the server
 * and database the CLI's postgres.js pool uses; our tables stay on postgres.js.
 *
 * Queues:
 * - PROVISION_QUEUE: one job per batch of a queued run's rows, {runId, batch};
 *   the rows themselves (and their state) are in provisioning_run_rows.
 * - DELIVER_QUEUE: one job per notification_outbox row, {id}.
 * - MONITOR_QUEUE: the scheduled `monitor check --all` (one schedule for the cluster).
 */
import {dirname} from 'node:path'

import type {PgBoss, Queue} from 'pg-boss'
import type {Sql} from 'postgres'

export const BOSS_SCHEMA = 'pgboss'
export const PROVISION_QUEUE = 'anthias-provision'
export const DELIVER_QUEUE = 'anthias-deliver'
export const MONITOR_QUEUE = 'anthias-monitor'

/** A worker that stops sending heartbeats (killed, frozen) loses its jobs to another worker after this. */
const HEARTBEAT_SECONDS = 10

const QUEUES: Record<string, Omit<Queue, 'name'>> = {
  [PROVISION_QUEUE]: {
    policy: 'standard',
    heartbeatSeconds: HEARTBEAT_SECONDS,
    // a batch that waits for its --rate slot may take long; heartbeats, not expiry, find dead workers
    expireInSeconds: 3600,
    retryLimit: 20,
    retryDelay: 1,
    retryBackoff: true,
    retryDelayMax: 60,
    retentionSeconds: 14 * 86_400,
    deleteAfterSeconds: 7 * 86_400,
  },
  [DELIVER_QUEUE]: {
    policy: 'standard',
    heartbeatSeconds: HEARTBEAT_SECONDS,
    expireInSeconds: 120,
    // about a day of exponential backoff, at most 10 minutes apart
    retryLimit: 150,
    retryDelay: 2,
    retryBackoff: true,
    retryDelayMax: 600,
    retentionSeconds: 14 * 86_400,
    deleteAfterSeconds: 7 * 86_400,
  },
  // one check at a time in the cluster; a check that comes due while one runs waits
  [MONITOR_QUEUE]: {policy: 'singleton', heartbeatSeconds: HEARTBEAT_SECONDS, expireInSeconds: 900, retryLimit: 0},
}

interface PostgresOptions {
  host: string[]
  port: number[]
  path?: string | false
  database: string
  user: string
  pass?: unknown
  ssl?: unknown
}

/** postgres.js's ssl option as node-postgres takes it. */
function pgSsl(ssl: unknown): unknown {
  if (!ssl) return undefined
  if (ssl === 'verify-full' || ssl === true) return true
  if (typeof ssl === 'string') return {rejectUnauthorized: false}
  return ssl
}

export interface BossOptions {
  /** connections in pg-boss's pool */
  max?: number
  /** run the maintenance (expiry, heartbeats, retention) and the scheduler: workers do, enqueuing commands do not */
  worker?: boolean
  env?: NodeJS.ProcessEnv
  /** pg-boss's background errors (a lost connection while polling; it retries) */
  onError?: (error: Error) => void
}

/** pg-boss on the database `sql` is connected to, started, its queues created. */
export async function openBoss(sql: Sql, options: BossOptions = {}): Promise<PgBoss> {
  const {PgBoss} = await import('pg-boss')
  const o = sql.options as unknown as PostgresOptions
  const env = options.env ?? process.env
  // how often a worker looks for dead workers' jobs and due schedules (seconds; lower in tests)
  const supervise = Number(env.ANTHIAS_QUEUE_SUPERVISE_SECONDS) || 10
  const boss = new PgBoss({
    host: o.path ? dirname(o.path) : o.host[0],
    port: o.port[0],
    database: o.database,
    user: o.user,
    password: typeof o.pass === 'string' ? o.pass : undefined,
    ssl: pgSsl(o.ssl),
    application_name: 'anthias-queue',
    schema: BOSS_SCHEMA,
    max: options.max ?? 4,
    supervise: Boolean(options.worker),
    schedule: Boolean(options.worker),
    superviseIntervalSeconds: supervise,
    monitorIntervalSeconds: supervise,
    cronWorkerIntervalSeconds: Math.min(5, supervise),
    cronMonitorIntervalSeconds: Math.min(30, supervise),
  })
  // pg-boss reports background errors (a lost connection while polling) as events, and retries
  boss.on('error', (error) => options.onError?.(error as Error))
  await boss.start()
  for (const [name, queue] of Object.entries(QUEUES)) {
    // two workers starting at once both create it: the second finds it made
    if (!(await boss.getQueue(name))) await boss.createQueue(name, queue).catch(async (error) => {
      if (!(await boss.getQueue(name))) throw error
    })
  }
  return boss
}

/** Jobs waiting to be taken (created or due for a retry), by queue; empty before pg-boss has made its schema. */
export async function queueDepth(sql: Sql): Promise<Record<string, number>> {
  const [exists] = await sql`select to_regclass(${`${BOSS_SCHEMA}.job`}) is not null as ok`
  if (!exists?.ok) return {}
  const rows = await sql<{name: string; n: number}[]>`
    select name, count(*)::int as n from ${sql(BOSS_SCHEMA)}.job where state in ('created', 'retry') group by name`
  return Object.fromEntries(rows.map((r) => [r.name, r.n]))
}
