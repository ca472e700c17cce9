import { TASK_TYPES } from '@cinderflow/contracts';
import { TASK_STATUSES } from '@cinderflow/status-machines';
import { badRequest } from '../common/glance-errors';
import { describeError, validate, type JsonSchema } from '../schemas/json-schema';

interface PropertySchema {
  description?: string;
  pattern?: string;
  enum?: readonly string[];
  type: string | readonly string[];
  readOnly?: boolean;
}

const UUID_PATTERN =
  '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$';

/** Glance's _TASK_SCHEMA (glance/api/v2/tasks.py), key for key and in its order. */
export const TASK_PROPERTIES: Record<string, PropertySchema> = {
  id: { description: 'An identifier for the task', pattern: UUID_PATTERN, type: 'string' },
  type: {
    description: 'The type of task represented by this content',
    enum: TASK_TYPES,
    type: 'string',
  },
  status: { description: 'The current status of this task', enum: TASK_STATUSES, type: 'string' },
  input: { description: 'The parameters required by task, JSON blob', type: ['null', 'object'] },
  result: { description: 'The result of current task, JSON blob', type: ['null', 'object'] },
  owner: { description: 'An identifier for the owner of this task', type: 'string' },
  message: {
    description:
      'Human-readable informative message only included when appropriate (usually on failure)',
    type: 'string',
  },
  image_id: { description: 'Image associated with the task', type: 'string' },
  request_id: { description: 'Human-readable informative request-id', type: 'string' },
  user_id: { description: 'User associated with the task', type: 'string' },
  expires_at: {
    description: 'Datetime when this resource would be subject to removal',
    type: ['null', 'string'],
  },
  created_at: { description: 'Datetime when this resource was created', type: 'string' },
  updated_at: { description: 'Datetime when this resource was updated', type: 'string' },
  self: { readOnly: true, type: 'string' },
  schema: { readOnly: true, type: 'string' },
};

/** The list's items leave these out (_get_partial_task_schema). */
const HIDDEN_IN_LIST = ['input', 'result', 'message'];

const PARTIAL_PROPERTIES = Object.fromEntries(
  Object.entries(TASK_PROPERTIES).filter(([key]) => !HIDDEN_IN_LIST.includes(key)),
);

/** `GET /v2/schemas/task`: Glance's Schema('task').minimal(). */
export function taskSchemaDocument(): Record<string, unknown> {
  return { name: 'task', properties: TASK_PROPERTIES };
}

/** `GET /v2/schemas/tasks`: Glance's CollectionSchema('tasks', partial task).minimal(). */
export function tasksSchemaDocument(): Record<string, unknown> {
  return {
    name: 'tasks',
    properties: {
      tasks: { type: 'array', items: { name: 'task', properties: PARTIAL_PROPERTIES } },
      schema: { type: 'string' },
    },
    links: [{ rel: 'describedby', href: '{schema}' }],
  };
}

/** The raw schema a create body is validated against (Schema.raw(): additionalProperties False). */
const RAW_SCHEMA: JsonSchema = {
  name: 'task',
  properties: TASK_PROPERTIES,
  additionalProperties: false,
};

/**
 * What python-jsonschema's best_match reports for a body, worded as its str() (the same
 * validator the image schema uses): an unexpected key outranks a wrong value, and of two wrong
 * values the greater path wins.
 */
export function taskSchemaError(body: Record<string, unknown>): string | undefined {
  const error = validate(RAW_SCHEMA, body);
  return error && describeError(error);
}

export interface TaskCreateBody {
  type: (typeof TASK_TYPES)[number];
  input: Record<string, unknown> | null;
}

/**
 * The tasks API's RequestDeserializer.create: a body, with `type` and `input`, that matches the
 * task schema; anything else is Glance's 400 with Glance's words.
 */
export function parseTaskCreateBody(body: unknown): TaskCreateBody {
  if (body === undefined || body === null) throw badRequest('Body expected in request.');
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest("Task 'type' is required");
  }
  const fields = body as Record<string, unknown>;
  for (const required of ['type', 'input']) {
    if (!(required in fields)) throw badRequest(`Task '${required}' is required`);
  }
  const problem = taskSchemaError(fields);
  if (problem) throw badRequest(`Provided object does not match schema 'task': ${problem}`);
  return {
    type: fields.type as TaskCreateBody['type'],
    input: fields.input as TaskCreateBody['input'],
  };
}
