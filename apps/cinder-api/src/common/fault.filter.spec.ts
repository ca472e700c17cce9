import type { ArgumentsHost } from '@nestjs/common';
import { NotFoundException } from '@nestjs/common';
import { createLogger } from '@cinderflow/logging';
import { QueryFailedError } from 'typeorm';
import { BrokerUnavailableError, RemoteError, RpcTimeoutError } from '@cinderflow/messaging';
import { FaultFilter, isRemoteRefusal } from './fault.filter';

/** What the filter answers for an error: status and body. */
function answer(error: unknown): {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
} {
  const sent: { status: number; body: unknown; headers?: Record<string, string> } = {
    status: 0,
    body: undefined,
  };
  const res = {
    setHeader(name: string, value: string) {
      sent.headers = { ...sent.headers, [name.toLowerCase()]: value };
      return this;
    },
    status(code: number) {
      sent.status = code;
      return this;
    },
    json(body: unknown) {
      sent.body = body;
      return this;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost;
  new FaultFilter(createLogger('test', { level: 'silent' })).catch(error, host);
  return sent;
}

describe('FaultFilter', () => {
  it('answers a refusal from a backing service with the 4xx it stands for', () => {
    expect(
      answer(
        new RemoteError(
          'StatusConflictError',
          "volume: event 'attach' is not allowed from status 'available' (allowed from: attaching, reserved, in-use)",
          'attach_volume',
        ),
      ),
    ).toEqual({
      status: 400,
      body: {
        badRequest: {
          code: 400,
          message:
            "Invalid volume: event 'attach' is not allowed from status 'available' (allowed from: attaching, reserved, in-use)",
        },
      },
    });
    expect(
      answer(
        new RemoteError('RecordNotFoundError', 'volume v1 could not be found.', 'attach_volume'),
      ),
    ).toEqual({
      status: 404,
      body: { itemNotFound: { code: 404, message: 'Volume v1 could not be found.' } },
    });
  });

  it('keeps a backing service failing a 500, and a timeout a 503', () => {
    expect(answer(new RemoteError('Error', 'disk on fire', 'attach_volume')).status).toBe(500);
    const timeout = answer(new RpcTimeoutError('attach_volume', 'cinder-volume', 10));
    expect(timeout.status).toBe(503);
    expect(timeout.headers?.['retry-after']).toBe('2');
    expect(isRemoteRefusal(new RemoteError('Error', 'x', 'm'))).toBe(false);
    expect(isRemoteRefusal(new Error('x'))).toBe(false);
  });

  it('answers a value PostgreSQL refuses (SQLSTATE class 22) with 400, other database errors 500', () => {
    const dbError = (code: string) =>
      new QueryFailedError('SELECT 1', [], Object.assign(new Error('refused'), { code }));
    expect(answer(dbError('22P02'))).toEqual({
      status: 400,
      body: {
        badRequest: {
          code: 400,
          message: 'Invalid input received: a value in the request cannot be stored or compared.',
        },
      },
    });
    expect(answer(dbError('22021')).status).toBe(400);
    expect(answer(dbError('42P01')).status).toBe(500);
    // A serialization failure is worth trying again: 503, as for an outage.
    expect(answer(dbError('40001')).status).toBe(503);
  });

  it('answers a database or broker that is away with 503, Retry-After and no details', () => {
    const gone = answer(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    );
    expect(gone).toEqual({
      status: 503,
      headers: { 'retry-after': '2' },
      body: {
        serviceUnavailable: {
          code: 503,
          message:
            'The service is temporarily unavailable (database or message broker unreachable); try again later.',
        },
      },
    });
    expect(answer(new BrokerUnavailableError('no confirm')).status).toBe(503);
  });

  it("answers an unknown route with Cinder's 404", () => {
    expect(answer(new NotFoundException('Cannot GET /nope'))).toEqual({
      status: 404,
      body: { itemNotFound: { code: 404, message: 'The resource could not be found.' } },
    });
  });
});
