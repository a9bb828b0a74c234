/**
 * Backup files on disk, for the commands: the library writes a backup into a
 * file it is given (lib/backup.ts); here that file is made exclusively, mode
 * 0600, under a temporary name beside its path (lib/files.ts), and named only
 * when whole. An existing name is never replaced unless asked, and then only a
 * regular file.
 */
import {rm} from 'node:fs/promises'

import type {Sql} from 'postgres'

import {BACKUP_FILE_ERRORS, backupTenant, type BackupOptions, type BackupResult, type PublishableFile} from './lib/backup.js'
import {checkTarget, TempFile} from './lib/files.js'

/** tenant_backup_SUBDOMAIN_YYYYMMDDHHMMSS.sql, like the guide's tenant_backup_20240101.sql */
export const defaultBackupPath = (subdomain: string, gzip = false) =>
  `tenant_backup_${subdomain}_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}.sql${gzip ? '.gz' : ''}`

/**
 * A new file for a backup that will be named `path`: refused before any work
 * when something is there (with `replace`, something that is not a regular
 * file) or its directory cannot be written.
 */
export async function newBackupFile(path: string, options: {replace?: boolean} = {}): Promise<PublishableFile> {
  await checkTarget(path, BACKUP_FILE_ERRORS, options)
  const temp = await TempFile.create(path, BACKUP_FILE_ERRORS)
  let published = false
  return {
    name: path,
    handle: temp.handle,
    async publish() {
      await temp.publish(path, options)
      published = true
    },
    async remove() {
      if (published) await rm(path, {force: true})
      else await temp.discard()
    },
  }
}

/** Write a backup of one tenant to `path` (see newBackupFile); `force` replaces a regular file there. */
export async function writeBackupFile(sql: Sql, tenantRef: string, path: string, options: BackupOptions & {force?: boolean} = {}): Promise<BackupResult> {
  const {force, ...backup} = options
  const file = await newBackupFile(path, {replace: force})
  try {
    const result = await backupTenant(sql, tenantRef, file, backup)
    await file.publish()
    return result
  } catch (error) {
    await file.remove()
    throw error
  }
}
