import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import type { BackupConfig } from '@cinderflow/config';
import { BACKUP_SERVICE, decodeBackupRecord } from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import { isTransientError } from '@cinderflow/messaging';
import {
  applyTransition,
  BackupEntity,
  finishWork,
  StatusConflictError,
  WorkClaims,
  type WorkRun,
  BackupsRepository,
} from '@cinderflow/persistence';
import { CONFIG, LOGGER } from '@cinderflow/service-runtime';
import { backupMachine } from '@cinderflow/status-machines';
import { BACKUP_DRIVER, BACKUP_HOST, GiB } from '../../backup-service';
import type { BackupMetadata, ChunkedBackupDriver } from '../../chunked/chunked-backup.driver';

/** The workers note of a running import. */
export const IMPORTING = 'importing';

/** Cinder's IMPORT_VOLUME_ID: the API creates the row with it; the record says the real one. */
const IMPORT_VOLUME_ID = '00000000-0000-0000-0000-000000000000';

/** Cinder's manager import_record: the keys a record must have. */
const REQUIRED = [
  'display_name',
  'display_description',
  'container',
  'size',
  'service_metadata',
  'object_count',
  'id',
];

const uuid = z.string().uuid();
const text = z.string().max(255).nullable();
/** What of an exported record goes into the row (Cinder's backup.update(backup_options)). */
const recordFields = z.object({
  id: uuid,
  volume_id: uuid.optional(),
  display_name: text,
  display_description: text,
  container: text,
  size: z.number().int().min(0).max(2_147_483_647),
  object_count: z.number().int().min(0).max(2_147_483_647),
  parent_id: uuid.nullable().optional(),
  num_dependent_backups: z.number().int().min(0).max(2_147_483_647).optional(),
  snapshot_id: uuid.nullable().optional(),
  data_timestamp: z.string().datetime({ offset: true }).nullable().optional(),
  metadata: z.record(z.string()).nullable().optional(),
});

class ImportRefused extends Error {}

/**
 * Cinder's backup manager import_record: the backup's data must be here (every chunk its
 * metadata lists, in this service's repository) before the row, filled from the record, is
 * `available` on this host; otherwise the backup is `error` with why. Nothing of the stored data
 * is touched either way: it is not this flow's to remove.
 *
 * One delivery at a time does the work (WorkClaims), on a row it takes for this host. A
 * transient failure (the database, or the storage of the repository, away for a while) gives
 * both back and propagates, so that the message runs again, here or at another backup service;
 * only a record or data that cannot be imported ends the backup `error`.
 */
@Injectable()
export class ImportBackupHandler {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(BACKUP_DRIVER) private readonly driver: ChunkedBackupDriver,
    @Inject(BACKUP_HOST) private readonly host: string,
    @Inject(CONFIG) private readonly config: BackupConfig,
    @Inject(WorkClaims) private readonly claims: WorkClaims,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async handle(backupId: string, backupService: string, backupUrl: string): Promise<void> {
    const log = this.logger.child({ backup_id: backupId });
    const run = this.claims.begin({
      resourceType: 'backup',
      resourceId: backupId,
      status: IMPORTING,
    });
    if (!run) {
      log.info('this backup is already being imported; nothing to do');
      return;
    }
    try {
      const claimed = await this.dataSource.transaction(async (tx) => {
        if (!(await run.claim(tx))) return false;
        // Only a row the API made for an import that no service took yet, or that this one
        // could not give back (a duplicate after the first delivery finished finds it filled).
        const taken = await new BackupsRepository(tx).claimImport(
          backupId,
          this.host,
          IMPORT_VOLUME_ID,
        );
        if (!taken) {
          await finishWork(tx, 'backup', backupId, IMPORTING);
          return false;
        }
        return true;
      });
      if (!claimed) {
        log.info('no import waiting for this backup; nothing to do');
        return;
      }
      try {
        await this.finish(backupId, await this.fields(backupId, backupService, backupUrl), log);
      } catch (error) {
        if (!(error instanceof ImportRefused)) throw error;
        await this.fail(backupId, error.message, log);
      }
    } catch (error) {
      // Transient or unexpected: give the row and the note back so that the message's
      // redelivery, here or elsewhere, imports it. If the database is away this fails too; the
      // row and the note stay this host's, and a run again here takes them over.
      await this.release(run, backupId).catch(() => undefined);
      throw error;
    } finally {
      run.end();
    }
  }

  /** The row's fields from the record, once the data is found; else ImportRefused. */
  private async fields(
    backupId: string,
    backupService: string,
    backupUrl: string,
  ): Promise<Partial<BackupEntity>> {
    if (backupService !== BACKUP_SERVICE) {
      throw new ImportRefused(
        `Import record failed, cannot find backup service to perform the import. Request service ${backupService}.`,
      );
    }
    let options: Record<string, unknown>;
    let meta: BackupMetadata;
    try {
      options = decodeBackupRecord(backupUrl);
      meta = await this.driver.verify(backupId);
    } catch (error) {
      // The data out of reach for a while is no reason to refuse it: the message runs again.
      if (isTransientError(error)) throw error;
      throw new ImportRefused((error as Error).message);
    }
    const missing = REQUIRED.filter((key) => !(key in options));
    if (missing.length > 0) {
      throw new ImportRefused(
        `Driver successfully decoded imported backup data, but there are missing fields (${missing.join(', ')}).`,
      );
    }
    if (options.id !== backupId) {
      throw new ImportRefused(
        `Trying to import backup metadata from id ${String(options.id)} into backup ${backupId}.`,
      );
    }
    const parsed = recordFields.safeParse(options);
    if (!parsed.success) throw new ImportRefused("Can't parse backup record.");
    const r = parsed.data;
    // A backup of a snapshot holds the snapshot's size, which a later extend may have passed.
    if (meta.size_bytes > r.size * GiB) {
      throw new ImportRefused(
        `backup ${backupId} holds ${meta.size_bytes} bytes, its record says ${r.size} GiB`,
      );
    }
    return {
      volume_id: r.volume_id ?? IMPORT_VOLUME_ID,
      display_name: r.display_name,
      display_description: r.display_description,
      container: r.container,
      size: r.size,
      object_count: r.object_count,
      parent_id: r.parent_id ?? null,
      num_dependent_backups: r.num_dependent_backups ?? 0,
      snapshot_id: r.snapshot_id ?? null,
      data_timestamp: r.data_timestamp ? new Date(r.data_timestamp) : null,
      metadata: r.metadata ?? {},
      availability_zone: this.config.AVAILABILITY_ZONE,
      host: this.host,
    };
  }

  /** The row goes back to no host and the note goes, at once (see handle). */
  private release(run: WorkRun, backupId: string): Promise<void> {
    return this.dataSource.transaction(async (tx) => {
      await new BackupsRepository(tx).releaseCreating(backupId, this.host, IMPORT_VOLUME_ID);
      await run.release(tx);
    });
  }

  private async finish(backupId: string, set: Partial<BackupEntity>, log: Logger): Promise<void> {
    await this.settle(backupId, 'create_succeeded', set);
    log.info('backup imported');
  }

  private async fail(backupId: string, reason: string, log: Logger): Promise<void> {
    log.error({ err: reason }, 'backup import failed');
    await this.settle(backupId, 'create_failed', { fail_reason: reason });
  }

  /** The import's end; a backup force-deleted or reset meanwhile is left as it is. */
  private settle(
    backupId: string,
    event: 'create_succeeded' | 'create_failed',
    set: Partial<BackupEntity>,
  ): Promise<void> {
    return this.dataSource.transaction(async (tx) => {
      await applyTransition(tx, {
        machine: backupMachine,
        entity: BackupEntity,
        id: backupId,
        event,
        set,
      }).catch((error: unknown) => {
        if (!(error instanceof StatusConflictError)) throw error;
      });
      await finishWork(tx, 'backup', backupId, IMPORTING);
    });
  }
}
