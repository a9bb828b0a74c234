import {stripVTControlCharacters} from 'node:util'

import {describe, expect, it, vi} from 'vitest'

import {describeProgress, formatBytes, ProgressView} from '../../src/ui/progress.js'

describe('progress rendering', () => {
  it('formatBytes: decimal units, one decimal below 10', () => {
    expect(formatBytes(347_283_052)).toBe('347 MB')
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(999)).toBe('999 B')
    expect(formatBytes(1500)).toBe('1.5 kB')
    expect(formatBytes(8_512_000)).toBe('8.5 MB')
    expect(formatBytes(2_000_000_000_000_000)).toBe('2000 TB')
  })

  it('describeProgress: rows and bytes so far, the rate, and an ETA only where a total is known', () => {
    expect(describeProgress({phase: 'backup', table: 'assets', rows: 1200, bytes: 3_400_000}, 'rows', 2)).toBe('assets: 1200 rows, 3.4 MB, 600 rows/s')
    expect(describeProgress({phase: 'read', rows: 100, totalRows: 400, bytes: 25_000_000, totalBytes: 100_000_000}, 'rows', 5)).toBe('100/400 rows, 25 MB of 100 MB, 5 MB/s, ETA 15s')
    expect(describeProgress({phase: 'migrate', rows: 10, totalRows: 4000}, 'tenants', 1)).toBe('10/4000 tenants, 10 tenants/s, ETA 6m39s')
    // no rate in the first second; the last line has no ETA
    expect(describeProgress({phase: 'delete', rows: 5, totalRows: 5})).toBe('5/5 rows')
  })

  it('stop() (Ctrl-C) ends the task list at once: its last frame is drawn before stop() returns', async () => {
    const written: string[] = []
    // listr2 draws its task list only in a terminal
    const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY')
    Object.defineProperty(process.stdout, 'isTTY', {value: true, configurable: true})
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(stripVTControlCharacters(String(chunk)))
      return true
    })
    try {
      const view = new ProgressView([{key: 'read', title: 'Read'}, {key: 'write', title: 'Write'}], true)
      const run = view.run(async (onProgress) => {
        onProgress({phase: 'read', rows: 5})
        await new Promise(() => undefined)
      })
      await vi.waitFor(() => expect(written.join('')).toContain('Read'))
      written.length = 0
      view.stop()
      const frame = written.join('')
      expect(frame).toContain('✖ Read: 5 rows: not finished')
      expect(frame).toContain('↓ Write')
      void run
    } finally {
      write.mockRestore()
      if (tty) Object.defineProperty(process.stdout, 'isTTY', tty)
      else delete (process.stdout as {isTTY?: boolean}).isTTY
    }
  })
})
