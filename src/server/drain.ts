import type {FastifyInstance, FastifyRequest} from 'fastify'

/**
 * Closing waits for the work of every request, not only for its connection.
 * A client that hangs up mid-request (a load tool stopping on time, a timeout
 * on its side) leaves its handler running with no socket: fastify's close sees
 * no connection and resolves, the database was then closed under the handler,
 * whose next statement failed (and postgres.js's end could wait for ever on
 * the transaction it held). So each request is tracked from onRequest until
 * its last onSend hook ran (nothing but the write to the socket comes after)
 * or its response went out, or until it was aborted if that was before its
 * body was read (fastify goes no further with it); close waits for them, at
 * most `maxWaitMs`.
 *
 * Registered after every other onSend hook (the idempotency record is written
 * in one) and before every other onRequest hook.
 */
export function drainOnClose(app: FastifyInstance, options: {maxWaitMs: number}): void {
  const inFlight = new Map<FastifyRequest, {parsed: boolean; settled: Promise<void>; done: () => void}>()
  const settle = async (request: FastifyRequest) => {
    inFlight.get(request)?.done()
    inFlight.delete(request)
  }
  app.addHook('onRequest', async (request) => {
    let done = () => undefined as void
    const settled = new Promise<void>((resolve) => (done = resolve))
    inFlight.set(request, {parsed: false, settled, done})
  })
  app.addHook('preValidation', async (request) => {
    const entry = inFlight.get(request)
    if (entry) entry.parsed = true
  })
  app.addHook('onRequestAbort', async (request) => {
    if (inFlight.get(request)?.parsed === false) await settle(request)
  })
  app.addHook('onSend', async (request) => settle(request))
  app.addHook('onResponse', settle)
  app.addHook('onClose', async () => {
    if (inFlight.size === 0) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.all([...inFlight.values()].map((e) => e.settled)),
      new Promise((resolve) => (timer = setTimeout(resolve, options.maxWaitMs))),
    ])
    clearTimeout(timer)
  })
}
