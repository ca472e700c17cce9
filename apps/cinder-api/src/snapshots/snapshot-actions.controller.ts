import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import type { RequestContext } from '@cinderflow/request-context';
import { SNAPSHOT_RESETTABLE_STATUSES } from '@cinderflow/status-machines';
import { Caller } from '../common/api-request';
import { badRequest, NOT_FOUND } from '../common/cinder-errors';
import { projectRoutes } from '../common/project-routes';
import { NotFoundMessage } from '../common/resource-ids';
import { RequestSchema } from '../common/validation';
import {
  checkProgress,
  CINDER_SNAPSHOT_STATUSES,
  resetStatusSchema,
  updateStatusSchema,
} from './snapshot.schemas';
import { SnapshotsService } from './snapshots.service';

const resetBody = new RequestSchema(resetStatusSchema);
const updateStatusBody = new RequestSchema(updateStatusSchema);

/**
 * `POST /snapshots/{id}/action`: the admin actions (os-reset_status, os-force_delete) and
 * os-update_snapshot_status (cinder/api/contrib/admin_actions.py, snapshot_actions.py).
 */
@Controller(projectRoutes('snapshots'))
@NotFoundMessage(NOT_FOUND.snapshot)
export class SnapshotActionsController {
  constructor(private readonly snapshots: SnapshotsService) {}

  @Post(':id/action')
  @HttpCode(202)
  async act(@Param('id') id: string, @Body() body: unknown, @Caller() caller: RequestContext) {
    if (
      !body ||
      typeof body !== 'object' ||
      Array.isArray(body) ||
      Object.keys(body).length !== 1
    ) {
      throw badRequest('Malformed request body');
    }
    const [action, args] = Object.entries(body as Record<string, unknown>)[0];
    switch (action) {
      case 'os-reset_status': {
        const { status: asked } = resetBody.check(args);
        const status = asked.toLowerCase();
        if (!(CINDER_SNAPSHOT_STATUSES as readonly string[]).includes(status)) {
          throw badRequest(
            `Snapshot status: ${asked} is invalid, valid statuses are: ` +
              `(${CINDER_SNAPSHOT_STATUSES.map((s) => `'${s}'`).join(', ')}).`,
          );
        }
        const snapshot = await this.snapshots.get(
          caller,
          id,
          'volume_extension:snapshot_admin_actions:reset_status',
        );
        if (!(SNAPSHOT_RESETTABLE_STATUSES as readonly string[]).includes(status)) {
          // `deleted` (and `updating`, which nothing here uses): Cinder would write it, but a
          // live row in a terminal status could never move again.
          throw badRequest(`Cannot reset-state to ${status}`);
        }
        return this.snapshots.resetStatus(snapshot, status);
      }
      case 'os-force_delete': {
        await this.snapshots.get(
          caller,
          id,
          'volume_extension:snapshot_admin_actions:force_delete',
        );
        return this.snapshots.delete(caller, id, true);
      }
      case 'os-update_snapshot_status': {
        const request = updateStatusBody.check(args);
        const progress = checkProgress(request.progress);
        const snapshot = await this.snapshots.get(
          caller,
          id,
          'snapshot_extension:snapshot_actions:update_snapshot_status',
        );
        return this.snapshots.updateStatus(snapshot, request.status, progress);
      }
      default:
        throw badRequest(`There is no such action: ${action}`);
    }
  }
}
