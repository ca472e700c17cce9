import { randomUUID } from 'node:crypto';
import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import {
  type CallMethod,
  type CastMethod,
  type Destination,
  type Envelope,
  replySchema,
  toMessageContext,
} from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import {
  currentContext,
  REQUEST_ID_HEADER,
  type RequestContext,
} from '@cinderflow/request-context';
import { AmqpTopology } from './amqp-topology';
import { BrokerUnavailableError, RemoteError, RpcTimeoutError } from './rpc-errors';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  method: string;
}

export interface RpcClientOptions {
  /** How long a cast may wait for the broker to confirm it before it fails. */
  publishTimeoutMs?: number;
}

/**
 * Sends contract methods: `cast` resolves once the broker has the message on disk (publisher
 * confirm), `call` once the peer replied. Messages carry the request context of the caller,
 * taken from the current request unless one is given. Every wait is bounded: a cast by its
 * publish timeout, a call by its timeout counted from the moment it starts, and calls waiting
 * on a connection that drops fail at once.
 */
export class RpcClient {
  private readonly connection: AmqpConnectionManager;
  private readonly channel: ChannelWrapper;
  private readonly declared = new Map<string, Promise<string>>();
  private readonly pending = new Map<string, Pending>();
  private replyQueue?: string;
  private readonly log: Logger;
  private readonly publishTimeoutMs: number;

  constructor(
    url: string,
    private readonly topology: AmqpTopology,
    logger: Logger,
    options: RpcClientOptions = {},
  ) {
    this.log = logger.child({ component: 'rpc-client' });
    this.publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
    this.connection = amqp.connect([url], {
      heartbeatIntervalInSeconds: 10,
      reconnectTimeInSeconds: 1,
    });
    this.connection.on('disconnect', ({ err }) => {
      this.log.warn({ err: err?.message }, 'disconnected from RabbitMQ; reconnecting');
      // Their replies would come to a reply queue that is gone with the connection.
      this.failPending(
        (method) =>
          new BrokerUnavailableError(
            `The connection to RabbitMQ dropped while waiting for a reply to ${method}`,
          ),
      );
    });
    this.channel = this.connection.createChannel({
      confirm: true,
      publishTimeout: this.publishTimeoutMs,
      setup: async (channel: Channel) => {
        // Logged, not thrown: the connection manager opens a new channel.
        channel.on('error', (error: Error) =>
          this.log.warn({ err: error.message }, 'RabbitMQ closed the channel'),
        );
        // A new channel after a reconnect: destinations may have to be declared again.
        this.declared.clear();
        const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
        this.replyQueue = queue;
        await channel.consume(queue, (msg) => msg && this.onReply(msg), { noAck: true });
      },
    });
  }

  async waitForConnect(): Promise<void> {
    await this.channel.waitForConnect();
  }

  /** Whether the broker connection is up right now (health reports). */
  isConnected(): boolean {
    return this.connection.isConnected();
  }

  async cast<P>(
    destination: Destination,
    method: CastMethod<P>,
    payload: P,
    context?: RequestContext,
  ): Promise<void> {
    const body = buildEnvelope(method.name, method.payload.parse(payload), context);
    await this.publish(destination, body, randomUUID());
  }

  /**
   * Publishes an envelope that is already built (the outbox relay's way, keeping the message id
   * it was written with, so that consumers and logs can tell a re-publication).
   */
  async publish(destination: Destination, body: Envelope, messageId: string): Promise<void> {
    const options = {
      persistent: true,
      contentType: 'application/json',
      messageId,
      type: body.method,
      timestamp: Math.floor(Date.now() / 1000),
      headers: { [REQUEST_ID_HEADER]: body.context.request_id },
    };
    const content = Buffer.from(JSON.stringify(body));
    await this.bounded(
      (async () => {
        const target = await this.declare(destination);
        if (destination.kind === 'fanout') {
          await this.channel.publish(target, '', content, options);
        } else {
          await this.channel.sendToQueue(target, content, options);
        }
        this.log.debug({ method: body.method, destination: target }, 'cast sent');
      })(),
      this.publishTimeoutMs,
      () =>
        new BrokerUnavailableError(
          `RabbitMQ did not confirm ${body.method} to ${this.topology.name(destination)} within ${this.publishTimeoutMs} ms`,
        ),
    );
  }

  async call<P, R>(
    destination: Destination,
    method: CallMethod<P, R>,
    payload: P,
    options: { timeoutMs?: number; context?: RequestContext } = {},
  ): Promise<R> {
    if (destination.kind !== 'queue') {
      throw new Error(`a call needs a queue, not the fanout ${destination.name}`);
    }
    const body = buildEnvelope(method.name, method.payload.parse(payload), options.context);
    const timeoutMs = options.timeoutMs ?? method.timeoutMs;
    const target = this.topology.name(destination);
    if (!this.isConnected()) {
      // Held until the broker is back, it could take effect after its caller gave up.
      throw new BrokerUnavailableError(`RabbitMQ is unreachable; ${method.name} was not sent`);
    }
    const correlationId = randomUUID();
    // The caller's patience starts now, not once the broker is reachable again.
    const reply = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new RpcTimeoutError(method.name, target, timeoutMs));
      }, timeoutMs);
      this.pending.set(correlationId, { resolve, reject, timer, method: method.name });
    });
    reply.catch(() => undefined); // observed below; a rejection before then is not unhandled
    const started = Date.now();
    try {
      const send = this.bounded(
        (async () => {
          await this.declare(destination);
          await this.channel.sendToQueue(target, Buffer.from(JSON.stringify(body)), {
            // A call nobody waits for anymore is worthless: it expires with the caller's patience.
            expiration: String(Math.max(1, timeoutMs - (Date.now() - started))),
            contentType: 'application/json',
            correlationId,
            replyTo: this.replyQueue,
            type: method.name,
            headers: { [REQUEST_ID_HEADER]: body.context.request_id },
          });
        })(),
        Math.min(this.publishTimeoutMs, timeoutMs),
        () => new BrokerUnavailableError(`RabbitMQ did not take ${method.name} in time`),
      );
      await Promise.race([send, reply]);
    } catch (error) {
      this.settle(correlationId);
      throw error;
    }
    return method.reply.parse(await reply);
  }

  async close(): Promise<void> {
    this.failPending((method) => new Error(`client closed before ${method} was answered`));
    await this.channel.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }

  private failPending(error: (method: string) => Error): void {
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      this.pending.delete(id);
      entry.reject(error(entry.method));
    }
  }

  private settle(correlationId: string): void {
    const entry = this.pending.get(correlationId);
    if (entry) {
      clearTimeout(entry.timer);
      this.pending.delete(correlationId);
    }
  }

  private async bounded<T>(work: Promise<T>, ms: number, error: () => Error): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    work.catch(() => undefined); // may settle after the timeout; nobody waits for it then
    try {
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(error()), ms);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private declare(destination: Destination): Promise<string> {
    const key = `${destination.kind}:${destination.name}`;
    let declared = this.declared.get(key);
    if (!declared) {
      declared = this.channel
        .waitForConnect()
        .then(() => this.topology.declareDestination(this.channel, destination));
      declared.catch(() => this.declared.delete(key));
      this.declared.set(key, declared);
    }
    return declared;
  }

  private onReply(msg: ConsumeMessage): void {
    const id = msg.properties.correlationId as string | undefined;
    const entry = id ? this.pending.get(id) : undefined;
    if (!id || !entry) {
      return; // a reply that came after its timeout
    }
    clearTimeout(entry.timer);
    this.pending.delete(id);
    try {
      const reply = replySchema.parse(JSON.parse(msg.content.toString('utf8')));
      if (reply.ok) {
        entry.resolve(reply.result);
      } else {
        entry.reject(new RemoteError(reply.error.type, reply.error.message, entry.method));
      }
    } catch (error) {
      entry.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

/** The message body every cast and call travels in, with the sender's request context. */
export function buildEnvelope(
  method: string,
  payload: unknown,
  context?: RequestContext,
): Envelope {
  const ctx = context ?? currentContext();
  if (!ctx) {
    throw new Error(`no request context to send ${method} with`);
  }
  return { method, context: toMessageContext(ctx), payload };
}
