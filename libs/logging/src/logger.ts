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
  const children = new ChildLoggers();
  settings.onChild = (child) => children.add(child);
  const root = options.destination ? pino(settings, options.destination) : pino(settings);
  root.on('level-change', (label, _value, previous, _prev, instance) => {
    if (instance === root) children.follow(previous, label);
  });
  return root;
}

/**
 * pino's children copy their parent's level when made; a service's long-lived ones (its AMQP
 * server's, its periodic tasks') would keep the old level after os-services set-log. They
 * follow the root here, unless one was given its own level.
 */
class ChildLoggers {
  private refs = new Set<WeakRef<Logger>>();
  private pruneAt = 1024;

  add(child: Logger): void {
    this.refs.add(new WeakRef(child));
    // Most children live for one message: forget the collected ones now and then.
    if (this.refs.size >= this.pruneAt) {
      for (const ref of this.refs) if (!ref.deref()) this.refs.delete(ref);
      this.pruneAt = Math.max(1024, this.refs.size * 2);
    }
  }

  follow(previous: string, level: string): void {
    for (const ref of this.refs) {
      const child = ref.deref();
      if (!child) this.refs.delete(ref);
      else if (child.level === previous) child.level = level;
    }
  }
}
