/**
 * Webhook endpoints: a URL, its signing secret and the provisioning events it
 * subscribes to. Deliveries are signed the Standard Webhooks way
 * (https://www.standardwebhooks.com): headers webhook-id (the delivery id, the
 * same on every retry), webhook-timestamp (Unix seconds) and webhook-signature
 * (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` under the secret's bytes).
 */
import {createHmac, randomBytes} from 'node:crypto'

import type {Sql} from 'postgres'

import {writeAudit} from '../audit.js'
import type {Context} from '../context.js'
import {isCitus} from '../db/citus.js'
import {AppError} from '../errors.js'
import {checkPlainText} from '../text.js'

export const EVENTS = ['tenant.created', 'tenant.updated', 'tenant.suspended', 'tenant.resumed', 'tenant.deleted'] as const
export type EventName = (typeof EVENTS)[number]

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** https://, or http:// to this machine (a local receiver, tests); no credentials in the URL. */
export function webhookUrl(text: string, field = 'URL'): string {
  checkPlainText(text, 'A webhook URL', field)
  let url: URL
  try {
    url = new URL(text.trim())
  } catch {
    throw new AppError('WEBHOOK_URL_INVALID', `"${text}" is not a URL.`, {field, suggestions: ['https://hooks.example.com/anthias']})
  }
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname)))) {
    throw new AppError('WEBHOOK_URL_INVALID', `A webhook must be an https:// URL (http:// only to 127.0.0.1 or localhost), not "${text}".`, {field})
  }
  if (url.username || url.password) throw new AppError('WEBHOOK_URL_INVALID', 'A webhook URL must not carry a user name or password; the signature authenticates deliveries.', {field})
  return url.toString()
}

export const isWebhookUrl = (text: string) => {
  try {
    webhookUrl(text)
    return true
  } catch {
    return false
  }
}

export function parseEvents(names: string[], field = '--event'): EventName[] {
  const unknown = names.filter((n) => !(EVENTS as readonly string[]).includes(n))
  if (unknown.length > 0) {
    throw new AppError('EVENT_UNKNOWN', `Unknown event ${unknown.map((n) => JSON.stringify(n)).join(', ')}; the events are ${EVENTS.join(', ')}.`, {field, suggestions: [...EVENTS]})
  }
  return [...new Set(names)] as EventName[]
}

export interface WebhookEndpoint {
  id: string
  url: string
  events: string[]
  createdAt: Date
}

/**
 * Register a URL (or change the events of one registered); the secret is returned once, when it is made.
 * Unlike API keys and tokens, the secret is stored as it is, not hashed: signing a delivery
 * needs the secret itself (HMAC), and a hash could not sign. It is never audited or logged.
 */
export async function addWebhook(sql: Sql, urlText: string, events: string[], ctx: Context): Promise<WebhookEndpoint & {secret?: string}> {
  const url = webhookUrl(urlText)
  const subscribed = parseEvents(events)
  if (subscribed.includes('tenant.deleted') && (await isCitus(sql))) {
    // its rows belong to no tenant, which a distributed outbox cannot hold (see distributeTables)
    throw new AppError('EVENT_UNSUPPORTED', 'tenant.deleted events are not sent on a Citus cluster (yet): the outbox is distributed by tenant, and the event outlives its tenant.', {field: '--event'})
  }
  const secret = `whsec_${randomBytes(24).toString('base64')}`
  return sql.begin(async (tx) => {
    const [row] = await tx<(WebhookEndpoint & {made: boolean; secret: string})[]>`
      insert into webhook_endpoints (url, events, secret) values (${url}, ${subscribed}, ${secret})
      on conflict (url) do update set events = excluded.events
      returning id, url, events, created_at, secret, (xmax = 0) as made`
    await writeAudit(tx, {actor: ctx.actor, action: 'webhook.add', subject: url, arguments: {events: subscribed}})
    const {made, secret: stored, ...endpoint} = row!
    return made ? {...endpoint, secret: stored} : endpoint
  }) as Promise<WebhookEndpoint & {secret?: string}>
}

export async function listWebhooks(sql: Sql): Promise<WebhookEndpoint[]> {
  return sql<WebhookEndpoint[]>`select id, url, events, created_at from webhook_endpoints order by url`
}

export async function removeWebhook(sql: Sql, urlText: string, ctx: Context): Promise<WebhookEndpoint> {
  const url = webhookUrl(urlText)
  return sql.begin(async (tx) => {
    const [row] = await tx<WebhookEndpoint[]>`delete from webhook_endpoints where url = ${url} returning id, url, events, created_at`
    if (!row) throw new AppError('WEBHOOK_NOT_FOUND', `No webhook endpoint ${url}.`, {field: 'url', suggestions: [{command: 'webhook.list', text: 'List them with `{command}`.'}]})
    await writeAudit(tx, {actor: ctx.actor, action: 'webhook.remove', subject: url, arguments: {}})
    return row
  }) as Promise<WebhookEndpoint>
}

/** The Standard Webhooks headers of one delivery attempt. */
export function signatureHeaders(secret: string, deliveryId: string, body: string, now = new Date()): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000))
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
  const signature = createHmac('sha256', key).update(`${deliveryId}.${timestamp}.${body}`).digest('base64')
  return {'webhook-id': deliveryId, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}`}
}
