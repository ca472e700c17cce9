import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import type { Logger } from '@cinderflow/logging';
import { currentContext, type RequestContext } from '@cinderflow/request-context';
import { noteServerError, RETRY_AFTER_S, startRequest } from './http-requests';

function fakes(inboundId?: string) {
  const headers = new Map<string, string>();
  const res = Object.assign(new EventEmitter(), {
    statusCode: 200,
    setHeader: (name: string, value: string) => headers.set(name.toLowerCase(), value),
  }) as unknown as Response;
  const req = {
    method: 'GET',
    originalUrl: '/v2/images?limit=1',
    header: (name: string) =>
      name.toLowerCase() === 'x-openstack-request-id' ? inboundId : undefined,
  } as unknown as Request;
  const lines: { level: string; fields: unknown; msg: string; context?: RequestContext }[] = [];
  const log =
    (level: string) =>
    (fields: unknown, msg: string): void => {
      lines.push({ level, fields, msg, context: currentContext() });
    };
  const logger = { info: log('info'), warn: log('warn'), error: log('error') } as unknown as Logger;
  return { req, res, headers, lines, logger };
}

describe('startRequest', () => {
  it("keeps a client's valid request id and answers with it", () => {
    const id = 'req-01234567-89ab-cdef-0123-456789abcdef';
    const { req, res, headers, logger } = fakes(id);
    const { requestId, anonymous } = startRequest(logger, req, res, () => undefined);
    expect(requestId).toBe(id);
    expect(headers.get('x-openstack-request-id')).toBe(id);
    expect(anonymous).toMatchObject({ requestId: id, userId: '-', isAdmin: false, roles: [] });
  });

  it('makes a new one for a missing or malformed id', () => {
    const { req, res, headers, logger } = fakes('not an id');
    const { requestId } = startRequest(logger, req, res, () => undefined);
    expect(requestId).toMatch(/^req-[0-9a-f-]{36}$/);
    expect(headers.get('x-openstack-request-id')).toBe(requestId);
  });

  it("logs one line when the response is finished, in the caller's context once known", () => {
    const { req, res, lines, logger } = fakes();
    const known: { caller?: RequestContext } = {};
    const { requestId } = startRequest(logger, req, res, () => known.caller);
    expect(lines).toHaveLength(0);
    const caller = { requestId, userId: 'u', projectId: 'p', roles: ['member'], isAdmin: false };
    known.caller = caller;
    res.statusCode = 204;
    res.emit('finish');
    expect(lines).toEqual([
      {
        level: 'info',
        msg: 'request',
        fields: expect.objectContaining({ method: 'GET', path: '/v2/images?limit=1', status: 204 }),
        context: caller,
      },
    ]);
  });

  it('logs an unauthenticated request in the anonymous context', () => {
    const { req, res, lines, logger } = fakes();
    const { anonymous } = startRequest(logger, req, res, () => undefined);
    res.emit('finish');
    expect(lines[0].context).toBe(anonymous);
  });
});

describe('noteServerError', () => {
  it('tells the client when to retry a 503 and warns', () => {
    const { res, headers, lines, logger } = fakes();
    noteServerError(logger, res, 503, new Error('connect ECONNREFUSED'));
    expect(headers.get('retry-after')).toBe(String(RETRY_AFTER_S));
    expect(lines.map((l) => [l.level, l.msg])).toEqual([['warn', 'dependency unavailable']]);
  });

  it('logs another 5xx as an error with its stack, and says nothing of a 4xx', () => {
    const { res, headers, lines, logger } = fakes();
    noteServerError(logger, res, 500, new Error('boom'));
    noteServerError(logger, res, 404, new Error('gone'));
    expect(headers.has('retry-after')).toBe(false);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', msg: 'request failed' });
    expect((lines[0].fields as { stack?: string }).stack).toContain('boom');
  });
});
