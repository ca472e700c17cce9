import { z } from 'zod';
import { castMethod } from '../rpc-method';
import type { Destination } from '../topology';

/** Glance's task worker: its name in `services` and the queue every worker competes for. */
export const GLANCE_TASK_WORKER = 'glance-task-worker';

/** The task types Glance's task schema lists; the tasks API runs `import` (legacy import). */
export const TASK_TYPES = ['import', 'api_image_import', 'location_import'] as const;

export type TaskType = (typeof TASK_TYPES)[number];

export const GlanceDestinations = {
  /** Any task worker (a task is claimed by the first worker that moves it to `processing`). */
  taskWorker: (): Destination => ({ kind: 'queue', name: GLANCE_TASK_WORKER }),
} as const;

/**
 * What glance-api casts to the task workers (Glance runs the task in a thread pool of the API;
 * here a worker process does, so that no HTTP request ever waits for an import). The worker
 * reads the task's input from its row: the message names the task only.
 */
export const GlanceTaskRpc = {
  /** glance-api → `glance-task-worker`, written with the task row in one transaction. */
  runTask: castMethod(
    'run_task',
    z.object({ task_id: z.string().uuid(), task_type: z.enum(TASK_TYPES) }),
  ),
} as const;
