import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { badRequest } from './cinder-errors';
import { type Static, type TSchema, UUID_PATTERN } from './schema';

const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });

export { UUID_PATTERN };

const UUID = new RegExp(UUID_PATTERN);

/** Whether a string can be an id at all: PostgreSQL refuses anything else as a uuid. */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}

/** Words like python-jsonschema's, which is what Cinder's validation errors quote. */
function explain(error: ErrorObject, value: unknown): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return `${show(value)} is not of type ${String(p.type)
        .split(',')
        .map((t) => `'${t}'`)
        .join(', ')}`;
    case 'pattern':
      return `${show(value)} does not match '${String(p.pattern)}'`;
    case 'minimum':
      return `${show(value)} is less than the minimum of ${String(p.limit)}`;
    case 'maximum':
      return `${show(value)} is greater than the maximum of ${String(p.limit)}`;
    case 'maxLength':
      return `${show(value)} is too long`;
    case 'minLength':
      return `${show(value)} is too short`;
    case 'enum':
      return `${show(value)} is not one of ${JSON.stringify(p.allowedValues)}`;
    case 'minProperties':
      return `${show(value)} does not have enough properties`;
    default:
      return error.message ?? 'is invalid';
  }
}

function valueAt(body: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>(
      (node, key) =>
        node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined,
      body,
    );
}

/**
 * A compiled request schema (TypeBox, see ./schema); `check` returns the body typed by the
 * schema, or throws Cinder's 400 for the first problem found.
 */
export class RequestSchema<S extends TSchema, T = Static<S>> {
  private readonly validateFn: ValidateFunction<T>;

  constructor(readonly schema: S) {
    this.validateFn = ajv.compile<T>(schema);
  }

  check(body: unknown): T {
    if (this.validateFn(body)) {
      return body;
    }
    const error = this.validateFn.errors?.[0];
    if (!error) {
      throw badRequest('Invalid input.');
    }
    const p = error.params as Record<string, unknown>;
    if (error.keyword === 'required') {
      throw badRequest(`'${String(p.missingProperty)}' is a required property`);
    }
    if (error.keyword === 'additionalProperties') {
      throw badRequest(
        `Additional properties are not allowed ('${String(p.additionalProperty)}' was unexpected)`,
      );
    }
    const path = error.instancePath.split('/').filter(Boolean).pop() ?? 'body';
    const value = valueAt(body, error.instancePath);
    throw badRequest(
      `Invalid input for field/attribute ${path}. Value: ${typeof value === 'string' ? value : JSON.stringify(value)}. ${explain(error, value)}`,
    );
  }
}
