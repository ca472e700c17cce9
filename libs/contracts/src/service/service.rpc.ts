import { z } from 'zod';
import { callMethod } from '../rpc-method';

/** Cinder's log levels (cinder/utils.py LOG_LEVELS). */
export const LOG_LEVELS = ['INFO', 'WARNING', 'ERROR', 'DEBUG'] as const;

/**
 * What every registered service answers on its own queue (`<binary>.<host>`), after Cinder's
 * set_log_levels / get_log_levels in each rpcapi: API → one service.
 */
export const ServiceRpc = {
  /** Loggers whose name starts with `prefix` (all when empty) go to `level`. */
  setLogLevels: callMethod(
    'set_log_levels',
    z.object({ prefix: z.string().nullable(), level: z.enum(LOG_LEVELS) }),
    z.null(),
    10_000,
  ),
  /** `{logger name: level}` of the loggers whose name starts with `prefix`. */
  getLogLevels: callMethod(
    'get_log_levels',
    z.object({ prefix: z.string().nullable() }),
    z.record(z.string()),
    10_000,
  ),
};
