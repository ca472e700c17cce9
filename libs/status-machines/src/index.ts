export * from './attachment.machine';
export * from './backup.machine';
export * from './diagram';
export * from './image-location.machine';
export * from './image-member.machine';
export * from './image.machine';
export * from './machine';
export * from './snapshot.machine';
export * from './task.machine';
export * from './volume-attach.machine';
export * from './volume.machine';

import { attachmentMachine } from './attachment.machine';
import { backupMachine } from './backup.machine';
import { imageLocationMachine } from './image-location.machine';
import { imageMemberMachine } from './image-member.machine';
import { imageMachine } from './image.machine';
import type { StatusMachine } from './machine';
import { snapshotMachine } from './snapshot.machine';
import { taskMachine } from './task.machine';
import { volumeAttachMachine } from './volume-attach.machine';
import { volumeMachine } from './volume.machine';

/** Every machine, in the order the documentation shows them. */
export const MACHINES: readonly StatusMachine<string, string>[] = [
  volumeMachine,
  volumeAttachMachine,
  attachmentMachine,
  snapshotMachine,
  backupMachine,
  imageMachine,
  imageLocationMachine,
  imageMemberMachine,
  taskMachine,
] as unknown as readonly StatusMachine<string, string>[];
export * from './document';
