import { runWithContext, systemContext } from '@cinderflow/request-context';
import { createLogger } from './logger';

describe('createLogger', () => {
  it('stamps every line with the current request id', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('unit', {
      destination: {
        write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
      },
    });
    const ctx = systemContext('unit');

    runWithContext(ctx, () => logger.info('inside'));
    logger.info('outside');

    expect(lines[0]).toMatchObject({
      service: 'unit',
      request_id: ctx.requestId,
      msg: 'inside',
      level: 'info',
    });
    expect(lines[1]).toMatchObject({ request_id: '-', msg: 'outside' });
  });

  it('a level change of the root reaches children made before it, not those with their own', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('unit', {
      level: 'debug',
      destination: {
        write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
      },
    });
    const server = logger.child({ component: 'server' });
    const nested = server.child({ work: 'w' });
    const own = logger.child({ component: 'own' });
    own.level = 'error';

    logger.level = 'warn';
    server.debug('hidden');
    nested.info('hidden too');
    server.warn('shown');

    expect(lines.map((l) => l.msg)).toEqual(['shown']);
    expect([server.level, nested.level, own.level]).toEqual(['warn', 'warn', 'error']);
  });
});
