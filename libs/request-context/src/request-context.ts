import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * Who is asking and under which request id. The one place that defines it: the API builds it
 * from the auth headers, every message carries it, every service restores it before handling.
 */
export interface RequestContext {
  /** `req-<uuid>`, Cinder's X-OpenStack-Request-Id. */
  readonly requestId: string;
  readonly userId: string;
  readonly projectId: string;
  readonly roles: readonly string[];
  readonly isAdmin: boolean;
  /**
   * The caller's token, for calls made on its behalf (cinder-volume to glance-api, as Cinder
   * passes context.auth_token); absent for work a service starts on its own.
   */
  readonly authToken?: string;
}

export const REQUEST_ID_HEADER = 'x-openstack-request-id';

const REQUEST_ID_PATTERN = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function newRequestId(): string {
  return `req-${randomUUID()}`;
}

/** oslo.middleware only adopts an inbound id when it has the `req-<uuid>` shape. */
export function isValidRequestId(value: unknown): value is string {
  return typeof value === 'string' && REQUEST_ID_PATTERN.test(value);
}

/** A context for work a service starts on its own (heartbeats, start-up cleanup). */
export function systemContext(service: string): RequestContext {
  return {
    requestId: newRequestId(),
    userId: service,
    projectId: service,
    roles: ['admin'],
    isAdmin: true,
  };
}

const storage = new AsyncLocalStorage<RequestContext>();

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}
