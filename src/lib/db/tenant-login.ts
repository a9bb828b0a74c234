/**
 * The connection tenant migrations run on: it logs in as a role made for one
 * run, without superuser or BYPASSRLS, a member only of anthias_app (the
 * tenant tables' rights) and anthias_migrator (ledger, audit, the tenant's row
 * lock), and runs the scripts itself. Whatever a script does, it cannot become
 * a more powerful role (SET ROLE, SET SESSION AUTHORIZATION and
 * set_config('role') need rights this login does not have), row-level security
 * applies to it, and the statement check keeps scripts off the ledger.
 *
 * How it authenticates: the password is random, stored only as a SCRAM-SHA-256
 * verifier computed here (the plain password never reaches the server or its
 * log), and valid for a day; the role is dropped when the run ends, and expired
 * ones of runs that were killed are dropped by the next run. The embedded server
 * accepts it (scram-sha-256 for 127.0.0.1). A server whose pg_hba.conf refuses
 * password logins for it (cert, peer, a user list), or a connecting role that
 * may not create roles, falls back to the connecting role, with a warning: the
 * statement check and the after-script check still apply there.
 */
import {createHash, createHmac, pbkdf2Sync, randomBytes} from 'node:crypto'

import type {Sql} from 'postgres'

import {connectAs} from './connect.js'
import {expiresIn} from '../expiry.js'
import {APP_ROLE, MIGRATOR_ROLE} from './tenant-context.js'

const LOGIN_PREFIX = 'anthias_migrate_'

export interface TenantLogin {
  /** the pool the tenant transactions run on */
  sql: Sql
  /** the role it logs in as (session_user) */
  login: string
  /**
   * Whether a script switches to the application role (SET LOCAL ROLE) to run:
   * when the login is the connecting role (the fallback, or a connecting role
   * without superuser or BYPASSRLS). A login made for the run runs the scripts,
   * takes the lock and writes the ledger itself, one role a transaction (as
   * Citus needs: a transaction's shards refuse a second role).
   */
  switchRole: boolean
  /** why it is the connecting role after all */
  warning?: string
  close(): Promise<void>
}

/** The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 7677; accepted by CREATE ROLE ... PASSWORD). */
function scramVerifier(password: string): string {
  const salt = randomBytes(16)
  const iterations = 4096
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256')
  const clientKey = createHmac('sha256', salted).update('Client Key').digest()
  const storedKey = createHash('sha256').update(clientKey).digest()
  const serverKey = createHmac('sha256', salted).update('Server Key').digest()
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`
}

const sessionUser = async (sql: Sql) => (await sql<{login: string}[]>`select session_user as login`)[0]!.login

/** A pool of `max` connections logged in as a confined role, made for this run. */
export async function openTenantLogin(sql: Sql, max: number): Promise<TenantLogin> {
  const [me] = await sql<{login: string; privileged: boolean}[]>`
    select session_user as login, rolsuper or rolbypassrls as privileged from pg_roles where rolname = session_user`
  // already confined: the connecting role is subject to row-level security itself; the scripts
  // still run as the application role (the connecting role may have more rights, on the tables
  // without row-level security too)
  if (me && !me.privileged) return {sql, login: me.login, switchRole: true, close: async () => undefined}

  const expired = await sql<{name: string}[]>`
    select rolname as name from pg_roles where rolname like ${LOGIN_PREFIX.replaceAll('_', '\\_') + '%'} and rolvaliduntil < now()`
  for (const {name} of expired) await sql.unsafe(`drop role if exists "${name}"`).catch(() => undefined)

  const login = `${LOGIN_PREFIX}${randomBytes(6).toString('hex')}`
  const password = randomBytes(24).toString('base64url')
  const fallback = async (reason: string): Promise<TenantLogin> => ({
    sql,
    login: await sessionUser(sql),
    switchRole: true,
    warning: `Tenant migrations ran as ${me?.login ?? 'the connecting role'}, not on a confined login (${reason}); each script was still checked before and after it ran.`,
    close: async () => undefined,
  })
  try {
    const validUntil = expiresIn(1).toISOString()
    await sql.unsafe(`create role "${login}" login nosuperuser nobypassrls nocreatedb nocreaterole inherit
      password '${scramVerifier(password)}' valid until '${validUntil}' in role ${APP_ROLE}, ${MIGRATOR_ROLE}`)
  } catch (error) {
    return fallback(`cannot create a login role: ${(error as Error).message}`)
  }
  const drop = () => sql.unsafe(`drop role if exists "${login}"`).then(() => undefined, () => undefined)
  const pool = await connectAs(sql, {user: login, password}, max)
  try {
    await pool`select 1`
  } catch (error) {
    await pool.end({timeout: 1})
    await drop()
    return fallback(`the server refused its login: ${(error as Error).message}`)
  }
  return {
    sql: pool,
    login,
    switchRole: false,
    async close() {
      await pool.end({timeout: 5})
      await drop()
    },
  }
}
