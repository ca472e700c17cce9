import {
  type SchemaOptions,
  type Static,
  type StringOptions,
  type TSchema,
  Type,
} from '@sinclair/typebox';

/**
 * Building blocks for route schemas. A route's schema is TypeBox: one declaration is the JSON
 * schema ajv validates with (so errors read like Cinder's python-jsonschema ones), the
 * TypeScript type of the parsed body (`Static<typeof schema>`), and for responses the type the
 * view must return. Cinder's schemas spell "or null" as `type: [..., 'null']`, not `anyOf`;
 * these helpers keep that spelling so that error messages stay Cinder's.
 */
export { Type, type Static, type TSchema };

export const UUID_PATTERN =
  '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$';

/** `{type: ['string', 'null'], ...}`. */
export function NullableString(options: StringOptions = {}) {
  return Type.Unsafe<string | null>({ type: ['string', 'null'], ...options });
}

/** Cinder's `name` / `description` parameter types: a string of at most 255, or null. */
export const NameOrNull = NullableString({ maxLength: 255 });
export const DescriptionOrNull = NullableString({ maxLength: 255 });

export const Uuid = Type.String({ pattern: UUID_PATTERN });
export const UuidOrNull = NullableString({ pattern: UUID_PATTERN });

/** Cinder's `boolean` parameter type: JSON booleans and the strings oslo accepts. */
export const BooleanLike = Type.Unsafe<boolean | string>({
  type: ['boolean', 'string'],
  enum: [
    true,
    false,
    'True',
    'TRUE',
    'true',
    'False',
    'FALSE',
    'false',
    '1',
    '0',
    'on',
    'On',
    'ON',
    'off',
    'Off',
    'OFF',
    'y',
    'Y',
    'n',
    'N',
    'yes',
    'Yes',
    'YES',
    'no',
    'No',
    'NO',
    't',
    'T',
    'f',
    'F',
  ],
});

/** oslo's strutils.bool_from_string for a value BooleanLike accepted. */
export function toBoolean(value: boolean | string): boolean {
  return typeof value === 'boolean'
    ? value
    : ['1', 't', 'true', 'on', 'y', 'yes'].includes(value.toLowerCase());
}

/** Cinder's `metadata_allows_null`: string keys of 1–255 of these characters, string values. */
export function Metadata<Null extends boolean = false>(
  options: { nullable?: Null } & SchemaOptions = {},
) {
  const { nullable, ...rest } = options;
  return Type.Unsafe<Null extends true ? Record<string, string> | null : Record<string, string>>({
    type: nullable ? ['object', 'null'] : 'object',
    patternProperties: { '^[a-zA-Z0-9-_:. /]{1,255}$': { type: 'string', maxLength: 255 } },
    additionalProperties: false,
    ...rest,
  });
}

/** An object schema that refuses keys it does not name (Cinder's `additionalProperties: False`). */
export function Strict<P extends Parameters<typeof Type.Object>[0]>(
  properties: P,
  options: SchemaOptions = {},
) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/** `{type: 'string', enum: [...]}` (not TypeBox's anyOf of literals, whose errors differ). */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: SchemaOptions = {},
) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}
