// Start-up, whole process: `anthias --version`, `anthias subdomain check acme` and
// `anthias tenant list --limit 1` against a running server, each against a bare oclif
// hello-world CLI (this repo's @oclif/core, ESM, with a manifest) timed in the same run.
// Interleaved rounds (each command once per round, the order rotating), the median of each.
//   node bench/startup.js [ROUNDS]
import {spawnSync} from 'node:child_process'
import {mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {freshDatabase, interleaved, ratio} from './lib.js'

const rounds = Number(process.argv[2] ?? 40)
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BIN = join(ROOT, 'bin', 'run.js')

/** A bare oclif CLI in a temporary directory: one `hello` command, ESM, with its manifest. */
function bareCli() {
  const dir = mkdtempSync(join(tmpdir(), 'anthias-bench-bare-'))
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  writeFileSync(join(dir, 'package.json'), JSON.stringify({name: 'bare', version: '1.0.0', type: 'module', files: ['bin', 'commands', 'oclif.manifest.json'], bin: {bare: 'bin/run.js'}, oclif: {bin: 'bare', dirname: 'bare', commands: './commands'}}))
  mkdirSync(join(dir, 'bin'))
  writeFileSync(join(dir, 'bin', 'run.js'), "#!/usr/bin/env node\nconst {execute} = await import('@oclif/core')\nawait execute({dir: import.meta.url})\n")
  mkdirSync(join(dir, 'commands'))
  writeFileSync(join(dir, 'commands', 'hello.js'), "import {Command} from '@oclif/core'\nexport default class Hello extends Command {\n  static description = 'say hello'\n  async run() {\n    this.log('hello world')\n  }\n}\n")
  const manifest = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'oclif', 'bin', 'run.js'), 'manifest'], {cwd: dir, encoding: 'utf8'})
  if (manifest.status !== 0) throw new Error(`oclif manifest failed: ${manifest.stderr}`)
  return {bin: join(dir, 'bin', 'run.js'), remove: () => rmSync(dir, {recursive: true, force: true})}
}

const bare = bareCli()
const db = await freshDatabase('startup')
try {
  const env = {...process.env, ANTHIAS_DATABASE_URL: db.url, NO_COLOR: '1'}
  delete env.DATABASE_URL
  await db.sql`insert into tenants (name, subdomain, plan_id, max_assets, max_users, max_devices, storage_quota_gb, password_policy)
    select 'Bench', 'bench', id, max_assets, max_users, max_devices, storage_quota_gb, '{}' from plans where position = 1`
  const cases = [
    ['bare oclif hello', [bare.bin, 'hello']],
    ['anthias --version', [BIN, '--version']],
    ['anthias subdomain check acme', [BIN, 'subdomain', 'check', 'acme']],
    ['anthias tenant list --limit 1', [BIN, 'tenant', 'list', '--limit', '1']],
  ]
  const medians = await interleaved(cases.map(([, args]) => ({args, env})), rounds)
  console.log(`start-up, whole process, median of ${rounds} interleaved rounds:`)
  cases.forEach(([name], i) => console.log(`  ${name.padEnd(30)} ${medians[i].toFixed(1)} ms`))
  const targets = [1.1, 1.5, 1.5]
  medians.slice(1).forEach((ms, i) => ratio(`start-up: ${cases[i + 1][0]}`, ms, medians[0], targets[i]))
} finally {
  await db.drop()
  bare.remove()
}

