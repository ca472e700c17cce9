import { apiSpec, ConfigError, loadConfig, volumeSpec } from './config';

describe('loadConfig', () => {
  it('fills defaults that point at the local services', () => {
    const config = loadConfig(apiSpec, {});
    expect(config.API_PORT).toBe(8776);
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/cinderflow');
    expect(config.AMQP_URL).toBe('amqp://guest:guest@127.0.0.1:5672');
  });

  it('names every bad variable and why', () => {
    let error: unknown;
    try {
      loadConfig(volumeSpec, {
        DATABASE_URL: 'nope',
        DRIVER_FAILURE_RATE: '2',
        VOLUME_BACKEND: 'a b',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(Object.keys(problems).sort()).toEqual([
      'DATABASE_URL',
      'DRIVER_FAILURE_RATE',
      'VOLUME_BACKEND',
    ]);
    expect(problems.DRIVER_FAILURE_RATE).toContain('from 0 to 1');
  });
});
