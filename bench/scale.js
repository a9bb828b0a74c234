// Growth: `tenant create` and `subdomain check` (a taken name, with its suggestions, and a free
// one), whole process, in a database of 1,000,000 tenants against the same in one of 1,000,
// both made in this run. Each tenant has what `tenant create` gives it: an owner invitation
// (user and membership), feature overrides and its audit row.
//   node bench/scale.js [BIG] [SMALL] [ROUNDS]
import {fileURLToPath} from 'node:url'

import {freshDatabase, interleaved, ratio, seconds} from './lib.js'

const big = Number(process.argv[2] ?? 1_000_000)
const small = Number(process.argv[3] ?? 1_000)
const rounds = Number(process.argv[4] ?? 25)
const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url))

/** n tenants, set-based, as `tenant create` would leave them (triggers off: no webhook endpoints, no quota to pass). */
async function fill(sql, n) {
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`
    await tx`
      insert into tenants (name, subdomain, plan_id, max_assets, max_users, max_devices, storage_quota_gb, contact_email, password_policy, spec_sha256, created_at)
      select 'Scale Tenant ' || g, 'bench-' || g, p.id, p.max_assets, p.max_users, p.max_devices, p.storage_quota_gb, 'billing' || g || '@bench.example.com',
        '{"minLength": 8, "requireNumbers": true, "requireSymbols": false, "passwordHistory": 0, "requireLowercase": true, "requireUppercase": true}',
        md5(g::text) || md5(g::text), now() - g * interval '1 second'
      from generate_series(1, ${n}::int) g join plans p on p.position = 1 + g % 3`
    await tx`insert into users (email) select 'owner' || g || '@bench.example.com' from generate_series(1, ${n}::int) g`
    await tx`
      insert into memberships (tenant_id, user_id, role, permissions, status, invitation_token_hash, invitation_expires_at)
      select t.id, u.id, 'owner', '{"admin": true}', 'invited', md5(t.id::text) || md5(u.id::text), now() + interval '7 days'
      from tenants t join users u on u.email = 'owner' || substr(t.subdomain, 7) || '@bench.example.com'`
    await tx`
      insert into tenant_features (tenant_id, feature, enabled)
      select t.id, f.name, true from tenants t
      join (select name, row_number() over (order by name) as n from features) f on f.n <= 1 + abs(hashtext(t.subdomain)) % 3`
    await tx`
      insert into audit_log (tenant_id, actor, action, subject, arguments, outcome)
      select id, 'bench', 'tenant.create', subdomain, jsonb_build_object('name', name, 'subdomain', subdomain, 'plan', plan_id), 'success' from tenants`
  })
  await sql`vacuum analyze`
}

const dbs = {small: await freshDatabase('scale_small'), big: await freshDatabase('scale_big')}
try {
  for (const [label, db] of Object.entries(dbs)) {
    const started = performance.now()
    await fill(db.sql, label === 'big' ? big : small)
    console.log(`  ${label}: ${label === 'big' ? big : small} tenants made in ${seconds(performance.now() - started)}`)
  }
  const envOf = (db) => {
    const env = {...process.env, ANTHIAS_DATABASE_URL: db.url, NO_COLOR: '1', ANTHIAS_ACTOR: 'bench'}
    delete env.DATABASE_URL
    return env
  }
  let created = 0
  // a new tenant every run: its own subdomain and owner
  const create = () => {
    const i = created++
    return [BIN, 'tenant', 'create', `Scale New ${i}`, `scale-new-${i}`, '--plan', 'professional', '--owner-email', `new-owner${i}@bench.example.com`,
      '--contact-email', `new-billing${i}@bench.example.com`, '--feature', 'api_access=true', '--no-input']
  }
  const commands = [
    ['tenant create', create, 0],
    ['subdomain check (taken)', () => [BIN, 'subdomain', 'check', 'bench-500'], 4],
    ['subdomain check (free)', () => [BIN, 'subdomain', 'check', 'acme'], 0],
  ]
  const cases = commands.flatMap(([, args, expected]) => ['big', 'small'].map((label) => ({
    env: envOf(dbs[label]),
    expected,
    get args() {
      return args()
    },
  })))
  const medians = await interleaved(cases, rounds)
  console.log(`whole process, median of ${rounds} interleaved rounds (${big} tenants against ${small}):`)
  commands.forEach(([name], i) => {
    const [ms, floor] = [medians[2 * i], medians[2 * i + 1]]
    console.log(`  ${name.padEnd(24)} ${ms.toFixed(1)} ms against ${floor.toFixed(1)} ms`)
    ratio(`scale: ${name}, ${big} tenants vs ${small}`, ms, floor, 1.1)
  })
} finally {
  await Promise.all(Object.values(dbs).map((db) => db.drop()))
}
