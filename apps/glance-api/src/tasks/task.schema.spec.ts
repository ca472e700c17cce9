import { GlanceHttpError } from '../common/glance-errors';
import { parseTaskCreateBody, taskSchemaError } from './task.schema';

/**
 * Bodies and the str() of the ValidationError python-jsonschema 4.26 raises for them against
 * Glance's task schema (made with Glance's _TASK_SCHEMA and `jsonschema.validate`), which
 * Glance quotes in its 400: the words, and the pprint layout of the schema and instance.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const CASES = require('./task-schema-errors.fixture.json') as [Record<string, unknown>, string][];

function refusal(body: unknown): GlanceHttpError {
  try {
    parseTaskCreateBody(body);
  } catch (error) {
    if (error instanceof GlanceHttpError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('task create body (RequestDeserializer.create)', () => {
  it.each(CASES.map(([body, text], i) => [i, body, text] as const))(
    'case %i words its problem as python-jsonschema does',
    (_i, body, text) => {
      expect(taskSchemaError(body)).toBe(text);
      const error = refusal(body);
      expect(error.status).toBe(400);
      expect(error.message).toBe(`Provided object does not match schema 'task': ${text}`);
    },
  );

  it('asks for a body, then for type and input, before the schema', () => {
    expect(refusal(undefined).message).toBe('Body expected in request.');
    expect(refusal({ input: {} }).message).toBe("Task 'type' is required");
    expect(refusal({ type: 'import' }).message).toBe("Task 'input' is required");
    expect(refusal([]).message).toBe("Task 'type' is required");
    // Required keys are checked before the schema: a wrong type with no input says so first.
    expect(refusal({ type: 'bogus' }).message).toBe("Task 'input' is required");
  });

  it('takes a schema-valid body, whatever other task fields it names', () => {
    const input = { import_from: 'http://example.com/x', import_from_format: 'raw' };
    expect(parseTaskCreateBody({ type: 'import', input })).toEqual({ type: 'import', input });
    expect(
      parseTaskCreateBody({ type: 'location_import', input: null, status: 'success', owner: 'x' }),
    ).toEqual({ type: 'location_import', input: null });
  });
});
