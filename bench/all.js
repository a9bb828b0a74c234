// Every benchmark in turn, then one table of every ratio against its floor (each measured in
// the same run as its floor). `npm run bench` runs this after a build.
//   node bench/all.js [bench names...]   (default: all of them, in the order below)
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const BENCHES = ['bulk-create', 'validate', 'migrate-all', 'backup', 'lists', 'queue', 'api', 'startup', 'scale', 'citus']
const chosen = process.argv.length > 2 ? process.argv.slice(2) : BENCHES
const dir = mkdtempSync(join(tmpdir(), 'anthias-bench-summary-'))
const summary = join(dir, 'ratios.jsonl')
const failed = []
for (const name of chosen) {
  const script = fileURLToPath(new URL(`${name}.js`, import.meta.url))
  const result = spawnSync(process.execPath, [script], {stdio: 'inherit', env: {...process.env, ANTHIAS_BENCH_SUMMARY: summary}})
  if (result.status !== 0) failed.push(name)
}
let rows = []
try {
  rows = readFileSync(summary, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l))
} catch {
  // no bench recorded a ratio
}
rmSync(dir, {recursive: true, force: true})
const width = Math.max(10, ...rows.map((r) => r.name.length))
console.log(`\n${'ratio'.padEnd(width)}  measured     floor   ratio  target`)
for (const r of rows) {
  const ms = (v) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`).padStart(9)
  console.log(`${r.name.padEnd(width)} ${ms(r.measuredMs)} ${ms(r.floorMs)}  ${r.ratio.toFixed(2).padStart(5)}x  <= ${r.target}x${r.ratio <= r.target ? '' : '  OVER'}`)
}
if (failed.length > 0) {
  console.log(`\nfailed: ${failed.join(', ')}`)
  process.exitCode = 1
}
