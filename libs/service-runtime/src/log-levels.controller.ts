import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ServiceRpc } from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import { RpcHandler } from '@cinderflow/messaging';
import { LOGGER } from './tokens';

/** The one logger a service has, under the name Cinder's own loggers start with. */
export const LOGGER_NAME = 'cinder';

const TO_PINO: Record<string, string> = {
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  ERROR: 'error',
};

/** pino's level as Python's logging names it (what get-log answers). */
export function pythonLevelOf(pinoLevel: string): string {
  const names: Record<string, string> = {
    trace: 'DEBUG',
    debug: 'DEBUG',
    info: 'INFO',
    warn: 'WARNING',
    error: 'ERROR',
    fatal: 'CRITICAL',
    silent: 'NOTSET',
  };
  return names[pinoLevel] ?? pinoLevel.toUpperCase();
}

/** set-log / get-log of os-services, answered by each registered service on its own queue. */
@Controller()
export class LogLevelsController {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  @RpcHandler(ServiceRpc.setLogLevels)
  setLogLevels(@Payload() m: { prefix: string | null; level: string }): null {
    // Cinder: every logger whose name starts with the prefix; pino applies the level at once.
    if (LOGGER_NAME.startsWith(m.prefix ?? '')) {
      const level = TO_PINO[m.level];
      this.logger.level = level;
      // At the new level, so that the line is written whatever the level.
      this.logger[level as 'info']({ level: m.level }, 'log level changed');
    }
    return null;
  }

  @RpcHandler(ServiceRpc.getLogLevels)
  getLogLevels(@Payload() m: { prefix: string | null }): Record<string, string> {
    return LOGGER_NAME.startsWith(m.prefix ?? '')
      ? { [LOGGER_NAME]: pythonLevelOf(this.logger.level) }
      : {};
  }
}
