import pino, { type DestinationStream, type Logger } from 'pino';
import { currentContext } from '@cinderflow/request-context';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Where lines go; stdout when absent. */
  destination?: DestinationStream;
}

/**
 * One JSON line per event. Every line carries the request id of the request being served (or
 * `-` outside of one), so a request can be followed through all services with one grep.
 */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  const settings: pino.LoggerOptions = {
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const ctx = currentContext();
      return ctx
        ? { request_id: ctx.requestId, user_id: ctx.userId, project_id: ctx.projectId }
        : { request_id: '-' };
    },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
