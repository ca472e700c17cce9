/**
 * Building blocks of the Cinder response schemas. Written from Cinder's api-ref
 * (api-ref/source/v3: parameters.yaml and samples) and its view builders, never from
 * cinderflow's own views, so that a check against them means something.
 */
export type JsonSchema = Record<string, unknown>;

/** A microversion "3.x" compared numerically (independent of the API's own parser). */
export function atLeast(version: string, minimum: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  const [minMajor, minMinor] = minimum.split('.').map(Number);
  return major !== minMajor ? major > minMajor : minor >= minMinor;
}

export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
export const uuid: JsonSchema = { type: 'string', pattern: UUID_PATTERN };
export const uuidOrNull: JsonSchema = { type: ['string', 'null'], pattern: UUID_PATTERN };
export const string: JsonSchema = { type: 'string' };
export const stringOrNull: JsonSchema = { type: ['string', 'null'] };
export const boolean: JsonSchema = { type: 'boolean' };
export const integer: JsonSchema = { type: 'integer' };
export const integerOrNull: JsonSchema = { type: ['integer', 'null'] };
export const nullOnly: JsonSchema = { type: 'null' };
/** Key/value strings (metadata, extra specs). */
export const stringMap: JsonSchema = {
  type: 'object',
  additionalProperties: { type: 'string' },
};

/**
 * Cinder's timestamps: naive UTC datetimes as Python's isoformat() prints them (no zone;
 * microseconds unless they are zero).
 */
export const TIMESTAMP_PATTERN = '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,6})?$';
export const timestamp: JsonSchema = { type: 'string', pattern: TIMESTAMP_PATTERN };
export const timestampOrNull: JsonSchema = { type: ['string', 'null'], pattern: TIMESTAMP_PATTERN };

/** `[{href, rel: self}, {href, rel: bookmark}]` (common.ViewBuilder._get_links). */
export const resourceLinks: JsonSchema = {
  type: 'array',
  minItems: 2,
  maxItems: 2,
  items: [link('self'), link('bookmark')],
  additionalItems: false,
};

function link(rel: string): JsonSchema {
  return object({ href: { type: 'string', pattern: '^https?://' }, rel: { const: rel } });
}

/** `<collection>_links`: one `next` link (common.ViewBuilder._get_collection_links). */
export const collectionLinks: JsonSchema = {
  type: 'array',
  minItems: 1,
  maxItems: 1,
  items: link('next'),
};

/**
 * An object with exactly these properties: `required` lists every one of them unless named in
 * `optional` (fields a view adds only when they have a value).
 */
export function object(
  properties: Record<string, JsonSchema>,
  optional: Record<string, JsonSchema> = {},
): JsonSchema {
  return {
    type: 'object',
    properties: { ...properties, ...optional },
    required: Object.keys(properties),
    additionalProperties: false,
  };
}

/** `{"<key>": item}`, the envelope of a show or create answer. */
export function envelope(key: string, item: JsonSchema): JsonSchema {
  return object({ [key]: item });
}

/**
 * `{"<key>": [item...]}`, with the optional `<key>_links` (a full page) and, when asked,
 * `count` (3.45+, `with_count`).
 */
export function collection(
  key: string,
  item: JsonSchema,
  options: { links?: boolean; count?: boolean; linksKey?: string } = {},
): JsonSchema {
  const optional: Record<string, JsonSchema> = {};
  if (options.links) optional[options.linksKey ?? `${key}_links`] = collectionLinks;
  if (options.count) optional.count = integer;
  return object({ [key]: { type: 'array', items: item } }, optional);
}
