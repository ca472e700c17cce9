import type { TaskEntity } from '@cinderflow/persistence';
import { isoTime } from '../images/image.view';

const location = (task: TaskEntity) => `/v2/tasks/${task.id}`;

/** A task as Glance's tasks ResponseSerializer._format_task shows it (create and show). */
export function taskView(task: TaskEntity): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: task.id,
    input: task.input,
    type: task.type,
    status: task.status,
    owner: task.owner,
    // The domain Task keeps '' for no message.
    message: task.message ?? '',
    result: task.result,
    created_at: isoTime(task.created_at),
    updated_at: isoTime(task.updated_at ?? task.created_at),
    self: location(task),
    schema: '/v2/schemas/task',
  };
  if (task.image_id) view.image_id = task.image_id;
  if (task.request_id) view.request_id = task.request_id;
  if (task.user_id) view.user_id = task.user_id;
  if (task.expires_at) view.expires_at = isoTime(task.expires_at);
  return view;
}

/** A task in a list (_format_task_stub): no input, result or message. */
export function taskStubView(task: TaskEntity): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: task.id,
    type: task.type,
    status: task.status,
    owner: task.owner,
    created_at: isoTime(task.created_at),
    updated_at: isoTime(task.updated_at ?? task.created_at),
    self: location(task),
    schema: '/v2/schemas/task',
  };
  if (task.expires_at) view.expires_at = isoTime(task.expires_at);
  return view;
}
