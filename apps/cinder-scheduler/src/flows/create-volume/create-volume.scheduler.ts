import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { SchedulerConfig } from '@cinderflow/config';
import { Destinations, type ScheduleCreateVolume, VolumeRpc } from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import type { RpcClient } from '@cinderflow/messaging';
import {
  applyTransition,
  MessageActions,
  MessageDetails,
  recordUserMessage,
  StatusConflictError,
  RecordNotFoundError,
  VolumeEntity,
} from '@cinderflow/persistence';
import { currentContext } from '@cinderflow/request-context';
import { CONFIG, LOGGER, RPC_CLIENT } from '@cinderflow/service-runtime';
import { volumeMachine } from '@cinderflow/status-machines';
import {
  AvailabilityZoneFilter,
  CapabilitiesFilter,
  CapacityFilter,
  filterBackends,
} from '../../filters';
import { HostManager } from '../../host-manager/host-manager';
import { liveVolumeServices } from '../../host-manager/live-services';
import { CapacityWeigher, weighBackends } from '../../weighers';

/**
 * Places a new volume (Cinder's FilterScheduler.schedule_create_volume): filter the live
 * backends, weigh them, claim the volume for the best one and cast the create to it. Attempts
 * beyond the limit, or no backend left, end the volume in `error` with a user message.
 */
const REPORT_REQUEST_INTERVAL_MS = 5_000;
const REPORT_WAIT_MS = 3_000;

@Injectable()
export class CreateVolumeScheduler {
  private lastReportRequest = 0;
  private readonly filters = [
    new AvailabilityZoneFilter(),
    new CapacityFilter(),
    new CapabilitiesFilter(),
  ];
  private readonly weighers;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly hosts: HostManager,
    @Inject(RPC_CLIENT) private readonly rpc: RpcClient,
    @Inject(CONFIG) private readonly config: SchedulerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.weighers = [new CapacityWeigher(config.CAPACITY_WEIGHT_MULTIPLIER)];
  }

  async handle(message: ScheduleCreateVolume): Promise<void> {
    const { request_spec: spec, retry } = message;
    const attempt = retry.num_attempts;
    const log = this.logger.child({ volume_id: spec.volume_id, attempt });

    if (await this.resendIfDuplicate(message, log)) {
      return;
    }
    const max = this.config.SCHEDULER_MAX_ATTEMPTS;
    if (attempt > max) {
      await this.fail(
        message,
        `Exceeded max scheduling attempts ${max} for resource ${spec.volume_id}`,
        log,
      );
      return;
    }
    const live = await liveVolumeServices(this.dataSource, this.config.SERVICE_DOWN_TIME_S);
    await this.awaitReports(live, log);
    const failed = new Set(retry.backends);
    const candidates = this.hosts
      .backendStates(live)
      .filter((backend) => !failed.has(backend.serviceHost));
    const passing = filterBackends(candidates, spec, this.filters);
    const [best] = weighBackends(passing, spec, this.weighers);
    if (!best) {
      await this.fail(
        message,
        `No valid backend was found among ${candidates.length} live candidate(s)`,
        log,
      );
      return;
    }
    const host = best.backend.name;
    const claim = await this.dataSource
      .createQueryBuilder()
      .update(VolumeEntity)
      .set({ host, scheduling_attempt: attempt })
      .where('id = :id AND deleted = false AND status = :status', {
        id: spec.volume_id,
        status: 'creating',
      })
      .andWhere('scheduling_attempt = :previous', { previous: attempt - 1 })
      .execute();
    if (claim.affected !== 1) {
      log.info('volume no longer waiting for this attempt; nothing to do');
      return;
    }
    this.hosts.consume(best.backend.serviceHost, spec.size);
    log.info({ host, weight: best.weight, candidates: passing.length }, 'volume scheduled');
    await this.rpc.cast(Destinations.volume(best.backend.serviceHost), VolumeRpc.createVolume, {
      request_spec: spec,
      retry,
      host,
    });
  }

  /**
   * A backend that is up but has not reported to this scheduler (which may have just started)
   * would be passed over: ask all backends to report, and give them a moment.
   */
  private async awaitReports(live: ReadonlySet<string>, log: Logger): Promise<void> {
    if (this.hosts.unknown(live).length === 0) return;
    if (Date.now() - this.lastReportRequest > REPORT_REQUEST_INTERVAL_MS) {
      this.lastReportRequest = Date.now();
      await this.rpc.cast(Destinations.volumeFanout(), VolumeRpc.publishServiceCapabilities, {});
    }
    const deadline = Date.now() + REPORT_WAIT_MS;
    while (this.hosts.unknown(live).length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const missing = this.hosts.unknown(live);
    if (missing.length > 0) {
      log.warn({ missing }, 'scheduling without reports from some live backends');
    }
  }

  /**
   * A redelivered message whose claim already committed: the cast that followed may not have
   * gone out, so send it again (cinder-volume ignores a create it has already done).
   */
  private async resendIfDuplicate(message: ScheduleCreateVolume, log: Logger): Promise<boolean> {
    const { request_spec: spec, retry } = message;
    const volume = await this.dataSource.manager.findOne(VolumeEntity, {
      where: { id: spec.volume_id, deleted: false },
    });
    if (
      !volume ||
      volume.status !== 'creating' ||
      volume.scheduling_attempt !== retry.num_attempts ||
      !volume.host
    ) {
      return false;
    }
    log.info({ host: volume.host }, 'attempt already scheduled; re-sending the create');
    await this.rpc.cast(Destinations.volume(volume.host.split('#')[0]), VolumeRpc.createVolume, {
      request_spec: spec,
      retry,
      host: volume.host,
    });
    return true;
  }

  private async fail(message: ScheduleCreateVolume, reason: string, log: Logger): Promise<void> {
    const { request_spec: spec, retry } = message;
    const explanation = [reason, ...retry.exc_reasons].join('; ');
    const context = currentContext();
    try {
      await this.dataSource.transaction(async (tx) => {
        const volume = await applyTransition(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: spec.volume_id,
          event: 'create_failed',
          set: { host: null, scheduling_attempt: retry.num_attempts },
          where: {
            sql: 'scheduling_attempt = :previous',
            params: { previous: retry.num_attempts - 1 },
          },
        });
        await recordUserMessage(tx, {
          projectId: volume.project_id,
          requestId: context?.requestId ?? '-',
          resourceUuid: volume.id,
          action: MessageActions.SCHEDULE_ALLOCATE_VOLUME,
          detail: MessageDetails.NO_BACKEND_AVAILABLE,
          explanation,
        });
      });
      log.error({ reason: explanation }, 'no valid backend; volume set to error');
    } catch (error) {
      if (error instanceof StatusConflictError || error instanceof RecordNotFoundError) {
        log.info('volume already moved on; nothing to do');
        return;
      }
      throw error;
    }
  }
}
