import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { JsonSchema } from './common';

// Union types ("string or null") and tuple links are the point of these schemas.
const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strictTuples: false });

/** One line per problem: where in the body, what is wrong, and the value found there. */
function describe(body: unknown, error: ErrorObject): string {
  const where = error.instancePath || '(body)';
  switch (error.keyword) {
    case 'additionalProperties':
      return `${where}: unexpected field "${String(error.params.additionalProperty)}"`;
    case 'required':
      return `${where}: missing field "${String(error.params.missingProperty)}"`;
    default: {
      const value = valueAt(body, error.instancePath);
      return `${where}: ${error.message ?? error.keyword} (got ${JSON.stringify(value)})`;
    }
  }
}

function valueAt(body: unknown, pointer: string): unknown {
  let value = body;
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    value = (value as Record<string, unknown> | undefined)?.[key];
  }
  return value;
}

/** Compiled validators by schema text: the schema functions build equal schemas again. */
const compiled = new Map<string, ValidateFunction>();

function validatorOf(schema: JsonSchema): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  return validate;
}

/** The problems of `body` against `schema`, readable; empty when it fits. */
export function shapeErrors(body: unknown, schema: JsonSchema): string[] {
  const validate = validatorOf(schema);
  if (validate(body)) return [];
  // if/then/else and anyOf repeat their branches' errors: keep the ones that say something.
  const errors = (validate.errors ?? []).filter((e) => !['if', 'anyOf'].includes(e.keyword));
  return [...new Set(errors.map((e) => describe(body, e)))];
}

/** Throws, listing every difference, unless `body` has exactly the shape `schema` describes. */
export function expectShape(body: unknown, schema: JsonSchema, label = 'response body'): void {
  const errors = shapeErrors(body, schema);
  if (errors.length > 0) {
    throw new Error(
      `${label} does not have Cinder's shape:\n  ${errors.join('\n  ')}\nbody: ${JSON.stringify(body, null, 2)}`,
    );
  }
}
