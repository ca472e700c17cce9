import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { SchedulerConfig } from '@cinderflow/config';
import {
  backendOf,
  Destinations,
  type RequestSpec,
  type ScheduleCreateVolume,
  VolumeRpc,
} from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import type { Outbox } from '@cinderflow/messaging';
import {
  applyTransition,
  lockBackend,
  MessageActions,
  MessageDetails,
  recordUserMessage,
  provisionedOnBackend,
  StatusConflictError,
  RecordNotFoundError,
  VolumeEntity,
  VolumesRepository,
} from '@cinderflow/persistence';
import { currentContext } from '@cinderflow/request-context';
import { CONFIG, LOGGER, OUTBOX } from '@cinderflow/service-runtime';
import { volumeMachine } from '@cinderflow/status-machines';
import {
  AvailabilityZoneFilter,
  CapabilitiesFilter,
  CapacityFilter,
  filterBackends,
} from '../../filters';
import type { BackendState } from '../../filters/backend-state';
import { HostManager } from '../../host-manager/host-manager';
import { volumeServicesByLiveness } from '../../host-manager/live-services';
import { ReportRequests } from '../../host-manager/report-requests';
import { CapacityWeigher, type WeighedBackend, weighBackends } from '../../weighers';
import { BackendReportsPendingError } from './backend-reports-pending.error';

/** How long a create waits for reports from live backends this scheduler has not heard from. */
const REPORT_WAIT_MS = 3_000;

type ClaimOutcome = 'claimed' | 'full' | 'moved-on';

/**
 * Places a new volume (Cinder's FilterScheduler.schedule_create_volume): filter the live
 * backends, weigh them, claim the volume for the best one that still has room once every
 * placement in the database is counted, and cast the create to it in the same transaction. Attempts beyond the limit,
 * or no backend left, end the volume in `error` with a user message — unless live backends
 * have not reported yet: then the message is to be retried (BackendReportsPendingError).
 */
@Injectable()
export class CreateVolumeScheduler {
  private readonly capacity = new CapacityFilter();
  private readonly filters = [
    new AvailabilityZoneFilter(),
    this.capacity,
    new CapabilitiesFilter(),
  ];
  private readonly weighers;
  /** Since when each create (volume and attempt) has waited for backends to be judged. */
  private readonly waitingSince = new Map<string, number>();

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly hosts: HostManager,
    private readonly reports: ReportRequests,
    @Inject(OUTBOX) private readonly outbox: Outbox,
    @Inject(CONFIG) private readonly config: SchedulerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.weighers = [new CapacityWeigher(config.CAPACITY_WEIGHT_MULTIPLIER)];
  }

  async handle(message: ScheduleCreateVolume): Promise<void> {
    const { request_spec: spec, retry } = message;
    const attempt = retry.num_attempts;
    const log = this.logger.child({ volume_id: spec.volume_id, attempt });

    const max = this.config.SCHEDULER_MAX_ATTEMPTS;
    if (attempt > max) {
      await this.fail(
        message,
        `Exceeded max scheduling attempts ${max} for resource ${spec.volume_id}`,
        log,
      );
      return;
    }
    const { live, recentlyDown } = await volumeServicesByLiveness(
      this.dataSource,
      this.config.SERVICE_DOWN_TIME_S,
    );
    await this.awaitReports(live, log);
    const failed = new Set(retry.backends);
    const candidates = this.hosts
      .backendStates(live)
      .filter((backend) => !failed.has(backend.serviceHost) && onResourceBackend(backend, spec));
    const passing = filterBackends(candidates, spec, this.filters);
    const best = await this.claimBest(weighBackends(passing, spec, this.weighers), message, log);
    if (best === 'moved-on') {
      log.info('volume no longer waiting for this attempt; nothing to do');
      return;
    }
    const key = `${spec.volume_id}:${attempt}`;
    if (!best) {
      // Backends that may well have room but cannot be judged yet: live ones that have not
      // reported, and ones whose heartbeat only just went stale (a database or broker outage
      // stops them all for a while). Not a reason to fail the volume, for a while.
      const waitingFor = [...this.hosts.unknown(live), ...recentlyDown].filter(
        (host) =>
          !failed.has(host) &&
          (spec.resource_backend === undefined || host === backendOf(spec.resource_backend)),
      );
      if (waitingFor.length > 0 && this.stillWaiting(key)) {
        throw new BackendReportsPendingError(spec.volume_id, waitingFor);
      }
      this.waitingSince.delete(key);
      await this.fail(
        message,
        `No valid backend was found among ${candidates.length} live candidate(s)`,
        log,
      );
      return;
    }
    this.waitingSince.delete(key);
    log.info(
      { host: best.backend.name, weight: best.weight, candidates: passing.length },
      'volume scheduled',
    );
  }

  /** True while a create has waited for backends less than one service down-time. */
  private stillWaiting(key: string): boolean {
    const now = Date.now();
    const since = this.waitingSince.get(key) ?? now;
    this.waitingSince.set(key, since);
    return now - since < this.config.SERVICE_DOWN_TIME_S * 1000;
  }

  /** Claims the volume for the first backend, best first, that still has room for it. */
  private async claimBest(
    weighed: readonly WeighedBackend[],
    message: ScheduleCreateVolume,
    log: Logger,
  ): Promise<WeighedBackend | 'moved-on' | undefined> {
    for (const candidate of weighed) {
      const outcome = await this.claim(candidate.backend, message);
      if (outcome === 'claimed') return candidate;
      if (outcome === 'moved-on') return outcome;
      log.info(
        { backend: candidate.backend.serviceHost },
        'no room once the placements in the database are counted; trying the next backend',
      );
    }
    return undefined;
  }

  /**
   * Claims the volume for `backend` if it has room once everything the database places there
   * is counted. The claim holds the backend's lock, so claims on one backend, from any number
   * of schedulers, take turns and each sees the ones before it; the capability report alone
   * does not count volumes still being created, nor other schedulers' placements.
   */
  private claim(backend: BackendState, message: ScheduleCreateVolume): Promise<ClaimOutcome> {
    const { request_spec: spec, retry } = message;
    const attempt = retry.num_attempts;
    return this.dataSource.transaction(async (tx) => {
      await lockBackend(tx, backend.serviceHost);
      const provisioned = await provisionedOnBackend(tx, backend.serviceHost, {
        excludeVolumeId: spec.volume_id,
      });
      const current = this.hosts.reconcile(backend.serviceHost, provisioned) ?? backend;
      if (!this.capacity.passes(current, spec)) return 'full';
      const volumes = new VolumesRepository(tx);
      if (!(await volumes.claimForCreate(spec.volume_id, backend.name, attempt))) return 'moved-on';
      // With the claim, so that a claimed volume always has its create on the way (a duplicate
      // of this message finds the attempt claimed and does nothing).
      await this.outbox.send(tx, Destinations.volume(backend.serviceHost), VolumeRpc.createVolume, {
        request_spec: spec,
        retry,
        host: backend.name,
      });
      // Counted before the commit lets the next claim on this backend in, so that this
      // scheduler's next claim does not count it a second time as unseen.
      this.hosts.consume(backend.serviceHost, spec.size);
      return 'claimed';
    });
  }

  /**
   * A backend that is up but has not reported to this scheduler (which may have just started)
   * would be passed over: ask all backends to report — once this scheduler can hear the
   * answers — and give them a moment.
   */
  private async awaitReports(live: ReadonlySet<string>, log: Logger): Promise<void> {
    if (this.hosts.unknown(live).length === 0) return;
    const deadline = Date.now() + REPORT_WAIT_MS;
    if (await this.reports.waitUntilBound(REPORT_WAIT_MS)) {
      await this.reports.requestIfDue();
    }
    while (this.hosts.unknown(live).length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const missing = this.hosts.unknown(live);
    if (missing.length > 0) {
      log.warn({ missing }, 'some live backends have not reported yet');
    }
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

/**
 * A volume made from a snapshot or another volume may only go where the source's bytes are
 * (Cinder's request_spec['resource_backend']): that pool when the source's host names one, else
 * any pool of that backend. A retry that excluded it leaves no candidate: no rescheduling elsewhere.
 */
export function onResourceBackend(backend: BackendState, spec: RequestSpec): boolean {
  const wanted = spec.resource_backend;
  if (wanted === undefined) return true;
  return wanted.includes('#') ? backend.name === wanted : backend.serviceHost === wanted;
}
