/**
 * Progress of long work, as neutral data for whoever shows it (the CLI's
 * renderer in src/ui/progress.ts). The library reports it per COPY chunk,
 * table, batch or tenant, never per row; the renderer throttles.
 */
export interface Progress {
  /** the step under way: backup, compress, read, write, delete, migrate, ... */
  phase: string
  /** the table the step is at, if any */
  table?: string
  /** rows (or tenants, for migrate and bulk) done so far in this phase */
  rows: number
  /** bytes done so far in this phase */
  bytes?: number
  totalRows?: number
  totalBytes?: number
  /** outcomes so far, e.g. {created: 500} or {migrated: 12, failed: 1} */
  counts?: Record<string, number>
}

export type OnProgress = (progress: Progress) => void

/**
 * A step of short work with few steps (createTenant's), as it starts and ends:
 * `skipped` is a step with nothing to do, `detail` what a finished step found.
 */
export interface Step<Name extends string = string> {
  step: Name
  state: 'start' | 'done' | 'skipped'
  detail?: string
}

export type OnStep<Name extends string = string> = (step: Step<Name>) => void

/** Run `work` as step `name`, reporting its start and end to `onStep`; `detail` describes what it returned. */
export async function runStep<Name extends string, T>(onStep: OnStep<Name> | undefined, name: Name, work: () => Promise<T>, detail?: (result: T) => string): Promise<T> {
  onStep?.({step: name, state: 'start'})
  const result = await work()
  onStep?.({step: name, state: 'done', ...(detail ? {detail: detail(result)} : {})})
  return result
}
