import type { GlanceImage, ImageSchema } from '@cinderflow/image-client';

/** The image attributes Cinder keeps on a volume made from it (IMAGE_ATTRIBUTES). */
const IMAGE_ATTRIBUTES = [
  'checksum',
  'container_format',
  'disk_format',
  'min_disk',
  'min_ram',
  'size',
] as const;

/**
 * glanceclient's Schema.is_base_property: a property of the schema not marked `is_base: false`
 * (the custom properties of schema-image.json are). Cinder's _translate_from_glance keeps base
 * properties at the top of the image and puts everything else in `properties`.
 */
export function baseProperties(schema: ImageSchema): (key: string) => boolean {
  return (key) => {
    const property = schema.properties[key];
    return property !== undefined && property.is_base !== false;
  };
}

/** Python's str() of a JSON value, as Cinder stores each value (`str(value)`). */
function pyStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

/**
 * Cinder's get_volume_image_metadata (cinder/volume/volume_utils.py): what a volume made from
 * the image keeps as its volume_image_metadata. Every custom property of the image (not a base
 * property, not null), then image_id, image_name (when the image has one) and the
 * IMAGE_ATTRIBUTES that are set, which win over a custom property of the same name.
 */
export function volumeImageMetadata(
  imageId: string,
  image: GlanceImage,
  isBase: (key: string) => boolean,
): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(image)) {
    if (!isBase(key) && value !== null && value !== undefined) metadata[key] = pyStr(value);
  }
  metadata.image_id = imageId;
  if (image.name) metadata.image_name = image.name;
  for (const key of IMAGE_ATTRIBUTES) {
    const value = image[key];
    if (value !== null && value !== undefined) metadata[key] = pyStr(value);
  }
  return metadata;
}
