import { randomUUID } from 'node:crypto';
import type { Destination } from '@cinderflow/contracts';

/** What declaring needs; both an amqplib Channel and a ChannelWrapper provide it. */
export interface Declarer {
  assertQueue(queue: string, options?: object): Promise<{ queue: string }>;
  assertExchange(exchange: string, type: string, options?: object): Promise<unknown>;
  bindQueue(queue: string, source: string, pattern: string): Promise<unknown>;
}

/**
 * Declares queues and exchanges the same way on every side, so that whoever comes first (a
 * sender or a consumer) creates them, and nothing sent before a consumer starts is lost.
 *
 * Work queues are durable and dead-letter into `cinderflow.dead-letter`, where a message that
 * failed twice (or could not be read at all) waits for a human instead of looping forever.
 */
export class AmqpTopology {
  constructor(readonly prefix = '') {}

  get deadLetterExchange(): string {
    return `${this.prefix}cinderflow.dlx`;
  }

  get deadLetterQueue(): string {
    return `${this.prefix}cinderflow.dead-letter`;
  }

  name(destination: Destination): string {
    return `${this.prefix}${destination.name}`;
  }

  async declareDeadLetter(channel: Declarer): Promise<void> {
    await channel.assertExchange(this.deadLetterExchange, 'fanout', { durable: true });
    await channel.assertQueue(this.deadLetterQueue, { durable: true });
    await channel.bindQueue(this.deadLetterQueue, this.deadLetterExchange, '');
  }

  /** Makes sure a destination exists; returns the queue or exchange name to publish to. */
  async declareDestination(channel: Declarer, destination: Destination): Promise<string> {
    const name = this.name(destination);
    if (destination.kind === 'fanout') {
      await channel.assertExchange(name, 'fanout', { durable: true });
    } else {
      await this.declareDeadLetter(channel);
      await channel.assertQueue(name, {
        durable: true,
        arguments: { 'x-dead-letter-exchange': this.deadLetterExchange },
      });
    }
    return name;
  }

  /**
   * The queue a consumer reads `destination` from: the durable queue itself, or for a fanout a
   * queue of this process's own bound to the exchange (gone when the process is).
   */
  async declareConsumerQueue(
    channel: Declarer,
    destination: Destination,
    owner: string,
  ): Promise<string> {
    const name = await this.declareDestination(channel, destination);
    if (destination.kind === 'queue') {
      return name;
    }
    const queue = `${name}.${owner}.${randomUUID().slice(0, 8)}`;
    await this.declareDeadLetter(channel);
    await channel.assertQueue(queue, {
      exclusive: true,
      autoDelete: true,
      durable: false,
      arguments: { 'x-dead-letter-exchange': this.deadLetterExchange },
    });
    await channel.bindQueue(queue, name, '');
    return queue;
  }
}
