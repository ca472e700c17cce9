import {
  type BackendCapabilities,
  type CapabilityReport,
  capabilityReportSchema,
  poolSchema,
} from '@cinderflow/contracts';
import { HostManager } from './host-manager';

const T0 = '2024-05-01T10:00:00.000Z';
const T1 = '2024-05-01T10:01:00.000Z';
const T2 = '2024-05-01T10:02:00.000Z';

function capabilities(overrides: Partial<BackendCapabilities> = {}): BackendCapabilities {
  return {
    volume_backend_name: 'file',
    vendor_name: 'cinderflow',
    driver_version: '1.0.0',
    storage_protocol: 'file',
    total_capacity_gb: 100,
    free_capacity_gb: 60,
    allocated_capacity_gb: 40,
    provisioned_capacity_gb: 40,
    reserved_percentage: 0,
    thin_provisioning_support: false,
    thick_provisioning_support: true,
    max_over_subscription_ratio: 1,
    multiattach: true,
    availability_zone: 'nova',
    ...overrides,
  };
}

function report(
  serviceHost: string,
  timestamp: string,
  overrides: Partial<BackendCapabilities> = {},
): CapabilityReport {
  // Parsing proves the fixture is what a real cinder-volume could send.
  return capabilityReportSchema.parse({
    service_host: serviceHost,
    timestamp,
    capabilities: capabilities(overrides),
  });
}

const live = (...hosts: string[]): ReadonlySet<string> => new Set(hosts);

describe('HostManager', () => {
  describe('update', () => {
    it('holds the first report for a backend', () => {
      const hosts = new HostManager();
      expect(hosts.update(report('node1@file', T0))).toBe(true);
      expect(hosts.backendStates(live('node1@file'))).toEqual([
        { name: 'node1@file#file', serviceHost: 'node1@file', capabilities: capabilities() },
      ]);
    });

    it('replaces the held report with a newer one', () => {
      const hosts = new HostManager();
      hosts.update(report('node1@file', T0, { free_capacity_gb: 60 }));
      expect(hosts.update(report('node1@file', T1, { free_capacity_gb: 55 }))).toBe(true);
      const [state] = hosts.backendStates(live('node1@file'));
      expect(state.capabilities.free_capacity_gb).toBe(55);
    });

    it('ignores a report older than the one held, and says so', () => {
      const hosts = new HostManager();
      hosts.update(report('node1@file', T2, { free_capacity_gb: 50 }));
      expect(hosts.update(report('node1@file', T1, { free_capacity_gb: 99 }))).toBe(false);

      const [state] = hosts.backendStates(live('node1@file'));
      expect(state.capabilities.free_capacity_gb).toBe(50);
      expect(hosts.pools()[0].capabilities.timestamp).toBe(T2);
    });

    it('compares timestamps as instants, not as strings', () => {
      const hosts = new HostManager();
      // 10:30+02:00 is 08:30Z: older than T0 although it sorts after it as a string.
      hosts.update(report('node1@file', T0, { free_capacity_gb: 50 }));
      expect(
        hosts.update(report('node1@file', '2024-05-01T10:30:00+02:00', { free_capacity_gb: 1 })),
      ).toBe(false);
      expect(hosts.backendStates(live('node1@file'))[0].capabilities.free_capacity_gb).toBe(50);
    });

    it('keeps each backend apart', () => {
      const hosts = new HostManager();
      hosts.update(report('node1@file', T2));
      // Older than node1's report, but the first from node2: held.
      expect(hosts.update(report('node2@file', T0))).toBe(true);
      expect(hosts.pools().map((p) => p.name)).toEqual(['node1@file#file', 'node2@file#file']);
    });

    it('copies the report: later changes to the object passed in do not leak in', () => {
      const hosts = new HostManager();
      const sent = report('node1@file', T0, { free_capacity_gb: 60 });
      hosts.update(sent);

      sent.capabilities.free_capacity_gb = 0;
      sent.capabilities.volume_backend_name = 'renamed';
      sent.service_host = 'elsewhere@file';

      const [state] = hosts.backendStates(live('node1@file'));
      expect(state.name).toBe('node1@file#file');
      expect(state.capabilities.free_capacity_gb).toBe(60);
    });

    it('does not change the report passed in when it later consumes capacity', () => {
      const hosts = new HostManager();
      const sent = report('node1@file', T0, { free_capacity_gb: 60 });
      hosts.update(sent);
      hosts.consume('node1@file', 5);
      expect(sent.capabilities.free_capacity_gb).toBe(60);
      expect(sent.capabilities.allocated_capacity_gb).toBe(40);
    });

    it('a fresh report replaces what was consumed since the last one', () => {
      const hosts = new HostManager();
      hosts.update(report('node1@file', T0, { free_capacity_gb: 60 }));
      hosts.consume('node1@file', 10);
      hosts.update(report('node1@file', T1, { free_capacity_gb: 52, allocated_capacity_gb: 48 }));
      const [state] = hosts.backendStates(live('node1@file'));
      expect(state.capabilities.free_capacity_gb).toBe(52);
      expect(state.capabilities.allocated_capacity_gb).toBe(48);
    });
  });

  describe('backendStates', () => {
    it('includes only live service hosts, each as one host@backend#volume_backend_name pool', () => {
      const hosts = new HostManager();
      hosts.update(report('node1@file', T0, { volume_backend_name: 'gold' }));
      hosts.update(report('node2@file', T0, { volume_backend_name: 'silver' }));
      hosts.update(report('node3@lvm', T0, { volume_backend_name: 'gold' }));

      const states = hosts.backendStates(live('node1@file', 'node3@lvm', 'node9@file'));

      expect(states.map((s) => [s.name, s.serviceHost])).toEqual([
        ['node1@file#gold', 'node1@file'],
        ['node3@lvm#gold', 'node3@lvm'],
      ]);
    });

    it('is empty when nothing is live', () => {
      const hosts = new HostManager();
      hosts.update(report('node1@file', T0));
      expect(hosts.backendStates(live())).toEqual([]);
    });
  });

  describe('consume', () => {
    it('subtracts the size from free and adds it to allocated and provisioned', () => {
      const hosts = new HostManager();
      hosts.update(
        report('node1@file', T0, {
          free_capacity_gb: 60,
          allocated_capacity_gb: 40,
          provisioned_capacity_gb: 30,
        }),
      );

      hosts.consume('node1@file', 7);
      hosts.consume('node1@file', 3);

      const [state] = hosts.backendStates(live('node1@file'));
      expect(state.capabilities).toEqual(
        capabilities({
          free_capacity_gb: 50,
          allocated_capacity_gb: 50,
          provisioned_capacity_gb: 40,
        }),
      );
      // What get_pools answers shows it too.
      expect(hosts.pools()[0].capabilities.free_capacity_gb).toBe(50);
    });

    it('does not touch other backends', () => {
      const hosts = new HostManager();
      hosts.update(report('node1@file', T0));
      hosts.update(report('node2@file', T0));

      hosts.consume('node1@file', 5);

      const byHost = new Map(
        hosts.backendStates(live('node1@file', 'node2@file')).map((s) => [s.serviceHost, s]),
      );
      expect(byHost.get('node1@file')?.capabilities.free_capacity_gb).toBe(55);
      expect(byHost.get('node2@file')?.capabilities).toEqual(capabilities());
    });

    it('ignores a backend it has no report for', () => {
      const hosts = new HostManager();
      hosts.update(report('node1@file', T0));
      expect(() => hosts.consume('ghost@file', 5)).not.toThrow();
      expect(hosts.unknown(live('ghost@file'))).toEqual(['ghost@file']);
      expect(hosts.backendStates(live('node1@file'))[0].capabilities).toEqual(capabilities());
    });
  });

  describe('reconcile', () => {
    it('counts what the database holds beyond the report as consumed', () => {
      const hosts = new HostManager();
      hosts.update(
        report('node1@file', T0, {
          free_capacity_gb: 60,
          allocated_capacity_gb: 40,
          provisioned_capacity_gb: 40,
        }),
      );

      const state = hosts.reconcile('node1@file', 55);

      const expected = capabilities({
        free_capacity_gb: 45,
        allocated_capacity_gb: 55,
        provisioned_capacity_gb: 55,
      });
      expect(state).toEqual({
        name: 'node1@file#file',
        serviceHost: 'node1@file',
        capabilities: expected,
      });
      // Held too: the next request is filtered with it.
      expect(hosts.backendStates(live('node1@file'))[0].capabilities).toEqual(expected);
    });

    it('adds nothing for what it consumed itself already', () => {
      const hosts = new HostManager();
      hosts.update(report('node1@file', T0, { provisioned_capacity_gb: 40 }));
      hosts.consume('node1@file', 10);

      hosts.reconcile('node1@file', 50);

      expect(hosts.backendStates(live('node1@file'))[0].capabilities).toMatchObject({
        free_capacity_gb: 50,
        provisioned_capacity_gb: 50,
      });
    });

    it('never lowers the picture: a report may know of space the database does not', () => {
      const hosts = new HostManager();
      hosts.update(report('node1@file', T0, { free_capacity_gb: 60, provisioned_capacity_gb: 40 }));

      const state = hosts.reconcile('node1@file', 12);

      expect(state?.capabilities).toEqual(capabilities());
      expect(hosts.backendStates(live('node1@file'))[0].capabilities).toEqual(capabilities());
    });

    it('returns a copy, and nothing for a backend it has no report for', () => {
      const hosts = new HostManager();
      hosts.update(report('node1@file', T0));
      const state = hosts.reconcile('node1@file', 0);
      state!.capabilities.free_capacity_gb = -1;
      expect(hosts.backendStates(live('node1@file'))[0].capabilities.free_capacity_gb).toBe(60);
      expect(hosts.reconcile('ghost@file', 10)).toBeUndefined();
      expect(hosts.unknown(live('ghost@file'))).toEqual(['ghost@file']);
    });
  });

  describe('unknown', () => {
    it('lists the live hosts without a report', () => {
      const hosts = new HostManager();
      hosts.update(report('node1@file', T0));
      hosts.update(report('dead@file', T0));

      expect(hosts.unknown(live('node1@file', 'node2@file', 'node3@file'))).toEqual([
        'node2@file',
        'node3@file',
      ]);
      expect(hosts.unknown(live('node1@file'))).toEqual([]);
      expect(new HostManager().unknown(live('node1@file'))).toEqual(['node1@file']);
    });
  });

  describe('pools', () => {
    function threeBackends(): HostManager {
      const hosts = new HostManager();
      hosts.update(report('node1@file', T0, { volume_backend_name: 'gold' }));
      hosts.update(report('node2@file', T1, { volume_backend_name: 'silver' }));
      hosts.update(report('node3@lvm', T2, { volume_backend_name: 'gold' }));
      return hosts;
    }

    it('lists every pool with its capabilities and the report timestamp', () => {
      const pools = threeBackends().pools();

      expect(pools).toEqual([
        {
          name: 'node1@file#gold',
          capabilities: { ...capabilities({ volume_backend_name: 'gold' }), timestamp: T0 },
        },
        {
          name: 'node2@file#silver',
          capabilities: { ...capabilities({ volume_backend_name: 'silver' }), timestamp: T1 },
        },
        {
          name: 'node3@lvm#gold',
          capabilities: { ...capabilities({ volume_backend_name: 'gold' }), timestamp: T2 },
        },
      ]);
      // The answer to get_pools must pass its own reply schema.
      for (const pool of pools) {
        expect(poolSchema.safeParse(pool).success).toBe(true);
      }
    });

    it('normalises the timestamp to ISO-8601 UTC', () => {
      const hosts = new HostManager();
      hosts.update(report('node1@file', '2024-05-01T12:00:00+02:00'));
      expect(hosts.pools()[0].capabilities.timestamp).toBe(T0);
    });

    it('filters by backend', () => {
      expect(
        threeBackends()
          .pools({ backend: 'node3@lvm' })
          .map((p) => p.name),
      ).toEqual(['node3@lvm#gold']);
      expect(threeBackends().pools({ backend: 'nowhere@file' })).toEqual([]);
    });

    it('filters by volume_backend_name', () => {
      expect(
        threeBackends()
          .pools({ volume_backend_name: 'gold' })
          .map((p) => p.name),
      ).toEqual(['node1@file#gold', 'node3@lvm#gold']);
    });

    it('filters by both at once', () => {
      const hosts = threeBackends();
      expect(
        hosts.pools({ backend: 'node1@file', volume_backend_name: 'gold' }).map((p) => p.name),
      ).toEqual(['node1@file#gold']);
      expect(hosts.pools({ backend: 'node1@file', volume_backend_name: 'silver' })).toEqual([]);
    });

    it('includes backends that are not live (get_pools reports what it knows)', () => {
      const hosts = threeBackends();
      hosts.backendStates(live());
      expect(hosts.pools()).toHaveLength(3);
    });

    // The contract refuses such a report; the host manager must not trust that alone.
    it('ignores a report whose timestamp does not parse', () => {
      const hosts = threeBackends();
      const bad = { ...report('node1@file', '2026-01-01T00:00:00Z'), timestamp: 'not a time' };
      expect(capabilityReportSchema.safeParse(bad).success).toBe(false);
      expect(hosts.update(bad)).toBe(false);
      expect(() => hosts.pools()).not.toThrow();
    });

    it('returns copies: changing an answer does not change the held state', () => {
      const hosts = threeBackends();
      const [first] = hosts.pools({ backend: 'node1@file' });
      first.capabilities.free_capacity_gb = -1;
      first.capabilities.volume_backend_name = 'changed';

      const [again] = hosts.pools({ backend: 'node1@file' });
      expect(again.capabilities.free_capacity_gb).toBe(60);
      expect(again.name).toBe('node1@file#gold');
      expect('timestamp' in hosts.backendStates(live('node1@file'))[0].capabilities).toBe(false);
    });
  });
});
