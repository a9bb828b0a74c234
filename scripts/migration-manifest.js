// Part of `npm run build`: the schema migrations' files and checksums, so the schema check on
// connect need not read and hash every file while they are unchanged (manifestChecksums).
import {writeFileSync} from 'node:fs'

import {migrationManifest, SCHEMA_MIGRATIONS_MANIFEST} from '../dist/lib/db/migrations.js'

writeFileSync(SCHEMA_MIGRATIONS_MANIFEST, JSON.stringify(await migrationManifest()) + '\n')
