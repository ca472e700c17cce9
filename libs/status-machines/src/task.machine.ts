import { defineMachine } from './machine';

/** Glance task statuses (seed 001). */
export const TASK_STATUSES = ['pending', 'processing', 'success', 'failure'] as const;

export type TaskStatus = (typeof TASK_STATUSES)[number];

/**
 * A task runs once: a failure carries a `message`, a success a `result`. Glance also lets a task
 * fail before it starts processing (glance/domain Task._validate_task_status_transition).
 */
export const taskMachine = defineMachine({
  name: 'task',
  statuses: TASK_STATUSES,
  initial: 'pending',
  terminal: ['success', 'failure'],
  events: {
    start: { from: ['pending'], to: 'processing' },
    succeed: { from: ['processing'], to: 'success', requires: ['result'] },
    fail: { from: ['pending', 'processing'], to: 'failure', requires: ['message'] },
  },
});

export type TaskEvent = (typeof taskMachine.eventNames)[number];
