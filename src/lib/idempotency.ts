/**
 * The Idempotency-Key ledger of the HTTP API: a POST sent again with the same
 * key (by the same operator token) gets the first one's response, byte for
 * byte, instead of doing the work twice. The database decides who is first
 * (`insert ... on conflict do nothing` on the primary key), so any number of
 * concurrent requests, on any number of servers, do the work once.
 *
 * - same key, same request: the stored response, once the first has answered;
 *   while it runs, the others wait for it up to `waitMs`, then
 *   IDEMPOTENCY_IN_PROGRESS (409);
 * - same key, another request (method, path or body): IDEMPOTENCY_KEY_REUSED (422);
 * - a key is kept KEEP_HOURS, then forgotten (its next use is a new request);
 *   one whose first request never answered (its server stopped) after `abandonAfterMs`.
 */
import {setTimeout as sleep} from 'node:timers/promises'

import type {Sql} from 'postgres'

import {AppError} from './errors.js'
import {sha256} from './secrets.js'

export const KEEP_HOURS = 24
/** how often a waiting request looks whether the first has answered */
const POLL_MS = 20

export interface StoredResponse {
  status: number
  headers: Record<string, string>
  body: string
}

export type IdempotencyClaim = {state: 'first'} | {state: 'replay'; response: StoredResponse}

/** The request's fingerprint: what a retry must repeat exactly. */
export const requestHash = (method: string, path: string, body: string) => sha256(`${method}\n${path}\n${body}`)

/** Keys are what clients choose (a UUID, as a rule): 1 to 255 printable ASCII characters. */
export function checkIdempotencyKey(key: string): string {
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new AppError('IDEMPOTENCY_KEY_INVALID', 'Idempotency-Key must be 1 to 255 printable ASCII characters without spaces (a UUID, say).', {field: 'Idempotency-Key'})
  }
  return key
}

/**
 * Claim `key` for this request: `first` when it is new (do the work, then
 * `completeIdempotent` or `releaseIdempotent`), `replay` with the stored
 * response when the same request has answered already.
 */
export async function claimIdempotent(sql: Sql, tokenId: string, key: string, hash: string, options: {waitMs: number; abandonAfterMs: number}): Promise<IdempotencyClaim> {
  const deadline = Date.now() + options.waitMs
  for (;;) {
    // a key past its time is taken over as new, and so is one whose first request never answered (its server died)
    const [claimed] = await sql`
      insert into idempotency_keys as k (token_id, key, request_hash) values (${tokenId}, ${key}, ${hash})
      on conflict (token_id, key) do update set request_hash = excluded.request_hash, status = null, headers = null, body = null, created_at = now(), completed_at = null
        where k.created_at < now() - make_interval(hours => ${KEEP_HOURS})
          or (k.completed_at is null and k.created_at < now() - make_interval(secs => ${options.abandonAfterMs / 1000}))
      returning 1`
    if (claimed) return {state: 'first'}
    const [row] = await sql<{requestHash: string; status: number | null; headers: Record<string, string> | null; body: string | null}[]>`
      select request_hash, status, headers, body from idempotency_keys where token_id = ${tokenId} and key = ${key}`
    // released meanwhile (the first failed): claim it again
    if (!row) continue
    if (row.requestHash !== hash) {
      throw new AppError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key "${key}" was used for another request (another path or body) in the last ${KEEP_HOURS} hours.`, {
        field: 'Idempotency-Key',
        suggestions: ['Use a new key for a new request; send the same key only to retry the same request.'],
      })
    }
    if (row.status !== null) return {state: 'replay', response: {status: row.status, headers: row.headers ?? {}, body: row.body ?? ''}}
    if (Date.now() >= deadline) {
      throw new AppError('IDEMPOTENCY_IN_PROGRESS', `The request with Idempotency-Key "${key}" is still running.`, {
        field: 'Idempotency-Key',
        suggestions: ['Retry it with the same key when it has answered: you will get its response.'],
      })
    }
    await sleep(POLL_MS)
  }
}

/** Store the response of the first request, for the retries to replay. */
export async function completeIdempotent(sql: Sql, tokenId: string, key: string, response: StoredResponse): Promise<void> {
  await sql`
    update idempotency_keys set status = ${response.status}, headers = ${sql.json(response.headers)}, body = ${response.body}, completed_at = now()
    where token_id = ${tokenId} and key = ${key}`
}

/** Forget the key (the first request failed for a reason a retry may not meet): the next request with it runs anew. */
export async function releaseIdempotent(sql: Sql, tokenId: string, key: string): Promise<void> {
  await sql`delete from idempotency_keys where token_id = ${tokenId} and key = ${key} and completed_at is null`
}

/** Delete the keys past their time; the number deleted. */
export async function purgeIdempotencyKeys(sql: Sql): Promise<number> {
  return (await sql`delete from idempotency_keys where created_at < now() - make_interval(hours => ${KEEP_HOURS})`).count
}
