import { pformat, pyRepr } from '@cinderflow/image-store';

/**
 * The part of JSON Schema Glance's schemas use (type, enum, pattern, lengths, properties,
 * additionalProperties, items, required), validated as Python's jsonschema (draft 2020-12, its
 * default) does, down to its error messages: Glance answers a refused body with
 * `Provided object does not match schema '<name>': <str(ValidationError)>`.
 */
export type JsonSchema = { [keyword: string]: unknown };

type PathPart = string | number;

export interface SchemaError {
  /** jsonschema's `message`, e.g. `'x' is not one of ['a', 'b']`. */
  message: string;
  /** The keyword that failed (`enum`, `maxLength`, ...). */
  keyword: string;
  /** Where in the instance, and where in the schema (down to the keyword). */
  path: PathPart[];
  schemaPath: PathPart[];
  /** The (sub)schema holding the keyword, and the (sub)instance it refused. */
  schema: JsonSchema;
  instance: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function isType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    default:
      return false;
  }
}

function equal(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => equal(item, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]))
    );
  }
  return a === b;
}

/** Python's len() of a string: code points. */
const length = (text: string) => [...text].length;

/** Every error of the instance, in jsonschema's order (the schema's keywords as written). */
function* iterErrors(
  schema: JsonSchema,
  instance: unknown,
  path: PathPart[],
  schemaPath: PathPart[],
): Generator<SchemaError> {
  const error = (keyword: string, message: string): SchemaError => ({
    message,
    keyword,
    path,
    schemaPath: [...schemaPath, keyword],
    schema,
    instance,
  });
  for (const [keyword, value] of Object.entries(schema)) {
    switch (keyword) {
      case 'type': {
        const types = Array.isArray(value) ? (value as string[]) : [value as string];
        if (!types.some((type) => isType(instance, type))) {
          yield error(
            keyword,
            `${pyRepr(instance)} is not of type ${types.map((t) => pyRepr(t)).join(', ')}`,
          );
        }
        break;
      }
      case 'enum':
        if (!(value as unknown[]).some((allowed) => equal(allowed, instance))) {
          yield error(keyword, `${pyRepr(instance)} is not one of ${pyRepr(value)}`);
        }
        break;
      case 'maxLength':
        if (typeof instance === 'string' && length(instance) > (value as number)) {
          const what = value === 0 ? 'is expected to be empty' : 'is too long';
          yield error(keyword, `${pyRepr(instance)} ${what}`);
        }
        break;
      case 'minLength':
        if (typeof instance === 'string' && length(instance) < (value as number)) {
          const what = value === 1 ? 'should be non-empty' : 'is too short';
          yield error(keyword, `${pyRepr(instance)} ${what}`);
        }
        break;
      case 'pattern':
        if (typeof instance === 'string' && !new RegExp(value as string, 'u').test(instance)) {
          yield error(keyword, `${pyRepr(instance)} does not match ${pyRepr(value)}`);
        }
        break;
      case 'required':
        if (isObject(instance)) {
          for (const property of value as string[]) {
            if (!Object.hasOwn(instance, property)) {
              yield error(keyword, `${pyRepr(property)} is a required property`);
            }
          }
        }
        break;
      case 'properties':
        if (isObject(instance)) {
          for (const [property, subschema] of Object.entries(value as Record<string, JsonSchema>)) {
            if (Object.hasOwn(instance, property)) {
              yield* iterErrors(
                subschema,
                instance[property],
                [...path, property],
                [...schemaPath, keyword, property],
              );
            }
          }
        }
        break;
      case 'additionalProperties': {
        if (!isObject(instance)) break;
        const known = isObject(schema.properties) ? schema.properties : {};
        const extras = Object.keys(instance).filter((key) => !Object.hasOwn(known, key));
        if (isObject(value)) {
          for (const extra of extras) {
            yield* iterErrors(value, instance[extra], [...path, extra], [...schemaPath, keyword]);
          }
        } else if (value === false && extras.length > 0) {
          const sorted = [...extras].sort();
          const verb = sorted.length === 1 ? 'was' : 'were';
          yield error(
            keyword,
            `Additional properties are not allowed (${sorted.map((e) => pyRepr(e)).join(', ')} ${verb} unexpected)`,
          );
        }
        break;
      }
      case 'items':
        if (Array.isArray(instance) && isObject(value)) {
          for (const [index, item] of instance.entries()) {
            yield* iterErrors(value, item, [...path, index], [...schemaPath, keyword]);
          }
        }
        break;
      default:
        // Annotations (description, readOnly, is_base, ...) validate nothing.
        break;
    }
  }
}

function comparePaths(a: PathPart[], b: PathPart[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length - b.length;
}

/** Whether the refused instance at least has the type its schema asks for. */
function matchesType(error: SchemaError): boolean {
  const type = error.schema.type;
  if (type === undefined) return false;
  const types = Array.isArray(type) ? (type as string[]) : [type as string];
  return types.some((t) => isType(error.instance, t));
}

/**
 * jsonschema.exceptions.best_match: the shallowest error, then the greatest path among
 * siblings, then one whose instance has the expected type; the first of equals.
 */
function bestMatch(errors: SchemaError[]): SchemaError | undefined {
  let best: SchemaError | undefined;
  for (const candidate of errors) {
    if (!best) {
      best = candidate;
      continue;
    }
    const byDepth = best.path.length - candidate.path.length;
    const byPath = byDepth !== 0 ? byDepth : comparePaths(candidate.path, best.path);
    const better =
      byPath > 0 || (byPath === 0 && !matchesType(candidate) && matchesType(best)) ? true : false;
    if (better) best = candidate;
  }
  return best;
}

/** The error jsonschema.validate would raise for this instance, or undefined if it is valid. */
export function validate(schema: JsonSchema, instance: unknown): SchemaError | undefined {
  return bestMatch([...iterErrors(schema, instance, [], [])]);
}

function formatAsIndex(container: string, indices: PathPart[]): string {
  if (indices.length === 0) return container;
  return `${container}[${indices.map((index) => pyRepr(index)).join('][')}]`;
}

function pretty(value: unknown): string {
  return pformat(value, 72).split('\n').join('\n    ');
}

/** str(ValidationError): the message, then the failing schema and instance, pretty-printed. */
export function describeError(error: SchemaError): string {
  return [
    error.message,
    '',
    `Failed validating ${pyRepr(error.keyword)} in ${formatAsIndex('schema', error.schemaPath.slice(0, -1))}:`,
    `    ${pretty(error.schema)}`,
    '',
    `On ${formatAsIndex('instance', error.path)}:`,
    `    ${pretty(error.instance)}`,
  ].join('\n');
}
