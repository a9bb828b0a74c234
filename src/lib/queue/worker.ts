/**
 * `anthias worker`: takes provisioning jobs (and, with --monitor-every, runs
 * the scheduled monitor check) until stopped. Many workers, on one machine or
 * several, share the queue: pg-boss hands each job to one of them (SELECT ...
 * FOR UPDATE SKIP LOCKED), a worker's heartbeats keep its jobs, and the jobs of
 * a worker that stops sending them (killed, frozen, cut off) go back to the
 * queue for another. stop() takes no new job, lets the running ones finish (a
 * job still running after the grace period is handed back by its heartbeat
 * lapsing) and closes the pool.
 */
import type {Sql} from 'postgres'

import type {Context} from '../context.js'
import {AppError} from '../errors.js'
import {checkMonitoring} from '../monitoring.js'
import {deliver, type DeliveryJob, dispatch} from '../notify/deliver.js'
import {DELIVER_QUEUE, MONITOR_QUEUE, openBoss, PROVISION_QUEUE} from './boss.js'
import {type BatchJob, type BatchResult, runBatch} from './runs.js'

/** One line of the worker's log: a job done or failed, never a secret (no tokens, passwords or keys). */
export type WorkerLogEntry =
  | ({event: 'job'; queue: 'provision'; job: string; ms: number} & BatchResult)
  | {event: 'job'; queue: 'monitor'; job: string; ms: number; checked: number; queued: number; cleared: number}
  | {event: 'job'; queue: 'deliver'; job: string; ms: number; deliveryId: string; channel: string; type: string; sent: boolean}
  | {event: 'job-failed'; queue: string; job: string; ms: number; code: string; message: string; runId?: string; batch?: number}
  | {event: 'started' | 'stopping' | 'stopped'; concurrency: number; monitorEveryMinutes?: number}
  | {event: 'error'; source: 'queue' | 'dispatch'; code: string; message: string}

export interface WorkerOptions {
  /** jobs run at once by this process */
  concurrency: number
  /** run `monitor check --all` this often, once in the cluster (minutes) */
  monitorEveryMinutes?: number
  ctx: Context
  log: (entry: WorkerLogEntry) => void
  env?: NodeJS.ProcessEnv
}

export interface Worker {
  /** stop taking jobs, finish the running ones (for at most `graceMs`), close */
  stop(graceMs?: number): Promise<void>
}

const DURATION = /^(\d+)(m|min|h)$/
const UNIT_MINUTES = {m: 1, min: 1, h: 60}

/** --monitor-every: 1m, 5m, 1h (pg-boss's scheduler works in whole minutes); at most a day. Returns minutes. */
export function parseInterval(text: string, field = '--monitor-every'): number {
  const match = DURATION.exec(text.trim())
  const minutes = match ? Number(match[1]) * UNIT_MINUTES[match[2] as keyof typeof UNIT_MINUTES] : Number.NaN
  if (!(minutes >= 1 && minutes <= 1440)) {
    throw new AppError('INTERVAL_INVALID', `${field} "${text}" is not an interval of whole minutes from 1m to 24h.`, {field, suggestions: ['1m', '5m', '1h']})
  }
  return minutes
}

/** A channel as logged: the kind and the host, not a URL's path or query (which may carry a token). */
function channelLabel(channel: string): string {
  const [kind, ...rest] = channel.split(':')
  const target = rest.join(':')
  if (kind === 'email') return channel
  return URL.canParse(target) ? `${kind}:${new URL(target).host}` : channel
}

const isBatchJob = (data: unknown): data is BatchJob =>
  typeof (data as BatchJob)?.runId === 'string' && Number.isInteger((data as BatchJob)?.batch)

function jobError(error: unknown): {code: string; message: string} {
  const e = error as {code?: unknown; message?: unknown}
  return {code: typeof e?.code === 'string' ? e.code : 'OPERATION_FAILED', message: typeof e?.message === 'string' ? e.message : String(error)}
}

export async function startWorker(sql: Sql, options: WorkerOptions): Promise<Worker> {
  const {concurrency, ctx, log} = options
  const boss = await openBoss(sql, {worker: true, max: concurrency + 3, env: options.env, onError: (error) => log({event: 'error', source: 'queue', ...jobError(error)})})
  const timed = async <R>(queue: string, id: string, work: () => Promise<R>, extra: {runId?: string; batch?: number} = {}): Promise<{result: R; ms: number}> => {
    const started = performance.now()
    try {
      return {result: await work(), ms: Math.round(performance.now() - started)}
    } catch (error) {
      log({event: 'job-failed', queue, job: id, ms: Math.round(performance.now() - started), ...jobError(error), ...extra})
      throw error
    }
  }

  // two jobs a fetch, fetching again at once while fetches come back full: a worker does not wait
  // out a polling interval between batches while the queue has work (each job is idempotent, so a
  // pair handed back together after a crash costs only the lookup of rows already settled)
  await boss.work<BatchJob>(PROVISION_QUEUE, {localConcurrency: concurrency, batchSize: 2, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5}, async (jobs) => {
    for (const job of jobs) {
      if (!isBatchJob(job.data)) continue
      const {runId, batch} = job.data
      const {result, ms} = await timed('provision', job.id, () => runBatch(sql, {runId, batch}, ctx), {runId, batch})
      log({event: 'job', queue: 'provision', job: job.id, ms, ...result})
    }
  })

  if (options.monitorEveryMinutes) {
    // one schedule for the cluster (pg-boss's scheduler sends each occurrence once, whichever worker
    // evaluates it); every worker started with --monitor-every keeps it at its interval
    await boss.schedule(MONITOR_QUEUE, `RRULE:FREQ=MINUTELY;INTERVAL=${options.monitorEveryMinutes}`, null, {tz: 'UTC'})
    await boss.work(MONITOR_QUEUE, {pollingIntervalSeconds: 1}, async ([job]) => {
      if (!job) return
      const {result, ms} = await timed('monitor', job.id, () => checkMonitoring(sql))
      log({event: 'job', queue: 'monitor', job: job.id, ms, checked: result.checked, queued: result.queued, cleared: result.cleared})
      return {checked: result.checked, queued: result.queued, cleared: result.cleared}
    })
  }
  await boss.work<DeliveryJob, unknown, {includeMetadata: true; localConcurrency: number; pollingIntervalSeconds: number}>(DELIVER_QUEUE, {includeMetadata: true, localConcurrency: 2, pollingIntervalSeconds: 1}, async ([job]) => {
    if (!job) return
    const final = job.retryCount >= job.retryLimit
    const {result, ms} = await timed('deliver', job.id, () => deliver(sql, job.data, {final, env: options.env}))
    if (result) log({event: 'job', queue: 'deliver', job: job.id, ms, deliveryId: result.deliveryId, channel: channelLabel(result.channel), type: result.event, sent: result.sent})
  })
  // outbox rows get their delivery jobs from whichever worker looks first
  const every = Math.min(5, Number((options.env ?? process.env).ANTHIAS_QUEUE_SUPERVISE_SECONDS) || 5) * 1000
  let dispatching = false
  const dispatcher = setInterval(() => {
    if (dispatching) return
    dispatching = true
    dispatch(boss).catch((error) => log({event: 'error', source: 'dispatch', ...jobError(error)})).finally(() => (dispatching = false))
  }, every)

  log({event: 'started', concurrency, ...(options.monitorEveryMinutes ? {monitorEveryMinutes: options.monitorEveryMinutes} : {})})

  let stopping: Promise<void> | undefined
  return {
    stop(graceMs = 60_000) {
      stopping ??= (async () => {
        log({event: 'stopping', concurrency})
        clearInterval(dispatcher)
        await boss.stop({graceful: true, timeout: graceMs, close: true})
        log({event: 'stopped', concurrency})
      })()
      return stopping
    },
  }
}
