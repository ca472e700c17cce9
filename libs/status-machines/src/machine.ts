/**
 * A status machine is a declarative table: named events, each allowed from some statuses and
 * leading to one. Nothing here knows about databases or frameworks; the persistence layer turns
 * a transition into one conditional UPDATE.
 */
export interface Transition<S extends string> {
  readonly from: readonly S[];
  readonly to: S;
}

export interface MachineDefinition<S extends string, E extends string> {
  readonly name: string;
  readonly statuses: readonly S[];
  readonly initial: S;
  readonly events: { readonly [K in E]: Transition<S> };
}

export class InvalidTransitionError extends Error {
  constructor(
    readonly machine: string,
    readonly current: string,
    readonly event: string,
    readonly allowedFrom: readonly string[],
  ) {
    super(
      `${machine}: event '${event}' is not allowed from status '${current}' ` +
        `(allowed from: ${allowedFrom.join(', ')})`,
    );
    this.name = 'InvalidTransitionError';
  }
}

export class StatusMachine<S extends string, E extends string> {
  readonly name: string;
  readonly statuses: readonly S[];
  readonly initial: S;
  readonly eventNames: readonly E[];

  constructor(private readonly definition: MachineDefinition<S, E>) {
    this.name = definition.name;
    this.statuses = definition.statuses;
    this.initial = definition.initial;
    this.eventNames = Object.keys(definition.events) as E[];
    for (const event of this.eventNames) {
      const { from, to } = definition.events[event];
      for (const status of [...from, to]) {
        if (!this.statuses.includes(status)) {
          throw new Error(`${this.name}: event '${event}' names unknown status '${status}'`);
        }
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

  /** The status after `event`, or an InvalidTransitionError naming what was allowed. */
  next(current: S, event: E): S {
    const { from, to } = this.definition.events[event];
    if (!from.includes(current)) {
      throw new InvalidTransitionError(this.name, current, event, from);
    }
    return to;
  }

  isStatus(value: string): value is S {
    return (this.statuses as readonly string[]).includes(value);
  }
}

export function defineMachine<const S extends string, const E extends string>(
  definition: MachineDefinition<S, E>,
): StatusMachine<S, E> {
  return new StatusMachine(definition);
}
