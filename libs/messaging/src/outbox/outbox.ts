import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import type { CastMethod, Destination } from '@cinderflow/contracts';
import { insertOutboxMessage } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { buildEnvelope } from '../rpc-client';

const PENDING = 'cinderflowOutboxPending';

/**
 * Casts that must not part from the status write they follow: `send` writes the message into
 * the `outbox` table with the caller's transaction, so both commit or neither does. The relay
 * publishes it after the commit (at once when it was written in this process, else on its next
 * poll) and deletes it once the broker confirmed, so a crash anywhere in between only delays it.
 * Consumers see at-least-once delivery, as they always did.
 */
export class Outbox {
  private readonly waiters = new Set<() => void>();

  constructor(dataSource: DataSource) {
    // Told when a transaction that wrote to the outbox commits.
    const subscriber: EntitySubscriberInterface = {
      afterTransactionCommit: ({ queryRunner }) => {
        if (takePending(queryRunner)) this.notify();
      },
      afterTransactionRollback: ({ queryRunner }) => {
        takePending(queryRunner);
      },
    };
    dataSource.subscribers.push(subscriber);
  }

  async send<P>(
    manager: EntityManager,
    destination: Destination,
    method: CastMethod<P>,
    payload: P,
    context?: RequestContext,
  ): Promise<void> {
    // Checked now, so that a payload breaking its contract fails the transaction that wrote it.
    const envelope = buildEnvelope(method.name, method.payload.parse(payload), context);
    await insertOutboxMessage(manager, {
      message_id: randomUUID(),
      destination_kind: destination.kind,
      destination: destination.name,
      method: method.name,
      envelope,
      request_id: envelope.context.request_id,
    });
    const runner = manager.queryRunner;
    if (runner?.isTransactionActive) {
      (runner.data as Record<string, unknown>)[PENDING] = true;
    } else {
      this.notify(); // written outside a transaction: already committed
    }
  }

  /** Calls `listener` whenever messages written here were committed. */
  onCommitted(listener: () => void): () => void {
    this.waiters.add(listener);
    return () => this.waiters.delete(listener);
  }

  private notify(): void {
    for (const listener of this.waiters) listener();
  }
}

function takePending(runner: QueryRunner | undefined): boolean {
  const data = runner?.data as Record<string, unknown> | undefined;
  if (!data?.[PENDING]) return false;
  delete data[PENDING];
  return true;
}
