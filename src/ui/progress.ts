/**
 * The one renderer of progress (src/lib/progress.ts): in a terminal a listr2
 * task list, one task a phase, its title updated with rows, bytes, rate and
 * ETA; otherwise plain lines on stderr, at most one a second per phase plus
 * the last of each phase.
 */
import {DefaultRenderer, Listr, ListrTaskState, type ListrTaskWrapper} from 'listr2'

import type {OnProgress, Progress} from '../lib/progress.js'

export interface Phase {
  /** the phase named in Progress */
  key: string
  title: string
  /** what `rows` counts (default rows) */
  unit?: string
}

/** 347 MB, 1.2 GB, 512 B: decimal units, as disks and networks count. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${unit === 0 || value >= 10 ? Math.round(value) : Number(value.toFixed(1))} ${units[unit]}`
}

const seconds = (s: number) => (s >= 3600 ? `${Math.floor(s / 3600)}h${Math.round((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m${Math.round(s % 60)}s` : `${Math.ceil(s)}s`)

/** `assets: 1200/5000 rows, 3.4 MB of 12 MB, 800 rows/s, ETA 5s` */
export function describeProgress(p: Progress, unit = 'rows', elapsedSeconds = 0): string {
  const parts = [`${p.table ? `${p.table}: ` : ''}${p.rows}${p.totalRows === undefined ? '' : `/${p.totalRows}`} ${unit}`]
  if (p.bytes !== undefined) parts.push(`${formatBytes(p.bytes)}${p.totalBytes === undefined ? '' : ` of ${formatBytes(p.totalBytes)}`}`)
  if (elapsedSeconds >= 1) {
    const byBytes = p.totalBytes !== undefined && p.bytes !== undefined
    parts.push(byBytes ? `${formatBytes(p.bytes! / elapsedSeconds)}/s` : `${Math.round(p.rows / elapsedSeconds)} ${unit}/s`)
    const [done, total] = byBytes ? [p.bytes!, p.totalBytes!] : [p.rows, p.totalRows]
    if (total !== undefined && done > 0 && done < total) parts.push(`ETA ${seconds(((total - done) / done) * elapsedSeconds)}`)
  }
  return parts.join(', ')
}

/** Each task list's renderer (by its tasks), for ProgressView.stop() to end it at once. */
const renderers = new WeakMap<object, DefaultRenderer>()

/** listr2's default renderer, found again by its task list's tasks. */
class KeptRenderer extends DefaultRenderer {
  constructor(...args: ConstructorParameters<typeof DefaultRenderer>) {
    super(...args)
    renderers.set(args[0], this)
  }
}

interface PhaseState {
  started?: number
  last?: Progress
  /** when the title was set or the last line written */
  shown?: number
  /** the last progress is not on stderr yet (plain lines) */
  unshown?: boolean
  task?: ListrTaskWrapper<unknown, typeof KeptRenderer, never>
  /** resolved when the phase begins */
  begun: Promise<void>
  begin: () => void
  /** resolved when a later phase begins: this one is done */
  passed: Promise<void>
  pass: () => void
}

/**
 * Progress of one run of long work, shown for the `phases` it goes through
 * in order; a phase the run never reaches is shown skipped. stop() ends the
 * task list cleanly and at once (no spinner left, the cursor shown again), for
 * Ctrl-C, whose line is then printed without waiting.
 */
export class ProgressView {
  readonly #phases: Phase[]
  readonly #state = new Map<string, PhaseState>()
  #current = -1
  #ended!: () => void
  readonly #end = new Promise<void>((resolve) => (this.#ended = resolve))
  #list?: Promise<unknown>
  #tasks?: Listr['tasks']
  /** the run ended before its phase did: stopped (Ctrl-C) or failed */
  #cut = false

  constructor(phases: Phase[], private readonly terminal: boolean) {
    this.#phases = phases
    for (const phase of phases) {
      let begin!: () => void
      let pass!: () => void
      const begun = new Promise<void>((resolve) => (begin = resolve))
      const passed = new Promise<void>((resolve) => (pass = resolve))
      this.#state.set(phase.key, {begun, begin, passed, pass})
    }
  }

  /** Run `work` with the progress callback to pass to the library; the view ends with it. */
  async run<T>(work: (onProgress: OnProgress) => Promise<T>): Promise<T> {
    if (this.terminal) this.#list = this.#taskList()
    try {
      return await work((p) => this.#update(p))
    } catch (error) {
      this.#cut = true
      throw error
    } finally {
      this.#finish()
      await this.#list
    }
  }

  /**
   * End the view now (Ctrl-C), synchronously: the task list drawn one last
   * time (the phases done, the current one not finished, the rest skipped) and
   * the terminal given back, with no wait for listr2 to wind its tasks down.
   */
  stop(): void {
    this.#cut = true
    this.#finish()
    const renderer = this.#tasks && renderers.get(this.#tasks)
    if (!renderer) return
    this.#tasks!.forEach((task, i) => {
      const phase = this.#phases[i]!
      if (i < this.#current) task.state$ = ListrTaskState.COMPLETED
      else if (i > this.#current) task.state$ = ListrTaskState.SKIPPED
      else {
        task.title = `${this.#title(phase, this.#state.get(phase.key)!)}: not finished`
        task.state$ = ListrTaskState.FAILED
      }
    })
    renderers.delete(this.#tasks!)
    renderer.end()
  }

  #finish(): void {
    if (!this.terminal) for (const phase of this.#phases) this.#line(phase, true)
    this.#ended()
  }

  #update(p: Progress): void {
    const index = this.#phases.findIndex((phase) => phase.key === p.phase)
    const state = this.#state.get(p.phase)
    if (!state) return
    const now = performance.now()
    if (index > this.#current) {
      // the phases before it are done: their last line first
      for (const phase of this.#phases.slice(0, index)) {
        if (!this.terminal) this.#line(phase, true)
        this.#state.get(phase.key)!.pass()
      }
      this.#current = index
      state.started = now
      state.begin()
    }
    state.last = p
    state.unshown = true
    if (this.terminal) {
      // listr2 redraws when a title changes: a few times a second is enough
      if (state.task && (state.shown === undefined || now - state.shown >= 100)) {
        state.shown = now
        state.task.title = this.#title(this.#phases[index]!, state)
      }
    } else {
      this.#line(this.#phases[index]!, false)
    }
  }

  #title(phase: Phase, state: PhaseState): string {
    return state.last ? `${phase.title}: ${describeProgress(state.last, phase.unit, (performance.now() - state.started!) / 1000)}` : phase.title
  }

  /** A plain line on stderr: at most one a second, and the last one of a phase (`final`) unless it was shown. */
  #line(phase: Phase, final: boolean): void {
    const state = this.#state.get(phase.key)!
    const now = performance.now()
    if (!state.last || !state.unshown || (!final && state.shown !== undefined && now - state.shown < 1000)) return
    process.stderr.write(`${phase.key}: ${describeProgress(state.last, phase.unit, (now - state.started!) / 1000)}\n`)
    state.shown = now
    state.unshown = false
  }

  #taskList(): Promise<unknown> {
    const list = new Listr(
      this.#phases.map((phase) => ({
        title: phase.title,
        task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, typeof KeptRenderer, never>) => {
          const state = this.#state.get(phase.key)!
          state.task = task
          const reached = await Promise.race([state.begun.then(() => true), state.passed.then(() => false), this.#end.then(() => false)])
          if (!reached) {
            task.skip(phase.title)
            return
          }
          const finished = await Promise.race([state.passed.then(() => true), this.#end.then(() => !this.#cut)])
          task.title = this.#title(phase, state)
          // shown failed, with where it was
          if (!finished) throw new Error(`${task.title}: not finished`)
        },
      })),
      // Ctrl-C is the command's (base.ts): listr2's own handler would exit 127 with the screen as it was
      {exitOnError: false, registerSignalListeners: false, renderer: KeptRenderer},
    )
    this.#tasks = list.tasks
    return list.run().catch(() => undefined)
  }
}
