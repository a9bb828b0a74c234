/** Provisioning runs rendered for people: `run show`, `run wait` progress, `run cancel` and `run retry`. */
import type {EnqueueReport, RunStatus} from '../lib/queue/runs.js'
import {escapeControls} from '../lib/text.js'

const eta = (seconds: number | null) => (seconds === null ? '-' : seconds < 90 ? `${seconds}s` : seconds < 5400 ? `${Math.round(seconds / 60)}min` : `${(seconds / 3600).toFixed(1)}h`)

/** One line: the state and the counts, for `run wait` progress. */
export function formatRunLine(s: RunStatus): string {
  const c = s.counts
  const settled = s.total - c.pending
  return `run ${s.id} ${s.status}: ${settled}/${s.total} settled (${c.created} created, ${c.unchanged} unchanged, ${c.failed} failed${c.cancelled ? `, ${c.cancelled} cancelled` : ''}), ${c.pending} pending, ${s.throughput}/s, ETA ${eta(s.etaSeconds)}`
}

export function formatRun(s: RunStatus): string {
  const c = s.counts
  const lines = [
    `Run ${s.id} (${s.queued ? 'queued' : 'direct'}, ${s.source}: ${s.fileName})`,
    `  status      ${s.status}`,
    `  started     ${s.startedAt.toISOString()}${s.finishedAt ? `, finished ${s.finishedAt.toISOString()}` : ''}`,
    `  rows        ${s.total}: ${c.pending} pending, ${c.created} created, ${c.unchanged} unchanged, ${c.failed} failed, ${c.cancelled} cancelled`,
    `  rate        ${s.throughput}/s ${s.counts.pending === 0 ? 'over the run' : 'over the last minute'}${s.rate ? ` (capped at ${s.rate}/s)` : ''}, ETA ${eta(s.etaSeconds)}`,
  ]
  if (s.failures.length > 0) {
    lines.push('', `Failed rows${c.failed > s.failures.length ? ` (first ${s.failures.length} of ${c.failed})` : ''}:`)
    for (const f of s.failures) lines.push(`  line ${f.line} ${f.subdomain ?? f.name ?? ''}: ${f.code}: ${f.message}`)
  }
  return lines.map(escapeControls).join('\n')
}

/** What `--queue` did: the run queued and what to run next, or every problem that refused the file. */
export function formatEnqueue(report: EnqueueReport, bin: string): string {
  const lines = report.runId === null
    ? [`Nothing was queued. Every problem (${report.errors.length}):`, ...report.errors.map((e) => `  line ${e.line}${e.field ? `, ${e.field}` : ''}: ${e.code}: ${e.message}`)]
    : [
        `Queued run ${report.runId}: ${report.queued} tenant(s) to create in ${report.jobs} job(s) of up to ${report.batchSize}, ${report.unchanged} unchanged${report.rate ? `, at most ${report.rate}/s` : ''}.`,
        `Start workers with \`${bin} worker\`; follow it with \`${bin} run wait ${report.runId}\`.`,
      ]
  return lines.map(escapeControls).join('\n')
}
