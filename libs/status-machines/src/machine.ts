/**
 * A status machine is a declarative table: named events, each allowed from some statuses and
 * leading to one. Nothing here knows about databases or frameworks; the persistence layer turns
 * a transition into one conditional UPDATE, so every status change in the system is decided
 * here and applied atomically there.
 */

/** Where an event leads: a fixed status, or back to the status saved when the row left it. */
export type Target<S extends string> = S | { readonly previous: readonly S[] };

export interface Transition<S extends string> {
  readonly from: readonly S[];
  readonly to: Target<S>;
  /** Remember the status being left (Cinder's `previous_status`), for a later `{previous}`. */
  readonly savePrevious?: boolean;
  /** Columns the event must set along with the status (a task's failure `message`...). */
  readonly requires?: readonly string[];
  /** The event's name as the documents that define it say it, when it differs from the key. */
  readonly label?: string;
  /** Left out of diagrams: an admin override from (almost) anywhere would hide everything else. */
  readonly undrawn?: true;
}

export interface MachineDefinition<S extends string, E extends string> {
  readonly name: string;
  readonly statuses: readonly S[];
  readonly initial: S;
  /** Statuses nothing leaves. */
  readonly terminal?: readonly S[];
  readonly events: { readonly [K in E]: Transition<S> };
}

/** An event refused in the current status; names everything a caller needs to explain it. */
export class InvalidTransitionError extends Error {
  constructor(
    readonly machine: string,
    readonly current: string,
    readonly event: string,
    readonly allowedFrom: readonly string[],
    detail?: string,
  ) {
    super(
      detail ??
        `${machine}: event '${event}' is not allowed from status '${current}' ` +
          `(allowed from: ${allowedFrom.join(', ')})`,
    );
    this.name = 'InvalidTransitionError';
  }
}

/** One edge of the machine's graph, for documents and exhaustive tests. */
export interface Edge<S extends string, E extends string> {
  from: S;
  to: S;
  event: E;
  label: string;
}

export class StatusMachine<S extends string, E extends string> {
  readonly name: string;
  readonly statuses: readonly S[];
  readonly initial: S;
  readonly terminal: readonly S[];
  readonly eventNames: readonly E[];

  constructor(private readonly definition: MachineDefinition<S, E>) {
    this.name = definition.name;
    this.statuses = definition.statuses;
    this.initial = definition.initial;
    this.terminal = definition.terminal ?? [];
    this.eventNames = Object.keys(definition.events) as E[];
    const known = (status: S, event: string) => {
      if (!this.statuses.includes(status)) {
        throw new Error(`${this.name}: event '${event}' names unknown status '${status}'`);
      }
    };
    known(this.initial, '(initial)');
    for (const event of this.eventNames) {
      const t = definition.events[event];
      t.from.forEach((s) => known(s, event));
      targets(t.to).forEach((s) => known(s, event));
      const leaving = t.from.filter((s) => this.terminal.includes(s));
      if (leaving.length > 0) {
        throw new Error(`${this.name}: event '${event}' leaves terminal status '${leaving[0]}'`);
      }
    }
  }

  transition(event: E): Transition<S> {
    return this.definition.events[event];
  }

  allowedFrom(event: E): readonly S[] {
    return this.definition.events[event].from;
  }

  can(current: S, event: E): boolean {
    return this.definition.events[event].from.includes(current);
  }

  /**
   * The status after `event`, or an InvalidTransitionError naming what was allowed. An event
   * that returns to the previous status needs that status (`previous`), and only accepts the
   * ones its table lists.
   */
  next(current: S, event: E, previous?: string | null): S {
    const { from, to } = this.definition.events[event];
    if (!from.includes(current)) {
      throw new InvalidTransitionError(this.name, current, event, from);
    }
    if (typeof to === 'string') {
      return to;
    }
    if (previous && (to.previous as readonly string[]).includes(previous)) {
      return previous as S;
    }
    throw new InvalidTransitionError(
      this.name,
      current,
      event,
      from,
      `${this.name}: event '${event}' returns to the previous status, which must be one of ` +
        `${to.previous.join(', ')} (it is ${previous ?? 'unset'})`,
    );
  }

  /** Throws when an event that must carry some columns is applied without them. */
  checkRequired(event: E, values: Record<string, unknown>): void {
    const missing = (this.definition.events[event].requires ?? []).filter(
      (column) => values[column] === undefined || values[column] === null,
    );
    if (missing.length > 0) {
      throw new Error(`${this.name}: event '${event}' needs ${missing.join(', ')}`);
    }
  }

  label(event: E): string {
    return this.definition.events[event].label ?? event;
  }

  /** Every (from, to, event) of the table, in table order. */
  edges(options: { drawnOnly?: boolean } = {}): Edge<S, E>[] {
    return this.eventNames.flatMap((event) => {
      if (options.drawnOnly && this.definition.events[event].undrawn) return [];
      const t = this.definition.events[event];
      return t.from.flatMap((from) =>
        targets(t.to).map((to) => ({ from, to, event, label: this.label(event) })),
      );
    });
  }

  isStatus(value: string): value is S {
    return (this.statuses as readonly string[]).includes(value);
  }
}

function targets<S extends string>(to: Target<S>): readonly S[] {
  return typeof to === 'string' ? [to] : to.previous;
}

export function defineMachine<const S extends string, const E extends string>(
  definition: MachineDefinition<S, E>,
): StatusMachine<S, E> {
  return new StatusMachine(definition);
}
