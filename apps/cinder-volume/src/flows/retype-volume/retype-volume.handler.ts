import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { QuotaEngine, VolumeEntity } from '@cinderflow/persistence';
import { defineWork, ManagerWork } from '@cinderflow/service-runtime';
import { volumeMachine } from '@cinderflow/status-machines';

/**
 * A retype on the volume's backend, or the move a retype needs. Either way the volume returns
 * to what it was (Cinder's retype ends in previous_status, failed or not). After a restart the
 * migration handler settles it (`resume` there fails it, undoing the migration's marks).
 */
export const RetypeVolumeWork = defineWork({
  resourceType: 'volume',
  machine: volumeMachine,
  entity: VolumeEntity,
  status: 'retyping',
  succeeded: 'retype_or_migrate_finished',
  failed: 'retype_or_migrate_finished',
  onRestart: 'resume',
});

/**
 * cinder/volume/manager.py retype on the same backend: the driver's retype (nothing to change
 * for the file driver: a file has no type), then the volume and its snapshots take the new type
 * and the API's quota reservations (the usage moved from the old type to the new) are committed,
 * in one transaction; they are rolled back if the retype ends otherwise.
 */
@Injectable()
export class RetypeVolumeHandler {
  private readonly quotas: QuotaEngine;

  constructor(
    private readonly work: ManagerWork,
    @Inject(DataSource) dataSource: DataSource,
  ) {
    this.quotas = new QuotaEngine(dataSource);
  }

  handle(volumeId: string, newTypeId: string, reservations: string[] = []) {
    return this.work.run(RetypeVolumeWork, volumeId, {
      run: () => Promise.resolve(),
      set: () => ({ volume_type_id: newTypeId, migration_status: null }),
      then: async (tx) => {
        // Cinder's "make the snapshots match the volume's type".
        await tx.query(
          `UPDATE snapshots SET volume_type_id = $2 WHERE volume_id = $1 AND NOT deleted`,
          [volumeId, newTypeId],
        );
        await this.quotas.commit(reservations, tx);
      },
      onFailure: (tx) => this.quotas.rollback(reservations, tx),
      onMovedOn: (m) => this.quotas.rollback(reservations, m),
    });
  }
}
