import { Injectable } from '@nestjs/common';
import { VolumeEntity } from '@cinderflow/persistence';
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
 * for the file driver: a file has no type), then the volume takes the new type.
 */
@Injectable()
export class RetypeVolumeHandler {
  constructor(private readonly work: ManagerWork) {}

  handle(volumeId: string, newTypeId: string) {
    return this.work.run(RetypeVolumeWork, volumeId, {
      run: () => Promise.resolve(),
      set: () => ({ volume_type_id: newTypeId, migration_status: null }),
    });
  }
}
