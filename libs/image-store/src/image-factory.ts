import { pyRepr } from './python-repr';

/**
 * Glance's ImageFactory (glance/domain/__init__.py): the checks new_image makes of its
 * arguments, shared by the images API's create and the task worker's import.
 */

/** new_image's own keywords (image_id is `id` in a body). */
export const NEW_IMAGE_KEYWORDS: readonly string[] = [
  'name',
  'visibility',
  'min_disk',
  'min_ram',
  'protected',
  'owner',
  'disk_format',
  'container_format',
  'tags',
  'os_hidden',
];

/** ImageFactory._readonly_properties. */
export const IMAGE_READ_ONLY: readonly string[] = [
  'created_at',
  'updated_at',
  'status',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'size',
  'virtual_size',
];

/** ImageFactory._reserved_properties (as custom property names). */
export const IMAGE_RESERVED: readonly string[] = [
  'owner',
  'locations',
  'deleted',
  'deleted_at',
  'direct_url',
  'self',
  'file',
  'schema',
];

/** Why new_image refuses its arguments, with Glance's words. */
export interface NewImageRefusal {
  /** ReadonlyProperty and ReservedProperty are Forbidden (403); an unexpected keyword a TypeError. */
  kind: 'read-only' | 'unexpected' | 'reserved';
  message: string;
}

/**
 * new_image's _check_readonly, _check_unexpected and _check_reserved, in that order: `otherArgs`
 * are the keyword arguments beyond its own, `extraProperties` the custom properties' names.
 */
export function newImageRefusal(
  otherArgs: readonly string[],
  extraProperties: readonly string[],
): NewImageRefusal | undefined {
  const readOnly = IMAGE_READ_ONLY.find((key) => otherArgs.includes(key));
  if (readOnly) return { kind: 'read-only', message: `Attribute '${readOnly}' is read-only.` };
  if (otherArgs.length > 0) {
    // '%s' % kwargs.keys()
    return {
      kind: 'unexpected',
      message: `new_image() got unexpected keywords dict_keys(${pyRepr(otherArgs)})`,
    };
  }
  const reserved = IMAGE_RESERVED.find((key) => extraProperties.includes(key));
  if (reserved) return { kind: 'reserved', message: `Attribute '${reserved}' is reserved.` };
  return undefined;
}
