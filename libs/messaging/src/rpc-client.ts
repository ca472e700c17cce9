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
import { RemoteError, RpcTimeoutError } from './rpc-errors';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  method: string;
}

/**
 * Sends contract methods: `cast` resolves once the broker has the message on disk (publisher
 * confirm), `call` once the peer replied. Messages carry the request context of the caller,
 * taken from the current request unless one is given.
 */
export class RpcClient {
  private readonly connection: AmqpConnectionManager;
  private readonly channel: ChannelWrapper;
  private readonly declared = new Map<string, Promise<string>>();
  private readonly pending = new Map<string, Pending>();
  private replyQueue?: string;
  private readonly log: Logger;

  constructor(
    url: string,
    private readonly topology: AmqpTopology,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'rpc-client' });
    this.connection = amqp.connect([url], { heartbeatIntervalInSeconds: 10 });
    // Calls waiting on the old reply queue time out; casts are held until the channel is back.
    this.connection.on('disconnect', ({ err }) =>
      this.log.warn({ err: err?.message }, 'disconnected from RabbitMQ; reconnecting'),
    );
    this.channel = this.connection.createChannel({
      confirm: true,
      setup: async (channel: Channel) => {
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

  async cast<P>(
    destination: Destination,
    method: CastMethod<P>,
    payload: P,
    context?: RequestContext,
  ): Promise<void> {
    const body = this.envelope(method.name, method.payload.parse(payload), context);
    const target = await this.declare(destination);
    const options = {
      persistent: true,
      contentType: 'application/json',
      messageId: randomUUID(),
      type: method.name,
      timestamp: Math.floor(Date.now() / 1000),
      headers: { [REQUEST_ID_HEADER]: body.context.request_id },
    };
    const content = Buffer.from(JSON.stringify(body));
    if (destination.kind === 'fanout') {
      await this.channel.publish(target, '', content, options);
    } else {
      await this.channel.sendToQueue(target, content, options);
    }
    this.log.debug({ method: method.name, destination: target }, 'cast sent');
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
    const body = this.envelope(method.name, method.payload.parse(payload), options.context);
    const target = await this.declare(destination);
    await this.channel.waitForConnect();
    const correlationId = randomUUID();
    const timeoutMs = options.timeoutMs ?? method.timeoutMs;
    const reply = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new RpcTimeoutError(method.name, target, timeoutMs));
      }, timeoutMs);
      this.pending.set(correlationId, { resolve, reject, timer, method: method.name });
    });
    try {
      await this.channel.sendToQueue(target, Buffer.from(JSON.stringify(body)), {
        // A call nobody waits for anymore is worthless: it expires with the caller's patience.
        expiration: String(timeoutMs),
        contentType: 'application/json',
        correlationId,
        replyTo: this.replyQueue,
        type: method.name,
        headers: { [REQUEST_ID_HEADER]: body.context.request_id },
      });
    } catch (error) {
      const entry = this.pending.get(correlationId);
      if (entry) {
        clearTimeout(entry.timer);
        this.pending.delete(correlationId);
      }
      throw error;
    }
    return method.reply.parse(await reply);
  }

  async close(): Promise<void> {
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(new Error(`client closed before ${entry.method} was answered`));
      this.pending.delete(id);
    }
    await this.channel.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }

  private envelope(method: string, payload: unknown, context?: RequestContext): Envelope {
    const ctx = context ?? currentContext();
    if (!ctx) {
      throw new Error(`no request context to send ${method} with`);
    }
    return { method, context: toMessageContext(ctx), payload };
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
