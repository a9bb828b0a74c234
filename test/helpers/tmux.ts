import {execFileSync} from 'node:child_process'

import {BIN, PATH_WITH_ANTHIAS} from './cli.js'

/** The built CLI in a real terminal: tmux runs it, send-keys types, capture-pane reads the screen. */
export class Terminal {
  private readonly socket = `anthias-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`

  constructor(args: string[], env: Record<string, string>, size = {columns: 80, rows: 40}) {
    const vars = Object.entries({PATH: PATH_WITH_ANTHIAS, ...env}).map(([k, v]) => `${k}=${shellQuote(v)}`)
    const command = `env -u CI -u NO_COLOR ${vars.join(' ')} ${shellQuote(process.execPath)} ${shellQuote(BIN)} ${args.map(shellQuote).join(' ')}; echo "EXIT=$?"; sleep 600`
    this.tmux('new-session', '-d', '-s', 'cli', '-x', String(size.columns), '-y', String(size.rows), command)
  }

  static available(): boolean {
    try {
      execFileSync('tmux', ['-V'], {stdio: 'ignore'})
      return true
    } catch {
      return false
    }
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], {encoding: 'utf8'})
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', 'cli', '-S', '-200')
  }

  /** Whether the program left the cursor visible (a task list hides it while it draws). */
  cursorShown(): boolean {
    return this.tmux('display-message', '-p', '-t', 'cli', '#{cursor_flag}').trim() === '1'
  }

  /** Type text (literally), then optionally press keys such as Enter, Down, C-c. */
  send(text: string, ...keys: string[]): void {
    if (text) this.tmux('send-keys', '-t', 'cli', '-l', text)
    if (keys.length > 0) this.tmux('send-keys', '-t', 'cli', ...keys)
  }

  async waitFor(text: string | RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const screen = this.screen()
      if (typeof text === 'string' ? screen.includes(text) : text.test(screen)) return screen
      if (Date.now() > deadline) throw new Error(`never saw ${text}; screen:\n${screen}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  /** Answer the prompt showing `prompt`: wait for it, type, press Enter. */
  async answer(prompt: string, text = ''): Promise<void> {
    await this.waitFor(prompt)
    this.send(text, 'Enter')
  }

  close(): void {
    try {
      this.tmux('kill-server')
    } catch {
      // already gone
    }
  }
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
