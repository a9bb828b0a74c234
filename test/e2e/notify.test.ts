/**
 * Notifications delivered by a worker process to real receivers on loopback:
 * an HTTP server that checks the Standard Webhooks signature (down at first,
 * then up), and an SMTP server (smtp-server).
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {createServer, type IncomingHttpHeaders, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {SMTPServer} from 'smtp-server'
import {Webhook} from 'standardwebhooks'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, cli} from '../helpers/cli.js'
import {createTestDatabase, type TestDatabase} from '../helpers/db.js'

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 100))
  }
}

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const {port} = s.address() as AddressInfo
    s.close(() => resolve(port))
  })
})

describe('notification delivery by the worker', () => {
  let t: TestDatabase
  let env: NodeJS.ProcessEnv
  let worker: ChildProcess | undefined
  let http: Server | undefined
  let smtp: SMTPServer | undefined
  let hookPort: number
  const received: {headers: IncomingHttpHeaders; body: string}[] = []
  const mails: {to: string; data: string}[] = []

  beforeAll(async () => {
    t = await createTestDatabase()
    hookPort = await freePort()
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      onData(stream, session, callback) {
        let data = ''
        stream.on('data', (chunk) => (data += chunk))
        stream.on('end', () => {
          mails.push({to: session.envelope.rcptTo.map((r) => r.address).join(','), data})
          callback()
        })
      },
    })
    await new Promise<void>((resolve) => smtp!.listen(0, '127.0.0.1', resolve))
    const smtpPort = (smtp.server.address() as AddressInfo).port
    env = {DATABASE_URL: t.url, ANTHIAS_DATABASE_URL: '', CI: '1', ANTHIAS_QUEUE_SUPERVISE_SECONDS: '1', ANTHIAS_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`}
  })
  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      worker.kill('SIGTERM')
      await new Promise((resolve) => worker!.once('exit', resolve))
    }
    await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)))
    await new Promise((resolve) => (smtp ? smtp.close(() => resolve(undefined)) : resolve(undefined)))
    await t?.drop()
  })

  it('a webhook receiver down, then up: retried with backoff, signed, delivered once; email by SMTP', {timeout: 120_000}, async () => {
    const url = `http://127.0.0.1:${hookPort}/hooks/anthias`
    const added = await cli(['webhook', 'add', url, '--event', 'tenant.created', '--event', 'tenant.suspended', '--json'], {env})
    expect(added.code, added.stdout).toBe(0)
    const secret = (added.json!.result as {secret: string}).secret
    expect(secret).toMatch(/^whsec_/)
    // a second add changes the events and shows no secret
    const again = await cli(['webhook', 'add', url, '--event', 'tenant.created', '--event', 'tenant.suspended', '--json'], {env})
    expect(again.json!.result).not.toHaveProperty('secret')

    worker = spawn(process.execPath, [BIN, 'worker', '--json'], {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    let log = ''
    worker.stdout!.on('data', (c) => (log += c))
    worker.stderr!.on('data', (c) => (log += c))

    expect((await cli(['tenant', 'create', 'Hooked', 'hooked-one', '--owner-email', 'owner@hooked.example.com', '--json'], {env})).code).toBe(0)
    // the receiver is down: the delivery fails, is recorded and retried
    await until(async () => {
      const r = await cli(['notification', 'list', '--state', 'retrying', '--json'], {env})
      return (r.json?.result as {items: unknown[]} | undefined)?.items.length === 1
    })
    const retrying = await cli(['notification', 'list', '--state', 'retrying', '--json'], {env})
    const [pending] = (retrying.json!.result as {items: {deliveryId: string; event: string; lastError: string}[]}).items
    expect(pending).toMatchObject({event: 'tenant.created'})
    expect(pending!.lastError).toBeTruthy()

    http = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        received.push({headers: req.headers, body})
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => http!.listen(hookPort, '127.0.0.1', resolve))
    await until(() => received.length >= 1, 60_000)

    // a quota breach mailed: one user of the basic plan's seats is over a 1% threshold
    expect((await cli(['monitor', 'setup', 'hooked-one', '--user-threshold', '0.01', '--channel', 'email:ops@hooked.example.com'], {env})).code).toBe(0)
    expect((await cli(['monitor', 'check', '--all'], {env})).code).toBe(10)
    await until(() => mails.length >= 1, 60_000)
    await until(async () => {
      const r = await cli(['notification', 'list', '--state', 'sent', '--json'], {env})
      return (r.json?.result as {items: unknown[]}).items.length === 2
    })
    // a moment for any duplicate to arrive
    await new Promise((r) => setTimeout(r, 3000))

    expect(received).toHaveLength(1)
    const [delivery] = received
    const verified = new Webhook(secret).verify(delivery!.body, delivery!.headers as Record<string, string>) as {id: string; type: string; data: {subdomain: string}}
    expect(verified).toMatchObject({id: pending!.deliveryId, type: 'tenant.created', data: {subdomain: 'hooked-one'}})
    expect(delivery!.headers['webhook-id']).toBe(pending!.deliveryId)
    // a forged body does not verify
    expect(() => new Webhook(secret).verify(delivery!.body.replace('hooked-one', 'hooked-two'), delivery!.headers as Record<string, string>)).toThrow()

    expect(mails).toHaveLength(1)
    expect(mails[0]!.to).toBe('ops@hooked.example.com')
    expect(mails[0]!.data).toMatch(/users/)
    // the log names channels by host, never the secret
    expect(log).not.toContain(secret)
    expect(log).toMatch(/"queue":"deliver"/)
  })
})
