import {Args, Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../base.js'
import type {WebhookAddResult} from '../../lib/results.js'

export default class WebhookAdd extends BaseCommand<typeof WebhookAdd> {
  static override description = describe(
    `Register a webhook endpoint: provisioning events (--event, repeatable: tenant.created, tenant.updated, tenant.suspended, tenant.resumed, tenant.deleted) are POSTed to it as JSON by \`anthias worker\`, and a monitor channel webhook:URL with the same URL is signed with its secret.

Each delivery is signed the Standard Webhooks way: headers webhook-id (the delivery id, the same on every retry: de-duplicate on it), webhook-timestamp and webhook-signature (v1, HMAC-SHA256 of "id.timestamp.body" under the secret). The secret (whsec_...) is printed once, when the endpoint is made; adding a registered URL again only changes its events. Failed deliveries are retried with exponential backoff (see notification list).`,
  )
  static override examples = [
    '<%= config.bin %> webhook add https://billing.example.com/hooks/anthias --event tenant.created --event tenant.suspended --event tenant.deleted',
    '<%= config.bin %> webhook add https://ops.example.com/quota --json',
  ]
  static override args = {url: Args.string({description: 'https:// URL (http:// only to 127.0.0.1 or localhost)', required: true})}
  static override flags = {
    event: Flags.string({description: 'a provisioning event to send (repeatable)', helpValue: 'EVENT', multiple: true, options: ['tenant.created', 'tenant.updated', 'tenant.suspended', 'tenant.resumed', 'tenant.deleted']}),
  }

  async run(): Promise<WebhookAddResult> {
    const {addWebhook} = await import('../../lib/notify/webhooks.js')
    const endpoint = await addWebhook((await this.database()).sql, this.args.url, this.flags.event ?? [], await this.context())
    this.log(`Webhook ${endpoint.url}: ${endpoint.events.length > 0 ? endpoint.events.join(', ') : 'no provisioning events (monitor channels only)'}.`)
    if (endpoint.secret) this.log(`Signing secret (shown once, keep it with the receiver): ${endpoint.secret}`)
    else this.log('Already registered: its events were updated; the signing secret is unchanged.')
    return endpoint
  }
}
