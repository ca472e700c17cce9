import { VolumeMetadataRepository } from '@cinderflow/persistence';
import { invalidVolume } from '../../common/cinder-errors';
import { BooleanLike, Strict, toBoolean } from '../../common/schema';
import { RequestSchema } from '../../common/validation';
import type { ActionContext, ActionResult } from './action-context';

const bootableBody = new RequestSchema(Strict({ bootable: BooleanLike }));
const readonlyBody = new RequestSchema(Strict({ readonly: BooleanLike }));

/**
 * os-set_bootable (200, no body): Cinder's volume_api.update, which refuses a volume in
 * maintenance only.
 */
export async function setBootable(ctx: ActionContext, args: unknown): Promise<ActionResult> {
  const bootable = toBoolean(bootableBody.check(args).bootable);
  const repo = new VolumeMetadataRepository(ctx.dataSource.manager);
  if (!(await repo.setBootable(ctx.volume.id, bootable))) {
    throw invalidVolume('The volume cannot be updated during maintenance.');
  }
  return { status: 200 };
}

/**
 * os-update_readonly_flag (202): the `readonly` admin metadata ('True'/'False', as Cinder
 * writes str(flag)), only while the volume is available. Attachments made later are `ro`.
 */
export async function updateReadonlyFlag(ctx: ActionContext, args: unknown): Promise<void> {
  const flag = toBoolean(readonlyBody.check(args).readonly) ? 'True' : 'False';
  const repo = new VolumeMetadataRepository(ctx.dataSource.manager);
  const result = await repo.setAdminItem(ctx.volume.id, 'readonly', flag, 'available');
  if (!result.ok) {
    throw invalidVolume(
      `Volume ${ctx.volume.id} status must be available to update readonly flag, ` +
        `but current status is: ${result.status ?? ctx.volume.status}.`,
    );
  }
}
