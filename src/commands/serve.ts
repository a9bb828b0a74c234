import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../base.js'
import type {ServeResult} from '../lib/results.js'

export default class Serve extends BaseCommand<typeof Serve> {
  static override description = describe(
    `Serve the provisioning REST API on the same library as the CLI: the same validation, quotas, audit and error codes. Listens on loopback unless --host says otherwise.

Requests carry an operator token (\`anthias token create\`): Authorization: Bearer TOKEN. Routes are under /v1; GET /openapi.json is the OpenAPI 3.1 document, /docs its page, /healthz and /readyz the probes, /metrics Prometheus metrics. POST /api/provision_tenant is the guide's provision_tenant endpoint.

Logs one JSON line per request on stdout (pino), never a token or password. TLS: put a reverse proxy in front, or give --tls-cert and --tls-key. SIGTERM or Ctrl-C: stop taking requests, answer those in flight, exit 0.`,
  )
  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --host 0.0.0.0 --port 8443 --tls-cert cert.pem --tls-key key.pem',
    '<%= config.bin %> serve --port 9000 --rate-limit 1200',
  ]
  static override flags = {
    host: Flags.string({description: 'the address to listen on', default: '127.0.0.1'}),
    port: Flags.integer({description: 'the port to listen on (0: any free port)', default: 8080, min: 0, max: 65_535}),
    'tls-cert': Flags.string({description: 'serve HTTPS with this certificate (PEM file)', dependsOn: ['tls-key'], helpValue: 'FILE'}),
    'tls-key': Flags.string({description: "the certificate's private key (PEM file)", dependsOn: ['tls-cert'], helpValue: 'FILE'}),
    'backup-dir': Flags.string({description: "where DELETE writes each deleted tenant's verified backup (default: backups/ in the data directory, ANTHIAS_DATA_DIR)", helpValue: 'DIR'}),
    'rate-limit': Flags.integer({description: 'requests per minute per operator token', default: 600, min: 1}),
  }

  async run(): Promise<ServeResult> {
    const {buildServer, LOG_REDACT} = await import('../server/app.js')
    const {readFile} = await import('node:fs/promises')
    const {join, resolve} = await import('node:path')
    const {resolveDataDir} = await import('../lib/db/embedded.js')
    const {flags} = this
    const https = flags['tls-cert'] && flags['tls-key'] ? {cert: await readFile(flags['tls-cert']), key: await readFile(flags['tls-key'])} : undefined
    const {sql} = await this.database()
    const {baseDomain} = await this.context()
    const backupDir = resolve(flags['backup-dir'] ?? join(resolveDataDir(this.config.dataDir), 'backups'))
    const app = await buildServer({sql, baseDomain, backupDir, https, rateLimit: flags['rate-limit'], logger: {level: process.env.ANTHIAS_LOG_LEVEL ?? 'info', redact: LOG_REDACT}})
    // the base command's Ctrl-C leaves at once; a server first answers the requests in flight
    process.removeAllListeners('SIGINT')
    const signalled = new Promise<NodeJS.Signals>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal))
    })
    const address = await app.listen({host: flags.host, port: flags.port})
    process.stderr.write(`anthias serve: listening on ${address} (GET ${address}/docs for the API)\n`)
    await signalled
    await app.close()
    return {stopped: true}
  }

  /** The result as one line, after the log lines. */
  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json)}\n`)
  }
}
