import type { ImageEntity, ImageLocationEntity } from '@cinderflow/persistence';

/** What the view needs beside the row: its active locations and the server's show options. */
export interface ImageViewOptions {
  locations: ImageLocationEntity[];
  showMultipleLocations: boolean;
  showDirectUrl: boolean;
}

/** Glance's timeutils.isotime: seconds, `Z`. */
export function isoTime(date: Date | null): string | null {
  return date ? `${date.toISOString().slice(0, 19)}Z` : null;
}

function count(value: string | null): number | null {
  return value === null ? null : Number(value);
}

/**
 * An image as Glance's v2 ResponseSerializer._format_image shows it: custom properties at the
 * top level beside the base attributes (null when unset), only active locations.
 */
export function imageView(image: ImageEntity, options: ImageViewOptions): Record<string, unknown> {
  const view: Record<string, unknown> = {
    ...image.properties,
    name: image.name,
    disk_format: image.disk_format,
    container_format: image.container_format,
    visibility: image.visibility,
    size: count(image.size),
    virtual_size: count(image.virtual_size),
    status: image.status,
    checksum: image.checksum,
    protected: image.protected,
    min_ram: image.min_ram,
    min_disk: image.min_disk,
    owner: image.owner,
    os_hidden: image.os_hidden,
    os_hash_algo: image.os_hash_algo,
    os_hash_value: image.os_hash_value,
    id: image.id,
    created_at: isoTime(image.created_at),
    updated_at: isoTime(image.updated_at ?? image.created_at),
  };
  const locations = options.locations.filter((location) => location.status === 'active');
  if (options.showMultipleLocations) {
    view.locations = locations.map((location) => ({
      url: location.value,
      metadata: location.meta_data,
    }));
  }
  if (options.showDirectUrl && locations.length > 0) {
    view.direct_url = locations[0].value;
  }
  view.tags = [...image.tags];
  view.self = `/v2/images/${image.id}`;
  view.file = `/v2/images/${image.id}/file`;
  view.schema = '/v2/schemas/image';
  const stores = locations
    .map((location) => location.meta_data.store)
    .filter((store): store is string => typeof store === 'string' && store.length > 0);
  if (stores.length > 0) view.stores = stores.join(',');
  return view;
}
