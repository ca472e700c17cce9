import type { ActionContext, ActionResult } from './action-context';
import { extend } from './extend';
import { migrateVolume } from './migrate';
import { retype } from './retype';
import { setBootable, updateReadonlyFlag } from './flags';
import { setImageMetadata, showImageMetadata, unsetImageMetadata } from './image-metadata';
import { uploadImage } from './upload-image';

export type { ActionContext, ActionResult } from './action-context';

/** The volume actions that live in their own modules, by action name. */
export const VOLUME_ACTIONS: Record<
  string,
  (ctx: ActionContext, args: unknown) => Promise<ActionResult>
> = {
  'os-extend': extend,
  'os-retype': retype,
  'os-migrate_volume': migrateVolume,
  'os-set_bootable': setBootable,
  'os-update_readonly_flag': updateReadonlyFlag,
  'os-set_image_metadata': setImageMetadata,
  'os-unset_image_metadata': unsetImageMetadata,
  'os-show_image_metadata': showImageMetadata,
  'os-volume_upload_image': uploadImage,
};
