/**
 * A task failure whose message is meant for the user (Glance's ImportTaskError and friends):
 * the task ends `failure` with exactly this message.
 */
export class TaskFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskFailure';
  }
}

/** Glance's message for anything that went wrong in a way the user cannot act on. */
export const INTERNAL_ERROR = 'Task failed due to Internal Error';

export interface ImportTaskInput {
  import_from: unknown;
  import_from_format: unknown;
  image_properties: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Glance's script_utils.unpack_task_input: the fields each task type needs, or Glance's
 * message. Only `import` runs here; the other types Glance's schema lists fail once their
 * input is checked, because interoperable import is left out of this service.
 */
export function unpackTaskInput(type: string, input: unknown): ImportTaskInput {
  if (type === 'api_image_import' || type === 'location_import') {
    if (!isObject(input) || Object.keys(input).length === 0) {
      throw new TaskFailure(`Input to ${type} task is empty.`);
    }
    if (type === 'api_image_import' && !('image_id' in input)) {
      throw new TaskFailure("Missing required 'image_id' field");
    }
    if (type === 'location_import') {
      for (const key of ['image_id', 'loc_url', 'validation_data']) {
        if (!(key in input)) throw new TaskFailure(`Input does not contain '${key}' field`);
      }
    }
    throw new TaskFailure(`Task type ${type} is not supported by this deployment.`);
  }
  // Glance: `key not in None` is a TypeError, hence its internal error.
  if (!isObject(input)) throw new TaskFailure(INTERNAL_ERROR);
  for (const key of ['import_from', 'import_from_format', 'image_properties']) {
    if (!(key in input)) throw new TaskFailure(`Input does not contain '${key}' field`);
  }
  return input as unknown as ImportTaskInput;
}
