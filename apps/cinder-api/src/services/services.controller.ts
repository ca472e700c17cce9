import { Body, Controller, Get, Inject, Param, Put, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import type { ApiConfig } from '@cinderflow/config';
import { Binaries, Destinations, SchedulerRpc, ServiceRpc } from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import type { RpcClient } from '@cinderflow/messaging';
import { isServiceUp, ServiceRegistry, type ServiceEntity } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import {
  CONFIG,
  LOGGER,
  LOGGER_NAME,
  pythonLevelOf,
  RPC_CLIENT,
} from '@cinderflow/service-runtime';
import { Caller, Version } from '../common/api-request';
import { CinderHttpError, invalidInput, notFound } from '../common/cinder-errors';
import { timestamp } from '../common/links';
import type { ApiVersion } from '../common/microversion';
import { projectRoutes } from '../common/project-routes';
import { Authorize, authorize } from '../common/policy';
import {
  checkDisabledReason,
  disableLogReasonSchema,
  enableAndDisableSchema,
  failoverHostSchema,
  freezeAndThawSchema,
  getLogSchema,
  logLevelOf,
  setLogSchema,
} from './service.schemas';

/** Binaries set-log / get-log reach (Cinder's LOG_BINARIES, cinder-api answered in place). */
const LOG_BINARIES: string[] = [Binaries.scheduler, Binaries.volume, Binaries.backup, Binaries.api];

/** `os-services` (cinder/api/v3/services.py): list, enable/disable, freeze/thaw, log levels. */
@Controller(projectRoutes('os-services'))
export class ServicesController {
  private readonly registry: ServiceRegistry;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(RPC_CLIENT) private readonly rpc: RpcClient,
    @Inject(CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.registry = new ServiceRegistry(dataSource);
  }

  @Get()
  @Authorize('volume_extension:services:index')
  async list(
    @Query('host') host: string | undefined,
    @Query('binary') binary: string | undefined,
    @Version() version: ApiVersion,
  ) {
    // Glance's processes (glance-scrubber) heartbeat in the same table; Cinder lists its own.
    const services = (await this.registry.list({ host, binary })).filter((s) =>
      s.binary.startsWith('cinder-'),
    );
    const backendUp = version.atLeast('3.49') ? await this.poolBackends() : undefined;
    const now = new Date();
    return {
      services: services.map((s) => {
        const view: Record<string, unknown> = {
          binary: s.binary,
          host: s.host,
          zone: s.availability_zone,
          status: s.disabled ? 'disabled' : 'enabled',
          state: isServiceUp(s, now, this.config.SERVICE_DOWN_TIME_S) ? 'up' : 'down',
          updated_at: timestamp(s.updated_at),
        };
        if (backendUp && s.binary === Binaries.volume) {
          view.backend_state = backendUp.has(s.host) ? 'up' : null;
        }
        if (version.atLeast('3.7')) view.cluster = s.cluster_name;
        // os-extended-services (always loaded).
        view.disabled_reason = s.disabled_reason;
        if (s.binary === Binaries.volume) {
          view.replication_status = s.replication_status;
          view.active_backend_id = s.active_backend_id;
          view.frozen = s.frozen;
        }
        return view;
      }),
    };
  }

  /**
   * The collection actions, `PUT /os-services/{action}`. The body's schema first, then the
   * policy, as Cinder's validation decorator runs before the method.
   */
  @Put(':action')
  async update(
    @Param('action') action: string,
    @Body() body: unknown,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
    @Res({ passthrough: true }) res: Response,
  ) {
    switch (action) {
      case 'enable':
      case 'disable':
        return this.enableOrDisable(action, body, caller);
      case 'disable-log-reason':
        return this.disableLogReason(body, caller);
      case 'freeze':
      case 'thaw':
        return this.freezeOrThaw(action, body, caller, version);
      case 'failover_host':
        return this.failover(body, caller, version, false, res);
      case 'failover':
        if (version.atLeast('3.26')) return this.failover(body, caller, version, true, res);
        break;
      case 'set-log':
        if (version.atLeast('3.32')) return this.setLog(body, caller, res);
        break;
      case 'get-log':
        if (version.atLeast('3.32')) return this.getLog(body, caller);
        break;
    }
    throw invalidInput('Unknown action');
  }

  private async enableOrDisable(
    action: 'enable' | 'disable',
    raw: unknown,
    caller: RequestContext,
  ) {
    const body = enableAndDisableSchema.check(raw);
    authorize(caller, 'volume_extension:services:update');
    const host = hostOf(body.host);
    // `service` is the deprecated key; `binary` wins when both are given.
    const service = body.service ?? '';
    const binary = body.binary ?? '';
    const disabled = action === 'disable';
    await this.setDisabled(host, binary || service, disabled);
    return { host, service, binary, status: disabled ? 'disabled' : 'enabled', disabled };
  }

  private async disableLogReason(raw: unknown, caller: RequestContext) {
    const body = disableLogReasonSchema.check(raw);
    checkDisabledReason(body.disabled_reason);
    authorize(caller, 'volume_extension:services:update');
    const host = hostOf(body.host);
    const service = body.service ?? '';
    const binary = body.binary ?? '';
    const reason = body.disabled_reason ?? null;
    await this.setDisabled(host, binary || service, true, reason || null);
    return {
      host,
      service,
      binary,
      status: 'disabled',
      disabled: true,
      disabled_reason: reason,
    };
  }

  private async setDisabled(
    host: string,
    binary: string,
    disabled: boolean,
    reason?: string | null,
  ) {
    if (!(await this.registry.setDisabled(host, binary, disabled, reason))) {
      throw notFound(`Service ${binary} could not be found on host ${host}.`);
    }
  }

  /**
   * freeze-host / thaw-host: the backend's cinder-volume services flip `frozen` (Cinder's
   * _replication_db_change). The drivers here keep no state about it: the flag is the freeze.
   * Answered 200 with no body, as Cinder does.
   */
  private async freezeOrThaw(
    action: 'freeze' | 'thaw',
    raw: unknown,
    caller: RequestContext,
    version: ApiVersion,
  ): Promise<void> {
    const body = freezeAndThawSchema.check(raw);
    authorize(caller, 'volume_extension:services:update');
    const host = replicationHostOf(body, version);
    authorize(caller, action === 'freeze' ? 'volume:freeze_host' : 'volume:thaw_host');
    const expected = action === 'thaw';
    await this.replicationTargets(host);
    const { changed, unchanged } = await this.registry.setFrozen(host, expected);
    if (changed.length === 0) {
      throw invalidInput(
        `No service could be changed: frozen in ${pyList(unchanged)} must be ${expected ? 'True' : 'False'} to failover.`,
      );
    }
    if (unchanged.length > 0) {
      this.logger.warn({ hosts: unchanged }, `Some services could not be changed (${action})`);
    }
  }

  /**
   * failover_host (and `failover`, 3.26): only a backend whose replication is enabled or failed
   * over, and up, fails over; no driver here replicates, so Cinder's refusal is the answer.
   */
  private async failover(
    raw: unknown,
    caller: RequestContext,
    version: ApiVersion,
    clustered: boolean,
    res: Response,
  ): Promise<void> {
    const body = failoverHostSchema.check(raw);
    authorize(caller, 'volume_extension:services:update');
    const host = clustered ? replicationHostOf(body, version) : hostOf(body.host);
    authorize(caller, 'volume:failover_host');
    const services = await this.replicationTargets(host);
    const now = new Date();
    const able = services.filter(
      (s) =>
        ['enabled', 'failed-over'].includes(s.replication_status) &&
        isServiceUp(s, now, this.config.SERVICE_DOWN_TIME_S),
    );
    if (able.length === 0) {
      throw invalidInput(
        `No service could be changed: replication_status in ${pyList(services.map((s) => s.host))} must be ['enabled', 'failed-over'] and must be up to failover.`,
      );
    }
    // Unreachable while no backend replicates; kept as Cinder's answer for one that would.
    res.status(202);
  }

  /** Cinder's _get_cluster_and_services_for_replication: the host's cinder-volume services. */
  private async replicationTargets(host: string): Promise<ServiceEntity[]> {
    const services = await this.registry.list({ host, binary: Binaries.volume });
    if (services.length === 0) {
      // ServiceNotFound turned into InvalidInput with its message as is (_volume_api_proxy).
      throw new CinderHttpError(400, `No service found with host=${host}`);
    }
    return services;
  }

  /** set-log (3.32): cinder-api in place, every other matching service by a call. */
  private async setLog(raw: unknown, caller: RequestContext, res: Response): Promise<void> {
    const body = setLogSchema.check(raw);
    const level = logLevelOf(body.level);
    authorize(caller, 'volume_extension:services:update');
    const prefix = body.prefix ?? null;
    const { binaries, services } = await this.logTargets(body.binary, body.server);
    if (binaries.includes(Binaries.api) && LOGGER_NAME.startsWith(prefix ?? '')) {
      this.logger.level = level === 'WARNING' ? 'warn' : level.toLowerCase();
    }
    for (const s of services) {
      await this.rpc.call(Destinations.service(s.binary, s.host), ServiceRpc.setLogLevels, {
        prefix,
        level,
      });
    }
    res.status(202);
  }

  /** get-log (3.32): `{log_levels: [{host, binary, levels}]}`. */
  private async getLog(raw: unknown, caller: RequestContext) {
    const body = getLogSchema.check(raw);
    authorize(caller, 'volume_extension:services:update');
    const prefix = body.prefix ?? null;
    const { binaries, services } = await this.logTargets(body.binary, body.server);
    const result: { host: string; binary: string; levels: Record<string, string> }[] = [];
    const server = body.server;
    if ((!server || server === this.config.SERVICE_HOST) && binaries.includes(Binaries.api)) {
      result.push({
        host: this.config.SERVICE_HOST,
        binary: Binaries.api,
        levels: LOGGER_NAME.startsWith(prefix ?? '')
          ? { [LOGGER_NAME]: pythonLevelOf(this.logger.level) }
          : {},
      });
    }
    for (const s of services) {
      const levels = await this.rpc.call(
        Destinations.service(s.binary, s.host),
        ServiceRpc.getLogLevels,
        { prefix },
      );
      result.push({ host: s.host, binary: s.binary, levels });
    }
    return { log_levels: result };
  }

  /** Cinder's _log_params_binaries_services: which binaries, and which up services, are meant. */
  private async logTargets(
    binary: string | undefined,
    server: string | null | undefined,
  ): Promise<{ binaries: string[]; services: ServiceEntity[] }> {
    let binaries: string[] = [];
    let only: string | undefined;
    if (binary === undefined || binary === '' || binary === '*') binaries = LOG_BINARIES;
    else if (binary === Binaries.api) return { binaries: [binary], services: [] };
    else if (LOG_BINARIES.includes(binary)) {
      binaries = [binary];
      only = binary;
    }
    const now = new Date();
    const services = (await this.registry.list({ binary: only, host: server ?? undefined })).filter(
      (s) =>
        LOG_BINARIES.includes(s.binary) && isServiceUp(s, now, this.config.SERVICE_DOWN_TIME_S),
    );
    return { binaries, services };
  }

  /** Backends the scheduler has capabilities for (Cinder asks get_pools for backend_state). */
  private async poolBackends(): Promise<Set<string>> {
    try {
      const pools = await this.rpc.call(
        Destinations.scheduler(),
        SchedulerRpc.getPools,
        {},
        { timeoutMs: 5000 },
      );
      return new Set(pools.map((p) => p.name.split('#')[0]));
    } catch (error) {
      this.logger.warn(
        { err: (error as Error).message },
        'scheduler did not report pools; backend_state down',
      );
      return new Set();
    }
  }
}

/** common.get_cluster_host(req, body, False): the host, which must be there. */
function hostOf(host: string | null | undefined): string {
  if (!host) throw invalidInput('Host field is missing.');
  return host;
}

/**
 * common.get_cluster_host with REPLICATION_CLUSTER (3.26): from then one of cluster and host;
 * no clusters exist here, so a cluster names no service.
 */
function replicationHostOf(
  body: { host?: string | null; cluster?: string | null },
  version: ApiVersion,
): string {
  if (!version.atLeast('3.26')) return hostOf(body.host);
  if (Boolean(body.cluster) === Boolean(body.host)) {
    throw invalidInput('One and only one of cluster and host must be set.');
  }
  if (body.cluster) throw new CinderHttpError(400, `No service found with cluster=${body.cluster}`);
  return body.host!;
}

/** How Python prints a list of strings (Cinder's messages carry it). */
function pyList(items: string[]): string {
  return `[${items.map((i) => `'${i}'`).join(', ')}]`;
}
