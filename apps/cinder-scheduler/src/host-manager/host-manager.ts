import type { BackendCapabilities, CapabilityReport, Pool } from '@cinderflow/contracts';
import type { BackendState } from '../filters/backend-state';

interface Entry {
  serviceHost: string;
  reportedAt: Date;
  capabilities: BackendCapabilities;
}

/**
 * The scheduler's picture of the backends, built from their capability reports (Cinder's
 * HostManager). Each scheduler keeps its own; between two reports it subtracts what it placed
 * itself, so back-to-back requests spread instead of piling onto one backend, and what the
 * database showed it when it claimed (`reconcile`). The picture only pre-selects: the claim
 * re-checks capacity against the database.
 */
export class HostManager {
  private readonly entries = new Map<string, Entry>();

  update(report: CapabilityReport): boolean {
    const reportedAt = new Date(report.timestamp);
    if (Number.isNaN(reportedAt.getTime())) {
      return false;
    }
    const held = this.entries.get(report.service_host);
    if (held && held.reportedAt > reportedAt) {
      return false; // an older report overtaken by a newer one
    }
    this.entries.set(report.service_host, {
      serviceHost: report.service_host,
      reportedAt,
      capabilities: { ...report.capabilities },
    });
    return true;
  }

  /** Live services this scheduler has not heard from yet (it just started, or they did). */
  unknown(liveServiceHosts: ReadonlySet<string>): string[] {
    return [...liveServiceHosts].filter((host) => !this.entries.has(host));
  }

  /** One pool per backend (`host@backend#volume_backend_name`), for the given live services. */
  backendStates(liveServiceHosts: ReadonlySet<string>): BackendState[] {
    return [...this.entries.values()]
      .filter((entry) => liveServiceHosts.has(entry.serviceHost))
      .map((entry) => ({
        name: poolName(entry),
        serviceHost: entry.serviceHost,
        capabilities: { ...entry.capabilities },
      }));
  }

  /** What a placement uses until the backend's next report (consume_from_volume). */
  consume(serviceHost: string, sizeGb: number): void {
    const entry = this.entries.get(serviceHost);
    if (!entry) return;
    const c = entry.capabilities;
    c.free_capacity_gb -= sizeGb;
    c.allocated_capacity_gb += sizeGb;
    c.provisioned_capacity_gb += sizeGb;
  }

  /**
   * Brings a backend's picture up to what the database says is provisioned on it (placements
   * its last report did not include yet: those of other schedulers, volumes still being
   * created). What the database holds beyond the picture counts as consumed; a picture that
   * already shows as much or more is left as it is. Returns the backend's state afterwards.
   */
  reconcile(serviceHost: string, provisionedGb: number): BackendState | undefined {
    const entry = this.entries.get(serviceHost);
    if (!entry) return undefined;
    const unseen = provisionedGb - entry.capabilities.provisioned_capacity_gb;
    if (unseen > 0) this.consume(serviceHost, unseen);
    return {
      name: poolName(entry),
      serviceHost: entry.serviceHost,
      capabilities: { ...entry.capabilities },
    };
  }

  pools(filter: { backend?: string; volume_backend_name?: string } = {}): Pool[] {
    return [...this.entries.values()]
      .filter((e) => !filter.backend || e.serviceHost === filter.backend)
      .filter(
        (e) =>
          !filter.volume_backend_name ||
          e.capabilities.volume_backend_name === filter.volume_backend_name,
      )
      .map((e) => ({
        name: poolName(e),
        capabilities: { ...e.capabilities, timestamp: e.reportedAt.toISOString() },
      }));
  }
}

function poolName(entry: Entry): string {
  return `${entry.serviceHost}#${entry.capabilities.volume_backend_name}`;
}
