import type { EntityManager, EntityTarget } from 'typeorm';
import { type StatusMachine, volumeMachine } from '@cinderflow/status-machines';
import { VolumeEntity } from './entities/volume.entity';
import {
  applyTransition,
  RecordNotFoundError,
  type StatusRow,
  StatusConflictError,
} from './transition';
import { finishWork } from './workers';
import {
  type MessageAction,
  MessageActions,
  type MessageDetail,
  type MessageResource,
  MessageDetails,
  recordUserMessage,
} from './user-messages';

/**
 * Leaves a resource whose work can no longer be carried on (its message is being
 * dead-lettered) in a settled error status, with a user message saying what failed. The first
 * event the resource's status allows is applied; a resource that already moved on, or is gone,
 * is left as it is. Returns whether anything changed.
 */
export async function settleResource<S extends string, E extends string, T extends StatusRow>(
  manager: EntityManager,
  request: {
    machine: StatusMachine<S, E>;
    entity: EntityTarget<T>;
    id: string;
    /** Tried in order; e.g. `create_failed` for a volume left `creating`. */
    events: readonly E[];
    set?: { [K in keyof T]?: T[K] | (() => string) };
    /** Extra guard, as applyTransition's: the resource must still be about this work. */
    where?: { sql: string; params: Record<string, unknown> };
    /** The `workers` note of the resource, removed with the change. */
    resourceType: string;
    message?: {
      requestId: string;
      action: MessageAction;
      detail: MessageDetail;
      explanation: string;
      resourceType?: MessageResource;
    };
  },
): Promise<boolean> {
  return manager.transaction(async (tx) => {
    for (const event of request.events) {
      try {
        const row = await applyTransition(tx, {
          machine: request.machine,
          entity: request.entity,
          id: request.id,
          event,
          set: request.set,
          where: request.where,
        });
        await finishWork(tx, request.resourceType, request.id);
        if (request.message) {
          await recordUserMessage(tx, {
            projectId: String(row.project_id),
            requestId: request.message.requestId,
            resourceUuid: request.id,
            action: request.message.action,
            detail: request.message.detail,
            explanation: request.message.explanation,
            resourceType: request.message.resourceType,
          });
        }
        return true;
      } catch (error) {
        if (error instanceof RecordNotFoundError) return false;
        if (!(error instanceof StatusConflictError)) throw error;
      }
    }
    return false;
  });
}

/** A volume whose create message is dead-lettered (by the scheduler or cinder-volume). */
export function settleVolumeCreate(
  manager: EntityManager,
  volumeId: string,
  requestId: string,
  reason: string,
): Promise<boolean> {
  return settleResource(manager, {
    machine: volumeMachine,
    entity: VolumeEntity,
    id: volumeId,
    events: ['create_failed'],
    resourceType: 'volume',
    message: {
      requestId,
      action: MessageActions.SCHEDULE_ALLOCATE_VOLUME,
      detail: MessageDetails.UNKNOWN_ERROR,
      explanation: reason,
    },
  });
}
