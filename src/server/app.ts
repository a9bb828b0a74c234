/**
 * The HTTP API (anthias serve): fastify with the library's zod schemas as its
 * type provider. Routes parse, call one src/lib function and send its result;
 * every rule (validation, quotas, audit, RLS, atomicity) is the library's.
 * This module wires the conventions every route shares: operator tokens and
 * scopes, rate limits per token, Idempotency-Key on POST, problem+json errors,
 * metrics, the OpenAPI document.
 */
import fastifyRateLimit from '@fastify/rate-limit'
import fastifySwagger, {type SwaggerTransform} from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import Fastify, {type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions, LogController} from 'fastify'
import {createJsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, type ZodTypeProvider} from 'fastify-type-provider-zod'
import type {Sql} from 'postgres'

import type {Context} from '../lib/context.js'
import {AppError} from '../lib/errors.js'
import {type Operator, operatorActor, type Scope} from '../lib/operator-tokens.js'
import {authenticate} from './auth.js'
import {requestText} from './body.js'
import {drainOnClose} from './drain.js'
import {idempotency} from './idempotency.js'
import {createMetrics} from './metrics.js'
import {fastifyError, PROBLEM_TYPE, toProblem} from './problem.js'
import {catalogRoutes} from './routes/catalog.js'
import {compatRoutes} from './routes/compat.js'
import {lifecycleRoutes} from './routes/lifecycle.js'
import {memberRoutes} from './routes/members.js'
import {runRoutes} from './routes/runs.js'
import {systemRoutes} from './routes/system.js'
import {tenantRoutes} from './routes/tenants.js'
import {validatorCompiler} from './validation.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the scope a route needs; a route without one is open (health, metrics, the docs) */
    scope?: Scope
  }
  interface FastifyRequest {
    operator?: Operator
  }
}

export interface ServerOptions {
  sql: Sql
  /** the base domain of access URLs (ANTHIAS_BASE_DOMAIN) */
  baseDomain: string
  /** pino's options, a logger, or false */
  logger?: FastifyServerOptions['logger'] | FastifyBaseLogger
  /** the largest request body, in bytes (default 1 MiB) */
  bodyLimit?: number
  /** a request's whole time, in milliseconds (default 30 s) */
  requestTimeout?: number
  /** requests per token (or per address without one) per minute (default 600) */
  rateLimit?: number
  /** where DELETE /v1/tenants/{id} writes the verified backup of each tenant it deletes */
  backupDir: string
  /** TLS: the server speaks HTTPS with this key and certificate (PEM) */
  https?: {key: Buffer; cert: Buffer}
  /** how long a POST waits for the first request with the same Idempotency-Key to answer before 409 (default 10 s) */
  idempotencyWaitMs?: number
}

export type App = FastifyInstance

/** Secrets never reach the log: the token, and any body or header field that holds one. */
export const LOG_REDACT = {
  paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', '*.ownerPassword', '*.password', '*.token', '*.key', '*.secret'],
  censor: '[redacted]',
}

export async function buildServer(options: ServerOptions): Promise<App> {
  const requestTimeout = options.requestTimeout ?? 30_000
  const app = Fastify({
    ...(options.logger && typeof options.logger === 'object' && 'info' in options.logger
      ? {loggerInstance: options.logger as FastifyBaseLogger}
      : {logger: options.logger ?? false}),
    ...(options.https ? {https: options.https} : {}),
    bodyLimit: options.bodyLimit ?? 1_048_576,
    requestTimeout,
    // a slow client cannot hold a connection for ever between requests either
    keepAliveTimeout: 5000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // one access-log line a request (onResponse below), not fastify's two
    logController: new LogController({disableRequestLogging: true}),
  }).withTypeProvider<ZodTypeProvider>()
  // JSON only: a text body is CONTENT_TYPE_UNSUPPORTED, not a string the schema refuses
  app.removeContentTypeParser('text/plain')
  // bytes that are not UTF-8 are refused (FILE_ENCODING), never read as U+FFFD into a tenant's name
  const json = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', {parseAs: 'buffer'}, (request, body, done) => {
    let text: string
    try {
      text = requestText(body as Buffer)
    } catch (error) {
      done(error as Error)
      return
    }
    json(request, text, done)
  })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)

  const ctxFor = (operator: Operator | undefined): Context => ({actor: operator ? operatorActor(operator) : 'anonymous', baseDomain: options.baseDomain})
  const metrics = createMetrics(options.sql)

  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(fastifyError(error), request.url.split('?')[0])
    if (problem.status >= 500) {
      request.log.error({err: error}, 'request failed')
      // the cause (a driver's message, a query) stays in the log
      if (problem.code === 'OPERATION_FAILED') problem.detail = `The server failed to answer (request ${request.id}); the details are in its log.`
    }
    if (problem.status === 401) void reply.header('www-authenticate', 'Bearer realm="anthias"')
    return reply.code(problem.status).type(PROBLEM_TYPE).send(JSON.stringify(problem))
  })
  app.setNotFoundHandler((request, reply) => {
    const problem = toProblem(new AppError('ROUTE_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`, {suggestions: ['GET /openapi.json lists the routes.']}), request.url.split('?')[0])
    return reply.code(problem.status).type(PROBLEM_TYPE).send(JSON.stringify(problem))
  })

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {title: 'anthias provisioning API', version: '1', description: 'Tenant provisioning on the anthias library: the same rules, results and error codes as the anthias CLI.'},
      components: {securitySchemes: {operatorToken: {type: 'http', scheme: 'bearer', description: 'an operator token: anthias token create --name NAME --scope SCOPE'}}},
    },
    transform: withScopes(createJsonSchemaTransform({skipList: ['/docs', '/docs/*', '/openapi.json', '/metrics']})),
    transformObject: jsonSchemaTransformObject,
  })
  await app.register(fastifySwaggerUi, {routePrefix: '/docs'})
  await app.register(fastifyRateLimit, {
    global: true,
    max: options.rateLimit ?? 600,
    timeWindow: 60_000,
    // after authentication (onRequest), so the key is the token
    hook: 'preValidation',
    keyGenerator: (request) => request.operator?.id ?? request.ip,
    errorResponseBuilder: (_request, context) =>
      new AppError('RATE_LIMITED', `Over the limit of ${context.max} requests a minute for this token; retry in ${context.after}.`, {
        details: {limit: context.max, retryAfterSeconds: Math.ceil(context.ttl / 1000)},
        suggestions: ['Wait for the Retry-After header\'s seconds, then retry.'],
      }),
  })

  app.addHook('onResponse', metrics.observe)
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({req: request, res: reply, responseTime: reply.elapsedTime, operator: request.operator?.name}, 'request completed')
  })
  idempotency(app, options.sql, {waitMs: options.idempotencyWaitMs ?? 10_000, abandonAfterMs: 2 * requestTimeout})
  drainOnClose(app, {maxWaitMs: requestTimeout})
  app.addHook('onRequest', authenticate(options.sql))

  const deps = {sql: options.sql, ctxFor, metrics, baseDomain: options.baseDomain, backupDir: options.backupDir}
  systemRoutes(app, deps)
  tenantRoutes(app, deps)
  lifecycleRoutes(app, deps)
  catalogRoutes(app, deps)
  memberRoutes(app, deps)
  runRoutes(app, deps)
  compatRoutes(app, deps)
  app.get('/openapi.json', {config: {rateLimit: false}, schema: {hide: true}}, async () => app.swagger())
  return app
}

/** A route with a scope is documented with the bearer token, and its scope in its description. */
function withScopes(transform: SwaggerTransform): SwaggerTransform {
  return (document) => {
    const result = transform(document)
    const scope = document.route.config?.scope
    if (!scope) return result
    const schema = result.schema as {security?: unknown; description?: string}
    schema.security = [{operatorToken: []}]
    schema.description = `${schema.description ? `${schema.description}\n\n` : ''}Scope: \`${scope}\`.`
    return result
  }
}

export type RouteDeps = {
  sql: Sql
  ctxFor: (operator: Operator | undefined) => Context
  metrics: ReturnType<typeof createMetrics>
  baseDomain: string
  backupDir: string
}
