import { Client } from 'pg';
import { BrokerUnavailableError, RemoteError, RpcTimeoutError } from './rpc-errors';
import { backoffMs, isTransientError, RetryLaterError } from './transient';

describe('isTransientError', () => {
  it('knows a PostgreSQL that does not answer, from the real driver', async () => {
    const client = new Client({ connectionString: 'postgres://postgres@127.0.0.1:1/x' });
    const error = await client.connect().catch((e: unknown) => e);
    expect(isTransientError(error)).toBe(true);
  });

  it.each([
    ['admin shutdown (a restart)', { code: '57P01', message: 'terminating connection' }],
    ['starting up', { code: '57P03', message: 'the database system is starting up' }],
    ['a connection exception class', { code: '08006', message: 'connection failure' }],
    ['a serialization failure', { code: '40001', message: 'could not serialize' }],
    ['a pool timeout', new Error('timeout exceeded when trying to connect')],
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
    [
      'TypeORM after the connection died',
      new Error('Query runner already released. Cannot run queries anymore.'),
    ],
    ['TypeORM wrapping the driver', { message: 'x', driverError: { code: '57P01' } }],
    ['a closed AMQP channel', new Error('Channel closed')],
    ['a broker that did not confirm', new BrokerUnavailableError('no confirm')],
    ['a peer that did not answer', new RpcTimeoutError('m', 'q', 10)],
    ['an explicit retry-later', new RetryLaterError('reports pending')],
  ])('%s is transient', (_what, error) => {
    expect(isTransientError(error)).toBe(true);
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a constraint violation', { code: '23505', message: 'duplicate key value' }],
    ['bad input text for a uuid', { code: '22P02', message: 'invalid input syntax for type uuid' }],
    ['a remote failure', new RemoteError('Error', 'driver failed', 'attach')],
    ['nothing at all', undefined],
  ])('%s is not', (_what, error) => {
    expect(isTransientError(error)).toBe(false);
  });
});

describe('backoffMs', () => {
  it('grows from about 100 ms and stays under its cap', () => {
    expect(backoffMs(0)).toBeLessThanOrEqual(100);
    expect(backoffMs(0)).toBeGreaterThanOrEqual(50);
    expect(backoffMs(3)).toBeGreaterThanOrEqual(400);
    for (let i = 0; i < 50; i++) expect(backoffMs(i, 5_000)).toBeLessThanOrEqual(5_000);
  });
});
