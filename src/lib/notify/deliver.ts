/**
 * notification_outbox rows delivered by the workers.
 *
 * dispatch (every worker, every few seconds): the rows not yet given a job
 * are locked (SKIP LOCKED: workers share them out), each gets one pg-boss
 * job {id} and is marked enqueued, in one transaction: a row never gets two
 * jobs, and a crash leaves it for the next pass. A tenant.deleted row belongs
 * to no tenant (tenant_id null: it outlives the tenant's own rows, see
 * sql/migrations/0009_tenant_deleted_event.up.sql), so rows are found by id.
 *
 * deliver (the job): webhook:URL and slack:CHANNEL by HTTP POST of a JSON body
 * signed with the endpoint's secret (Standard Webhooks, see webhooks.ts),
 * email:ADDRESS by SMTP (nodemailer, the server from ANTHIAS_SMTP_URL). Every
 * attempt carries the row's delivery id (webhook-id; the email's Message-ID),
 * the same on each retry, so a receiver that saw an attempt whose answer was
 * lost de-duplicates the next. A failure is recorded on the row (attempts,
 * last_error) and the job is retried by pg-boss with exponential backoff (at
 * most 10 minutes apart, for about a day); then failed_at is set.
 */
import type {Sql} from 'postgres'

import {AppError} from '../errors.js'
import {DELIVER_QUEUE} from '../queue/boss.js'
import type {openBoss} from '../queue/boss.js'
import {decodeCursor, KEY, type Page, type PageRequest, toPage} from '../paging.js'
import {signatureHeaders} from './webhooks.js'

type Boss = Awaited<ReturnType<typeof openBoss>>

export interface DeliveryJob {
  id: string
}

/** Give the outbox rows without a job one each; returns how many. */
export async function dispatch(boss: Boss, limit = 500): Promise<number> {
  const tx = await boss.getDb().beginTransaction!()
  try {
    const rows: DeliveryJob[] = []
    for (const tenant of await pendingTenants(tx.db)) {
      if (rows.length >= limit) break
      // one tenant's rows at a time: on Citus the outbox is distributed by tenant, and a FOR UPDATE
      // is refused unless it names the tenant (one shard)
      const locked = await tx.db.executeSql(
        `select id::text as id from notification_outbox where ${tenant === undefined ? '' : 'tenant_id = $2 and '}enqueued_at is null and sent_at is null
         order by id limit $1 for update skip locked`, tenant === undefined ? [limit - rows.length] : [limit - rows.length, tenant])
      rows.push(...(locked.rows as DeliveryJob[]))
    }
    if (rows.length > 0) {
      const ids = rows.map((r: DeliveryJob) => r.id)
      await boss.insert(DELIVER_QUEUE, ids.map((id: string) => ({data: {id} satisfies DeliveryJob})), {db: tx.db})
      await tx.db.executeSql(`update notification_outbox set enqueued_at = now() where id = any ($1::bigint[])`, [ids])
    }
    await tx.commit()
    return rows.length
  } catch (error) {
    await tx.rollback()
    throw error
  }
}

type ExecuteSql = {executeSql(text: string, values?: unknown[]): Promise<{rows: unknown[]}>}

/**
 * Whose outbox rows wait for a job: [undefined] (every row, one query) unless the outbox is
 * distributed (Citus, after db migrate); then each such tenant, lowest pending row first.
 */
async function pendingTenants(db: ExecuteSql): Promise<(string | undefined)[]> {
  const {rows: [citus]} = await db.executeSql(`select exists (select 1 from pg_extension where extname = 'citus') as citus`)
  if (!(citus as {citus: boolean}).citus) return [undefined]
  const {rows: [placed]} = await db.executeSql(`select exists (select 1 from pg_dist_partition where logicalrelid = 'notification_outbox'::regclass) as distributed`)
  if (!(placed as {distributed: boolean}).distributed) return [undefined]
  const {rows} = await db.executeSql(
    `select tenant_id::text as tenant from notification_outbox where enqueued_at is null and sent_at is null
     group by tenant_id order by min(id)`)
  return (rows as {tenant: string}[]).map((r) => r.tenant)
}

interface OutboxRow {
  id: string
  deliveryId: string
  kind: string
  metric: string
  channel: string
  payload: Record<string, unknown>
  createdAt: Date
  sentAt: Date | null
  attempts: number
}

export interface DeliveryResult {
  deliveryId: string
  channel: string
  event: string
  /** false when the row had been delivered already (a retried job) */
  sent: boolean
}

/** The JSON body: what the receiver gets, the same on every attempt. */
function body(row: OutboxRow): string {
  const type = row.kind === 'quota_breach' ? 'quota.breach' : row.metric
  return JSON.stringify({id: row.deliveryId, type, timestamp: row.createdAt.toISOString(), data: row.payload})
}

const channelKind = (channel: string) => channel.slice(0, channel.indexOf(':'))
const channelTarget = (channel: string) => channel.slice(channel.indexOf(':') + 1)

/** A message that names what failed, never a secret (the URL's query may carry one: it is left out). */
const redactUrl = (text: string) => {
  try {
    const u = new URL(text)
    return `${u.origin}${u.pathname}`
  } catch {
    return '(invalid URL)'
  }
}

async function post(sql: Sql, url: string, row: OutboxRow, payload: string, signWith?: string): Promise<void> {
  const key = signWith ?? url
  const [endpoint] = await sql<{secret: string}[]>`select secret from webhook_endpoints where url = ${URL.canParse(key) ? new URL(key).toString() : key}`
  if (!endpoint && signWith === undefined) {
    throw new AppError('WEBHOOK_NOT_REGISTERED', `No signing secret for ${redactUrl(url)}: it is not a registered webhook endpoint (deliveries are retried).`, {
      suggestions: [{command: 'webhook.add', args: {url: redactUrl(url)}, text: 'Register it: {command}'}],
    })
  }
  const response = await fetch(url, {
    method: 'POST',
    headers: {'content-type': 'application/json', 'user-agent': 'anthias-webhooks', ...(endpoint ? signatureHeaders(endpoint.secret, row.deliveryId, payload) : {})},
    body: payload,
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  })
  await response.body?.cancel()
  if (response.status < 200 || response.status > 299) {
    throw new AppError('DELIVERY_FAILED', `${redactUrl(url)} answered HTTP ${response.status}.`)
  }
}

let transport: import('nodemailer').Transporter | undefined

async function mail(row: OutboxRow, to: string, env: NodeJS.ProcessEnv): Promise<void> {
  const url = env.ANTHIAS_SMTP_URL
  if (!url) throw new AppError('SMTP_NOT_CONFIGURED', 'ANTHIAS_SMTP_URL is not set: email channels cannot be delivered (deliveries are retried).')
  const {default: nodemailer} = await import('nodemailer')
  transport ??= nodemailer.createTransport(url)
  const p = row.payload as {subdomain?: string; metric?: string; used?: number; limit?: number; name?: string}
  const subject = row.kind === 'quota_breach'
    ? `[anthias] ${p.subdomain}: ${p.metric} at ${p.used} of ${p.limit}`
    : `[anthias] ${row.metric}: ${p.subdomain}`
  await transport.sendMail({
    from: env.ANTHIAS_SMTP_FROM || 'anthias@localhost',
    to,
    subject,
    text: `${subject}\n\n${JSON.stringify(row.payload, null, 2)}\n\nDelivery ${row.deliveryId}\n`,
    messageId: `<${row.deliveryId}@anthias>`,
    headers: {'X-Anthias-Delivery-Id': row.deliveryId},
  })
}

/** Deliver one outbox row (a job); throws to have pg-boss retry. `final`: no retry is left. */
export async function deliver(sql: Sql, job: DeliveryJob, options: {final?: boolean; env?: NodeJS.ProcessEnv} = {}): Promise<DeliveryResult | undefined> {
  const env = options.env ?? process.env
  const [row] = await sql<OutboxRow[]>`
    select id::text as id, delivery_id, kind, metric, channel, payload, created_at, sent_at, attempts
    from notification_outbox where id = ${job.id}::bigint`
  if (!row) return undefined
  const event = row.kind === 'quota_breach' ? 'quota.breach' : row.metric
  if (row.sentAt) return {deliveryId: row.deliveryId, channel: row.channel, event, sent: false}
  const payload = body(row)
  try {
    const kind = channelKind(row.channel)
    if (kind === 'webhook') await post(sql, channelTarget(row.channel), row, payload)
    else if (kind === 'slack') {
      const hook = env.ANTHIAS_SLACK_WEBHOOK_URL
      if (!hook) throw new AppError('SLACK_NOT_CONFIGURED', 'ANTHIAS_SLACK_WEBHOOK_URL is not set: slack channels cannot be delivered (deliveries are retried).')
      await post(sql, hook, row, JSON.stringify({channel: `#${channelTarget(row.channel)}`, text: `${event}: ${JSON.stringify(row.payload)}`, delivery: JSON.parse(payload)}), hook)
    } else if (kind === 'email') await mail(row, channelTarget(row.channel), env)
    else throw new AppError('CHANNEL_INVALID', `Channel ${row.channel} is not email:, slack: or webhook:.`, {kind: 'failed'})
  } catch (error) {
    const message = (error as Error)?.message ?? String(error)
    await sql`
      update notification_outbox set attempts = attempts + 1, last_attempt_at = now(), last_error = ${message.slice(0, 500)},
        failed_at = ${options.final ? sql`now()` : sql`null`}
      where id = ${row.id}::bigint`
    throw error
  }
  await sql`
    update notification_outbox set sent_at = now(), attempts = attempts + 1, last_attempt_at = now(), last_error = null
    where id = ${row.id}::bigint`
  return {deliveryId: row.deliveryId, channel: row.channel, event, sent: true}
}

export interface NotificationRow {
  id: string
  deliveryId: string
  tenant: string | null
  event: string
  channel: string
  state: 'pending' | 'sent' | 'retrying' | 'failed'
  attempts: number
  lastError: string | null
  createdAt: Date
  sentAt: Date | null
}

const SORT = '-id'

/** The outbox, newest first: what was delivered, what is being retried and why, what gave up. */
export async function listNotifications(sql: Sql, request: PageRequest & {withTotal?: boolean; state?: NotificationRow['state']}): Promise<Page<NotificationRow>> {
  const after = request.after === undefined ? undefined : decodeCursor(request.after, SORT, [KEY.bigint])
  const states = {
    pending: () => sql`and o.sent_at is null and o.failed_at is null and o.attempts = 0`,
    sent: () => sql`and o.sent_at is not null`,
    retrying: () => sql`and o.sent_at is null and o.failed_at is null and o.attempts > 0`,
    failed: () => sql`and o.failed_at is not null and o.sent_at is null`,
  }
  const filter = request.state ? states[request.state]() : sql``
  const rows = await sql<NotificationRow[]>`
    select o.id::text as id, o.delivery_id, coalesce(t.subdomain, o.payload->>'subdomain') as tenant, case when o.kind = 'quota_breach' then 'quota.breach' else o.metric end as event,
      o.channel, case when o.sent_at is not null then 'sent' when o.failed_at is not null then 'failed' when o.attempts > 0 then 'retrying' else 'pending' end as state,
      o.attempts, o.last_error, o.created_at, o.sent_at
    from notification_outbox o left join tenants t on t.id = o.tenant_id
    where true ${filter} ${after ? sql`and o.id < ${after[0]!}::bigint` : sql``}
    order by o.id desc limit ${request.limit + 1}`
  const total = request.withTotal === false ? undefined : (await sql<{n: number}[]>`select count(*)::int as n from notification_outbox o where true ${filter}`)[0]!.n
  return toPage(rows, request.limit, SORT, (r) => [r.id], total)
}
