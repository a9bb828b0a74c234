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
