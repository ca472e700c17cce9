import {
  apiSpec,
  ConfigError,
  glanceApiSpec,
  glanceTaskWorkerSpec,
  loadConfig,
  volumeSpec,
} from './config';

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

  it("takes Glance's image_member_quota: 128 by default, negative for no limit", () => {
    expect(loadConfig(glanceApiSpec, {}).GLANCE_IMAGE_MEMBER_QUOTA).toBe(128);
    expect(loadConfig(glanceApiSpec, { GLANCE_IMAGE_MEMBER_QUOTA: '-1' })).toMatchObject({
      GLANCE_IMAGE_MEMBER_QUOTA: -1,
    });
    expect(() => loadConfig(glanceApiSpec, { GLANCE_IMAGE_MEMBER_QUOTA: '1.5' })).toThrow(
      'must be an integer',
    );
  });

  it("takes Glance's user_storage_quota with its units, and Keystone's limits (-1: unlimited)", () => {
    const defaults = loadConfig(glanceApiSpec, {});
    expect(defaults).toMatchObject({
      GLANCE_USER_STORAGE_QUOTA: 0,
      GLANCE_USE_KEYSTONE_LIMITS: false,
      GLANCE_LIMIT_IMAGE_SIZE_TOTAL: -1,
      GLANCE_LIMIT_IMAGE_COUNT_TOTAL: -1,
      GLANCE_LIMIT_IMAGE_COUNT_UPLOADING: -1,
      GLANCE_UPLOAD_RESERVATION_EXPIRE_S: 86_400,
    });
    expect(
      loadConfig(glanceTaskWorkerSpec, { GLANCE_USER_STORAGE_QUOTA: '10GB' })
        .GLANCE_USER_STORAGE_QUOTA,
    ).toBe(10 * 1024 ** 3);
    expect(() => loadConfig(glanceApiSpec, { GLANCE_USER_STORAGE_QUOTA: '10 GB' })).toThrow(
      'Invalid value for option user_storage_quota: 10 GB',
    );
    expect(() => loadConfig(glanceApiSpec, { GLANCE_LIMIT_IMAGE_COUNT_TOTAL: '-2' })).toThrow(
      'or -1 for unlimited',
    );
  });
});
