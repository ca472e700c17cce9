import type { DataSource } from 'typeorm';
import { type Envelope, envelopeSchema, fromMessageContext } from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import {
  deferOutboxMessage,
  deleteOutboxMessages,
  lockDueOutboxMessages,
  type OutboxRow,
} from '@cinderflow/persistence';
import { runWithContext } from '@cinderflow/request-context';
import type { RpcClient } from '../rpc-client';
import { backoffMs } from '../transient';
import type { Outbox } from './outbox';

export interface OutboxRelayOptions {
  /** How often to look for messages written by other (or dead) processes, and for retries. */
  pollMs: number;
  /** Messages published per transaction. */
  batchSize: number;
  /** Fault injection: the share of messages published a second time, a little later. */
  duplicateRate?: number;
}

/**
 * Publishes what the outbox holds, oldest first, with publisher confirms; a message leaves the
 * table only once the broker has it. Every service runs one; they share the table safely.
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private draining?: Promise<void>;
  private again = false;
  private stopped = false;
  private failing = false;
  private unsubscribe?: () => void;
  private readonly log: Logger;

  constructor(
    private readonly dataSource: DataSource,
    private readonly rpc: RpcClient,
    private readonly outbox: Outbox,
    logger: Logger,
    private readonly options: OutboxRelayOptions = { pollMs: 500, batchSize: 100 },
  ) {
    this.log = logger.child({ component: 'outbox-relay' });
  }

  start(): void {
    this.stopped = false;
    this.unsubscribe = this.outbox.onCommitted(() => this.kick());
    this.timer = setInterval(() => this.kick(), this.options.pollMs);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
    await this.draining;
  }

  /** Drain now; kicks that come while a drain runs make it go round once more. */
  kick(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      // A kick that came after the last round looked: go round again.
      if (this.again) this.kick();
    });
  }

  /** Resolves once everything due has been published, or a round failed (tests, shutdown). */
  async flush(): Promise<void> {
    this.kick();
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        this.again = false;
        const handled = await this.relayBatch();
        if (this.stopped || (handled < this.options.batchSize && !this.again)) break;
      }
      if (this.failing) this.log.info('outbox relay working again');
      this.failing = false;
    } catch (error) {
      // The database is away: the messages are safe in it, the next poll tries again.
      if (!this.failing) {
        this.log.warn({ err: (error as Error).message }, 'outbox relay paused');
      }
      this.failing = true;
    }
  }

  private relayBatch(): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      const rows = await lockDueOutboxMessages(tx, this.options.batchSize);
      if (rows.length === 0) return 0;
      const results = await Promise.allSettled(rows.map((row) => this.publish(row)));
      const sent: string[] = [];
      for (const [i, result] of results.entries()) {
        const row = rows[i];
        if (result.status === 'fulfilled') {
          sent.push(row.id);
        } else {
          const reason = (result.reason as Error).message;
          this.log.warn(
            {
              method: row.method,
              request_id: row.request_id,
              attempts: row.attempts + 1,
              err: reason,
            },
            'outbox message not published; will retry',
          );
          await deferOutboxMessage(tx, row.id, backoffMs(row.attempts, 5_000), reason);
        }
      }
      await deleteOutboxMessages(tx, sent);
      return rows.length;
    });
  }

  /** A second copy after up to a second, so that it also overtakes later messages. */
  private duplicate(row: OutboxRow, envelope: Envelope): void {
    const timer = setTimeout(() => {
      this.rpc
        .publish({ kind: row.destination_kind, name: row.destination }, envelope, row.message_id)
        .then(() => this.log.warn({ method: row.method }, 'fault injected: message duplicated'))
        .catch(() => undefined);
    }, Math.random() * 1000);
    timer.unref();
  }

  private async publish(row: OutboxRow): Promise<void> {
    const envelope: Envelope = envelopeSchema.parse(row.envelope);
    await runWithContext(fromMessageContext(envelope.context), async () => {
      await this.rpc.publish(
        { kind: row.destination_kind, name: row.destination },
        envelope,
        row.message_id,
      );
      this.log.debug({ method: row.method, destination: row.destination }, 'relayed');
      if (Math.random() < (this.options.duplicateRate ?? 0)) this.duplicate(row, envelope);
    });
  }
}
