/**
 * --rate N across every worker of a run, enforced in the database. The run's
 * row holds rate_next_at, the end of the last slot handed out. A batch of n
 * tenants takes the next slot in one atomic UPDATE (the row lock orders the
 * workers): it starts at max(rate_next_at, now()) and lasts n / rate seconds;
 * the worker waits for the slot's end, then writes. So the tenants written by
 * the time t are never more than rate × t (plus nothing: a run left idle earns
 * no burst), whatever the number of workers and machines; clocks are the
 * database's.
 */
import type {Sql} from 'postgres'

/** Take the next slot for `tenants` of run `runId` and wait until it ends. */
export async function waitForSlot(sql: Sql, runId: string, tenants: number): Promise<void> {
  const [slot] = await sql<{waitSeconds: number}[]>`
    update provisioning_runs
    set rate_next_at = greatest(coalesce(rate_next_at, clock_timestamp()), clock_timestamp()) + make_interval(secs => ${tenants}::float8 / rate)
    where id = ${runId} and rate is not null
    returning extract(epoch from rate_next_at - clock_timestamp())::float8 as wait_seconds`
  const wait = slot?.waitSeconds ?? 0
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait * 1000))
}
