import { z } from 'zod';
import type { RequestContext } from '@cinderflow/request-context';
import { fromMessageContext, messageContextSchema, toMessageContext } from './message-context';
import { type CallMethod, callMethod, castMethod, type RpcMethod } from './rpc-method';
import { SchedulerRpc } from './scheduler/scheduler.rpc';
import { type CreateVolume, VolumeRpc } from './volume/volume.rpc';

const methods = (rpc: Record<string, RpcMethod>): [string, RpcMethod][] => Object.entries(rpc);

describe('castMethod / callMethod', () => {
  it('build a cast, and a call with a 30 s default timeout', () => {
    const payload = z.object({ a: z.number() });
    const reply = z.string();
    expect(castMethod('poke', payload)).toEqual({ kind: 'cast', name: 'poke', payload });
    expect(callMethod('ask', payload, reply)).toEqual({
      kind: 'call',
      name: 'ask',
      payload,
      reply,
      timeoutMs: 30_000,
    });
    expect(callMethod('ask', payload, reply, 1234).timeoutMs).toBe(1234);
  });
});

// Cinder's rpcapi: the create/delete path is casts; get_pools, get_capabilities and everything
// attach/detach (whose answer the API returns) are calls.
const CALLS = [
  'SchedulerRpc.getPools',
  'VolumeRpc.attachmentUpdate',
  'VolumeRpc.attachmentDelete',
  'VolumeRpc.initializeConnection',
  'VolumeRpc.terminateConnection',
  'VolumeRpc.attachVolume',
  'VolumeRpc.detachVolume',
  'VolumeRpc.initializeConnectionSnapshot',
  'VolumeRpc.terminateConnectionSnapshot',
  'VolumeRpc.migrationTarget',
  'VolumeRpc.getCapabilities',
];

describe('how each RPC method is sent', () => {
  it.each([
    ...methods(SchedulerRpc).map(([key, m]) => [`SchedulerRpc.${key}`, m] as const),
    ...methods(VolumeRpc).map(([key, m]) => [`VolumeRpc.${key}`, m] as const),
  ])('%s', (key, method) => {
    if (CALLS.includes(key)) {
      expect(method.kind).toBe('call');
      expect((method as CallMethod<unknown, unknown>).timeoutMs).toBeGreaterThan(0);
    } else {
      expect(method.kind).toBe('cast');
    }
  });

  it('uses Cinder method names, unique within each service', () => {
    expect(methods(SchedulerRpc).map(([, m]) => m.name)).toEqual([
      'create_volume',
      'update_service_capabilities',
      'get_pools',
      'migrate_volume',
      'retype',
      'extend_volume',
    ]);
    expect(methods(VolumeRpc).map(([, m]) => m.name)).toEqual([
      'create_volume',
      'delete_volume',
      'publish_service_capabilities',
      'get_capabilities',
      'attachment_update',
      'attachment_delete',
      'initialize_connection',
      'terminate_connection',
      'attach_volume',
      'detach_volume',
      'create_snapshot',
      'delete_snapshot',
      'revert_to_snapshot',
      'initialize_connection_snapshot',
      'terminate_connection_snapshot',
      'extend_volume',
      'retype',
      'migrate_volume',
      'migration_target',
      'copy_volume_to_image',
    ]);
  });
});

describe('VolumeRpc.createVolume payload', () => {
  const valid: CreateVolume = {
    request_spec: {
      volume_id: '3f2a4b1c-5d6e-4f70-8a9b-0c1d2e3f4a5b',
      size: 1,
      availability_zone: 'nova',
      volume_type: { id: 'type-1', name: '__DEFAULT__', extra_specs: {} },
    },
    retry: { num_attempts: 1, backends: [], exc_reasons: [] },
    host: 'node1@file#file',
  };
  const schema = VolumeRpc.createVolume.payload;

  it('accepts a valid message unchanged', () => {
    expect(schema.parse(valid)).toEqual(valid);
  });

  it('rejects a volume_id that is not a uuid', () => {
    const result = schema.safeParse({
      ...valid,
      request_spec: { ...valid.request_spec, volume_id: 'vol-1' },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['request_spec.volume_id']);
  });

  it.each([0, -1, 1.5])('rejects a size of %s', (size) => {
    const result = schema.safeParse({ ...valid, request_spec: { ...valid.request_spec, size } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['request_spec.size']);
  });

  it('carries the image a volume is made from, which must be a uuid', () => {
    const image = { ...valid.request_spec, image_id: '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d' };
    expect(schema.parse({ ...valid, request_spec: image }).request_spec.image_id).toBe(
      image.image_id,
    );
    const bad = schema.safeParse({ ...valid, request_spec: { ...image, image_id: 'cirros' } });
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['request_spec.image_id']);
  });

  it('rejects a message without the chosen host or the retry record', () => {
    const { host: _host, ...withoutHost } = valid;
    expect(schema.safeParse(withoutHost).success).toBe(false);
    const { retry: _retry, ...withoutRetry } = valid;
    expect(schema.safeParse(withoutRetry).success).toBe(false);
  });
});

describe('VolumeRpc.deleteVolume payload', () => {
  it('needs a uuid', () => {
    const schema = VolumeRpc.deleteVolume.payload;
    expect(schema.safeParse({ volume_id: '3f2a4b1c-5d6e-4f70-8a9b-0c1d2e3f4a5b' }).success).toBe(
      true,
    );
    expect(schema.safeParse({ volume_id: 'nope' }).success).toBe(false);
  });
});

describe('message context', () => {
  const ctx: RequestContext = {
    requestId: 'req-3f2a4b1c-5d6e-4f70-8a9b-0c1d2e3f4a5b',
    userId: 'user-1',
    projectId: 'project-1',
    roles: ['member', 'reader'],
    isAdmin: false,
  };

  it('carries the request context and stamps when it was sent', () => {
    const sentAt = new Date('2024-05-01T10:00:00.000Z');
    const message = toMessageContext(ctx, sentAt);
    expect(message).toEqual({
      request_id: ctx.requestId,
      user_id: 'user-1',
      project_id: 'project-1',
      roles: ['member', 'reader'],
      is_admin: false,
      sent_at: '2024-05-01T10:00:00.000Z',
    });
    expect(messageContextSchema.parse(message)).toEqual(message);
  });

  it('stamps the current time by default', () => {
    const before = Date.now();
    const { sent_at } = toMessageContext(ctx);
    const after = Date.now();
    const stamped = Date.parse(sent_at);
    expect(new Date(stamped).toISOString()).toBe(sent_at);
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(after);
  });

  it('round-trips through JSON, as it travels', () => {
    const admin: RequestContext = { ...ctx, roles: ['admin'], isAdmin: true };
    for (const original of [ctx, admin]) {
      const wire = JSON.parse(JSON.stringify(toMessageContext(original)));
      expect(fromMessageContext(messageContextSchema.parse(wire))).toEqual(original);
    }
  });

  it('copies the roles, so the message does not share the caller array', () => {
    const roles = ['member'];
    const message = toMessageContext({ ...ctx, roles });
    roles.push('admin');
    expect(message.roles).toEqual(['member']);
  });
});
