import type {onResponseHookHandler} from 'fastify'
import type {Sql} from 'postgres'
import {Counter, Gauge, Histogram, Registry} from 'prom-client'

import {queueDepth} from '../lib/queue/boss.js'

/** The server's Prometheus metrics, in a registry of its own (GET /metrics). */
export function createMetrics(sql: Sql) {
  const registry = new Registry()
  const requests = new Counter({name: 'anthias_http_requests_total', help: 'HTTP requests answered, by method, route and status', labelNames: ['method', 'route', 'status'], registers: [registry]})
  const latency = new Histogram({
    name: 'anthias_http_request_duration_seconds',
    help: 'time to answer an HTTP request, by method and route',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  const tenantsCreated = new Counter({name: 'anthias_tenants_created_total', help: 'tenants created through the API', registers: [registry]})
  new Gauge({
    name: 'anthias_queue_depth',
    help: 'queued jobs waiting for a worker, by queue',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const [queue, n] of Object.entries(await queueDepth(sql))) this.set({queue}, n)
    },
  })
  const observe: onResponseHookHandler = async (request, reply) => {
    // the route's pattern, not the URL: /v1/tenants/{idOrSubdomain} is one series
    const route = request.routeOptions.url ?? 'unmatched'
    requests.inc({method: request.method, route, status: String(reply.statusCode)})
    latency.observe({method: request.method, route}, reply.elapsedTime / 1000)
  }
  return {registry, tenantsCreated, observe}
}
