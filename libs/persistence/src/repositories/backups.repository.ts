import type { EntityManager } from 'typeorm';
import { BackupEntity } from '../entities/backup.entity';

/** Backup rows: what the backup API's update and import need beyond status changes. */
export class BackupsRepository {
  constructor(private readonly manager: EntityManager) {}

  /** The row with this id, deleted or not (an import may reuse a deleted backup's id). */
  findAny(id: string): Promise<BackupEntity | null> {
    return this.manager.findOne(BackupEntity, { where: { id } });
  }

  /** Name, description, metadata: fields no status depends on. */
  async updateFields(
    id: string,
    fields: Partial<Pick<BackupEntity, 'display_name' | 'display_description' | 'metadata'>>,
  ): Promise<void> {
    if (Object.keys(fields).length === 0) return;
    await this.manager.update(BackupEntity, { id, deleted: false }, fields);
  }

  /**
   * A new row for an imported backup; a deleted backup's row with the same id goes first
   * (Cinder revives it: nothing of the old row but its id survives the import).
   */
  async insertImported(row: Partial<BackupEntity> & { id: string }): Promise<void> {
    await this.manager.delete(BackupEntity, { id: row.id, deleted: true, status: 'deleted' });
    await this.manager.insert(BackupEntity, row);
  }
}
