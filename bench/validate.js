// Dry-run validation of a large CSV (default 100,000 rows) against a bare csv-parse
// pass over the same file, each in its own process so that peak RSS is its own.
//   node bench/validate.js [ROWS]
import {execFileSync} from 'node:child_process'
import {createReadStream} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {parse} from 'csv-parse'

import {validateSource} from '../dist/lib/bulk/provision.js'
import {fileInput} from '../dist/inputs.js'
import {csvSource} from '../dist/lib/bulk/sources.js'
import {resolveContext} from '../dist/lib/context.js'
import {loadCatalog} from '../dist/lib/plans.js'
import {freshDatabase, ratio, tenantRows, writeCsv} from './lib.js'

const [mode, file] = process.argv.slice(2)

if (mode === 'bare' || mode === 'validate') {
  const started = performance.now()
  let rows = 0
  if (mode === 'bare') {
    for await (const record of createReadStream(file).pipe(parse({bom: true}))) rows += record.length > 0 ? 1 : 0
  } else {
    const db = await freshDatabase('validate')
    const catalog = await loadCatalog(db.sql)
    const t0 = performance.now()
    const {total, errors} = await validateSource(db.sql, csvSource(await fileInput(file, 'FILE')), catalog, resolveContext({}))
    rows = total
    if (errors.length > 0) throw new Error(`${errors.length} unexpected problems`)
    process.stdout.write(JSON.stringify({ms: performance.now() - t0, rows, rssMb: process.resourceUsage().maxRSS / 1024}) + '\n')
    await db.drop()
    process.exit(0)
  }
  process.stdout.write(JSON.stringify({ms: performance.now() - started, rows, rssMb: process.resourceUsage().maxRSS / 1024}) + '\n')
  process.exit(0)
}

const n = Number(mode ?? 100_000)
const dir = await mkdtemp(join(tmpdir(), 'anthias-bench-'))
const self = fileURLToPath(import.meta.url)
const run = (m, f) => JSON.parse(execFileSync(process.execPath, [self, m, f], {encoding: 'utf8'}))
try {
  const results = []
  for (const rows of [n, n * 2, n * 4]) {
    const path = join(dir, `t${rows}.csv`)
    await writeCsv(path, tenantRows(rows))
    results.push({rows, bare: run('bare', path), validate: run('validate', path)})
  }
  const [one, two, four] = results
  console.log(`dry-run validation (parse, validate every row, in-file duplicates, one conflict query)`)
  for (const r of results) {
    console.log(`  ${r.rows} rows: bare csv-parse ${(r.bare.ms / 1000).toFixed(2)} s, ${r.bare.rssMb.toFixed(0)} MB; validation ${(r.validate.ms / 1000).toFixed(2)} s, peak RSS ${r.validate.rssMb.toFixed(0)} MB; ratio ${(r.validate.ms / r.bare.ms).toFixed(2)}x`)
  }
  console.log(`  peak RSS ${one.validate.rssMb.toFixed(0)} MB at ${n} rows (target < 200), ${two.validate.rssMb.toFixed(0)} MB at twice the rows, ${four.validate.rssMb.toFixed(0)} MB at four times`)
  // linear growth: twice the rows within 2.1x the time
  ratio(`validation ${2 * n} rows vs ${n}`, two.validate.ms, one.validate.ms, 2.1)
} finally {
  await rm(dir, {recursive: true, force: true})
}
