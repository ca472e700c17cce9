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
import { CONTRACT_EXTRA, type HandledMethod } from './rpc-handler.decorator';

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
}

/**
 * A Nest transport over RabbitMQ with Cinder's delivery rules: a message is acknowledged only
 * after its handler finished (so its database work has committed); a handler that fails is
 * retried once, then dead-lettered; a call gets its result or error as a reply.
 */
export class AmqpServer extends Server implements CustomTransportStrategy {
  private connection?: AmqpConnectionManager;
  private channel?: ChannelWrapper;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly log: Logger;

  constructor(private readonly options: AmqpServerOptions) {
    super();
    this.log = options.logger.child({ component: 'amqp-server' });
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      const { url, topology, destinations, prefetch, owner } = this.options;
      this.connection = amqp.connect([url], { heartbeatIntervalInSeconds: 10 });
      this.connection.on('disconnect', ({ err }) =>
        this.log.warn({ err: err?.message }, 'disconnected from RabbitMQ; reconnecting'),
      );
      this.channel = this.connection.createChannel({
        confirm: true,
        setup: async (channel: Channel) => {
          await channel.prefetch(prefetch);
          for (const destination of destinations) {
            const queue = await topology.declareConsumerQueue(channel, destination, owner);
            await channel.consume(queue, (msg) => msg && this.track(this.handle(channel, msg)), {
              noAck: false,
            });
            this.log.info({ queue }, 'consuming');
          }
        },
      });
      await this.channel.waitForConnect();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Stops taking messages, lets the ones in hand finish, then disconnects. */
  async close(): Promise<void> {
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
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async handle(channel: Channel, msg: ConsumeMessage): Promise<void> {
    let envelope: Envelope;
    try {
      envelope = envelopeSchema.parse(JSON.parse(msg.content.toString('utf8')));
    } catch (error) {
      this.log.error({ err: String(error) }, 'unreadable message dead-lettered');
      channel.nack(msg, false, false);
      return;
    }
    const context = fromMessageContext(envelope.context);
    await runWithContext(context, async () => {
      const replyTo = msg.properties.replyTo as string | undefined;
      const started = Date.now();
      try {
        const result = await this.dispatch(envelope, msg);
        if (replyTo) {
          this.reply(channel, msg, { ok: true, result: result ?? null });
        }
        channel.ack(msg);
        this.log.info({ method: envelope.method, ms: Date.now() - started }, 'handled');
      } catch (error) {
        const err = error instanceof Error ? error : new Error(String(error));
        if (replyTo) {
          // The caller gets the error; retrying a call nobody waits for would be wrong.
          this.reply(channel, msg, { ok: false, error: { type: err.name, message: err.message } });
          channel.ack(msg);
          this.log.warn({ method: envelope.method, err: err.message }, 'call failed');
          return;
        }
        const retry = !msg.fields.redelivered && !(error instanceof UnroutableMessageError);
        channel.nack(msg, false, retry);
        this.log.error(
          { method: envelope.method, err: err.message, stack: err.stack, requeued: retry },
          retry ? 'handler failed; message requeued once' : 'handler failed; message dead-lettered',
        );
      }
    });
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

  private reply(channel: Channel, msg: ConsumeMessage, reply: Reply): void {
    channel.sendToQueue(msg.properties.replyTo as string, Buffer.from(JSON.stringify(reply)), {
      correlationId: msg.properties.correlationId as string,
      contentType: 'application/json',
    });
  }
}

/** A message no retry can help: unknown method or a payload that breaks its contract. */
class UnroutableMessageError extends Error {
  override name = 'UnroutableMessageError';
}
