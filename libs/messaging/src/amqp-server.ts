import { type CustomTransportStrategy, Server } from '@nestjs/microservices';
import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import { lastValueFrom } from 'rxjs';
import {
  type Destination,
  type Envelope,
  envelopeSchema,
  fromMessageContext,
  type Reply,
} from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import { runWithContext } from '@cinderflow/request-context';
import { AmqpContext } from './amqp-context';
import { AmqpTopology } from './amqp-topology';
import { CONTRACT_EXTRA, deadLetterPattern, type HandledMethod } from './rpc-handler.decorator';
import { backoffMs, isTransientError } from './transient';

export interface AmqpServerOptions {
  url: string;
  topology: AmqpTopology;
  /** What this process consumes: its work queues and the fanouts it listens to. */
  destinations: readonly Destination[];
  /** Unacknowledged messages a consumer may hold at once. */
  prefetch: number;
  /** Names this process's fanout queues, for people reading the broker's queue list. */
  owner: string;
  logger: Logger;
  /** Called each time the consumers are (re)bound, e.g. to ask peers for fresh reports. */
  onConsuming?: () => void;
}

/** What a dead-letter handler (`@RpcDeadLetter`) is given: the payload as sent, and why. */
export interface DeadLetter {
  payload: unknown;
  reason: string;
}

/**
 * A Nest transport over RabbitMQ with Cinder's delivery rules: a message is acknowledged only
 * after its handler finished (so its database work has committed); a call gets its result or
 * error as a reply. A cast whose handler fails for a transient reason (database or broker away)
 * waits with backoff and runs again until it succeeds; one that fails otherwise is retried
 * once, then dead-lettered, after its dead-letter handler settled the resource it was about.
 */
export class AmqpServer extends Server implements CustomTransportStrategy {
  private connection?: AmqpConnectionManager;
  private channel?: ChannelWrapper;
  private readonly inFlight = new Set<Promise<void>>();
  /** Channels of connections that dropped: their deliveries can no longer be acknowledged. */
  private readonly closedChannels = new WeakSet<Channel>();
  private readonly closing = new AbortController();
  /** Deliveries of the same message (method and payload) run one after the other, see handle. */
  private readonly running = new Map<string, Promise<void>>();
  private readonly log: Logger;

  constructor(private readonly options: AmqpServerOptions) {
    super();
    this.log = options.logger.child({ component: 'amqp-server' });
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      const { url, topology, destinations, prefetch, owner } = this.options;
      this.connection = amqp.connect([url], {
        heartbeatIntervalInSeconds: 10,
        reconnectTimeInSeconds: 1,
      });
      this.connection.on('disconnect', ({ err }) =>
        this.log.warn({ err: err?.message }, 'disconnected from RabbitMQ; reconnecting'),
      );
      this.channel = this.connection.createChannel({
        confirm: true,
        setup: async (channel: Channel) => {
          channel.once('close', () => this.closedChannels.add(channel));
          // e.g. a delivery held past the broker's consumer_timeout: logged, not a crash.
          channel.on('error', (error: Error) =>
            this.log.warn({ err: error.message }, 'RabbitMQ closed the channel'),
          );
          await channel.prefetch(prefetch);
          for (const destination of destinations) {
            const queue = await topology.declareConsumerQueue(channel, destination, owner);
            await channel.consume(queue, (msg) => msg && this.track(this.handle(channel, msg)), {
              noAck: false,
            });
            this.log.info({ queue }, 'consuming');
          }
          this.options.onConsuming?.();
        },
      });
      await this.channel.waitForConnect();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Whether the broker connection is up right now (health reports). */
  isConnected(): boolean {
    return this.connection?.isConnected() ?? false;
  }

  /** Stops taking messages, lets the ones in hand finish, then disconnects. */
  async close(): Promise<void> {
    this.closing.abort(); // handlers waiting out an outage give their message back
    await this.channel?.cancelAll().catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
    await this.channel?.close().catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
  }

  on(): void {
    // Connection events are logged in listen(); Nest's event API is not used.
  }

  unwrap<T>(): T {
    return this.connection as T;
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) =>
      this.log.error({ err: (error as Error).message }, 'message handling failed unexpectedly'),
    );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private async handle(channel: Channel, msg: ConsumeMessage): Promise<void> {
    const delivery = new Delivery(channel, msg, this.closedChannels, this.log);
    let envelope: Envelope;
    try {
      envelope = envelopeSchema.parse(JSON.parse(msg.content.toString('utf8')));
    } catch (error) {
      this.log.error({ err: String(error) }, 'unreadable message dead-lettered');
      delivery.deadLetter();
      return;
    }
    // A duplicate (a re-publication, a redelivery) waits for the delivery in hand, then finds
    // its work done. Across processes, the handlers' conditional updates do the same.
    const key = `${envelope.method}:${JSON.stringify(envelope.payload)}`;
    const before = this.running.get(key);
    const turn = (before ?? Promise.resolve()).then(() => this.run(envelope, msg, delivery));
    const settled = turn.catch(() => undefined);
    this.running.set(key, settled);
    try {
      await turn;
    } finally {
      if (this.running.get(key) === settled) this.running.delete(key);
    }
  }

  private async run(envelope: Envelope, msg: ConsumeMessage, delivery: Delivery): Promise<void> {
    if (!delivery.open) return; // waited behind a copy while the channel died: redelivered
    const context = fromMessageContext(envelope.context);
    await runWithContext(context, async () => {
      const replyTo = msg.properties.replyTo as string | undefined;
      const started = Date.now();
      for (let attempt = 0; ; attempt++) {
        try {
          const result = await this.dispatch(envelope, msg);
          if (replyTo) delivery.reply({ ok: true, result: result ?? null });
          delivery.ack();
          this.log.info({ method: envelope.method, ms: Date.now() - started }, 'handled');
          return;
        } catch (error) {
          const err = error instanceof Error ? error : new Error(String(error));
          if (replyTo) {
            // The caller gets the error (a 503 for a transient one); a call nobody waits for
            // any more must not run again.
            delivery.reply({ ok: false, error: { type: err.name, message: err.message } });
            delivery.ack();
            this.log.warn({ method: envelope.method, err: err.message }, 'call failed');
            return;
          }
          if (isTransientError(err)) {
            if (attempt % 10 === 0) {
              this.log.warn(
                { method: envelope.method, err: err.message, attempt },
                'handler hit a transient failure; waiting to run it again',
              );
            }
            if (!(await this.pause(backoffMs(attempt), delivery))) {
              this.log.info({ method: envelope.method }, 'message given back to the broker');
              return;
            }
            continue;
          }
          const poison = err instanceof UnroutableMessageError || msg.fields.redelivered;
          if (!poison) {
            delivery.requeue();
            this.log.error(
              { method: envelope.method, err: err.message, stack: err.stack },
              'handler failed; message requeued once',
            );
            return;
          }
          if (!(await this.settle(envelope, err, delivery))) {
            // Closing, or the channel died: the message comes back and is settled then.
            this.log.warn({ method: envelope.method }, 'message given back to the broker');
            return;
          }
          delivery.deadLetter();
          this.log.error(
            { method: envelope.method, err: err.message, stack: err.stack },
            'handler failed; message dead-lettered',
          );
          return;
        }
      }
    });
  }

  /**
   * Before a message is dead-lettered, its method's dead-letter handler (if any) settles the
   * resource it was about, e.g. a volume left `creating` ends `error` with a user message.
   */
  private async settle(envelope: Envelope, error: Error, delivery: Delivery): Promise<boolean> {
    const handler = this.getHandlerByPattern(deadLetterPattern(envelope.method));
    if (!handler) return true;
    const letter: DeadLetter = { payload: envelope.payload, reason: error.message };
    for (let attempt = 0; ; attempt++) {
      try {
        const out = await handler(letter);
        await lastValueFrom(this.transformToObservable(out), { defaultValue: undefined });
        return true;
      } catch (failure) {
        if (isTransientError(failure)) {
          if (await this.pause(backoffMs(attempt), delivery)) continue;
          return false;
        }
        // A bug in the settling itself: retrying would loop; the dead letter keeps the message.
        this.log.error(
          { method: envelope.method, err: (failure as Error).message },
          'could not settle the resource of a dead-lettered message',
        );
        return true;
      }
    }
  }

  /** Waits; false when the service is closing or the delivery's channel died meanwhile. */
  private async pause(ms: number, delivery: Delivery): Promise<boolean> {
    const signal = this.closing.signal;
    if (signal.aborted) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
    return !signal.aborted && delivery.open;
  }

  private async dispatch(envelope: Envelope, msg: ConsumeMessage): Promise<unknown> {
    const handler = this.getHandlerByPattern(envelope.method);
    if (!handler) {
      throw new UnroutableMessageError(`no handler for method '${envelope.method}'`);
    }
    const contract = (handler.extras as Record<string, HandledMethod> | undefined)?.[
      CONTRACT_EXTRA
    ];
    const parsed = contract ? contract.payload.safeParse(envelope.payload) : undefined;
    if (parsed && !parsed.success) {
      throw new UnroutableMessageError(
        `invalid payload for '${envelope.method}': ${parsed.error.issues
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ')}`,
      );
    }
    const payload: unknown = parsed ? parsed.data : envelope.payload;
    const out = await handler(payload, new AmqpContext([msg, envelope.context]));
    return lastValueFrom(this.transformToObservable(out), { defaultValue: undefined });
  }
}

/**
 * One delivery and its channel. After the connection dropped, the channel is closed and the
 * broker will deliver the message again: acknowledging it then is impossible and needless.
 */
class Delivery {
  constructor(
    private readonly channel: Channel,
    private readonly msg: ConsumeMessage,
    private readonly closedChannels: WeakSet<Channel>,
    private readonly log: Logger,
  ) {}

  get open(): boolean {
    return !this.closedChannels.has(this.channel);
  }

  ack(): void {
    this.settle('ack', () => this.channel.ack(this.msg));
  }

  requeue(): void {
    this.settle('requeue', () => this.channel.nack(this.msg, false, true));
  }

  deadLetter(): void {
    this.settle('dead-letter', () => this.channel.nack(this.msg, false, false));
  }

  reply(reply: Reply): void {
    this.settle('reply', () =>
      this.channel.sendToQueue(
        this.msg.properties.replyTo as string,
        Buffer.from(JSON.stringify(reply)),
        {
          correlationId: this.msg.properties.correlationId as string,
          contentType: 'application/json',
        },
      ),
    );
  }

  private settle(what: string, action: () => unknown): void {
    if (!this.open) {
      this.log.warn({ what }, 'channel closed meanwhile; the broker delivers the message again');
      return;
    }
    try {
      action();
    } catch (error) {
      this.log.warn(
        { what, err: (error as Error).message },
        'channel closed meanwhile; the broker delivers the message again',
      );
    }
  }
}

/** A message no retry can help: unknown method or a payload that breaks its contract. */
class UnroutableMessageError extends Error {
  override name = 'UnroutableMessageError';
}
