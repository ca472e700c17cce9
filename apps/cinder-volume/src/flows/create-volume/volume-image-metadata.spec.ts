import type { GlanceImage, ImageSchema } from '@cinderflow/image-client';
import { baseProperties, volumeImageMetadata } from './volume-image-metadata';

/** Part of Glance's image schema: base properties, and schema-image.json's custom ones. */
const SCHEMA: ImageSchema = {
  name: 'image',
  properties: {
    id: { type: 'string' },
    name: { type: ['null', 'string'] },
    status: { type: 'string' },
    visibility: { type: 'string' },
    owner: { type: ['null', 'string'] },
    protected: { type: 'boolean' },
    os_hidden: { type: 'boolean' },
    size: { type: ['null', 'integer'] },
    virtual_size: { type: ['null', 'integer'] },
    checksum: { type: ['null', 'string'] },
    os_hash_algo: { type: ['null', 'string'] },
    os_hash_value: { type: ['null', 'string'] },
    container_format: { type: ['null', 'string'] },
    disk_format: { type: ['null', 'string'] },
    min_disk: { type: 'integer' },
    min_ram: { type: 'integer' },
    tags: { type: 'array' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
    self: { type: 'string' },
    file: { type: 'string' },
    schema: { type: 'string' },
    stores: { type: 'string' },
    os_distro: { type: 'string', is_base: false },
    kernel_id: { type: ['null', 'string'], is_base: false },
  },
};

const IMAGE: GlanceImage = {
  id: '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d',
  name: 'cirros',
  status: 'active',
  visibility: 'private',
  owner: 'p1',
  protected: false,
  os_hidden: false,
  size: 12_345,
  virtual_size: 12_345,
  checksum: 'f'.repeat(32),
  os_hash_algo: 'sha512',
  os_hash_value: 'a'.repeat(128),
  container_format: 'bare',
  disk_format: 'raw',
  min_disk: 1,
  min_ram: 512,
  tags: ['x'],
  created_at: '2025-01-01T00:00:00Z',
  updated_at: '2025-01-01T00:00:00Z',
  self: '/v2/images/0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d',
  file: '/v2/images/0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d/file',
  schema: '/v2/schemas/image',
  stores: 'file1',
  os_distro: 'cirros',
  kernel_id: null,
  hw_disk_bus: 'scsi',
};

describe('volumeImageMetadata (Cinder get_volume_image_metadata)', () => {
  const isBase = baseProperties(SCHEMA);

  it('keeps image_id, image_name, the six image attributes and every custom property', () => {
    expect(volumeImageMetadata(IMAGE.id, IMAGE, isBase)).toEqual({
      image_id: IMAGE.id,
      image_name: 'cirros',
      checksum: 'f'.repeat(32),
      container_format: 'bare',
      disk_format: 'raw',
      min_disk: '1',
      min_ram: '512',
      size: '12345',
      // schema-image.json's (is_base false) and additional properties alike; nulls dropped
      os_distro: 'cirros',
      hw_disk_bus: 'scsi',
    });
  });

  it('leaves out a name the image lacks, and attributes that are null', () => {
    const unnamed = { ...IMAGE, name: null, checksum: null, container_format: null };
    const metadata = volumeImageMetadata(IMAGE.id, unnamed, isBase);
    expect(metadata).not.toHaveProperty('image_name');
    expect(metadata).not.toHaveProperty('checksum');
    expect(metadata).not.toHaveProperty('container_format');
    expect(metadata.disk_format).toBe('raw');
  });

  it('gives the image attributes precedence over custom properties of the same name', () => {
    // A property named like a base attribute cannot exist in Glance; image_id can.
    const metadata = volumeImageMetadata(IMAGE.id, { ...IMAGE, image_id: 'spoofed' }, isBase);
    expect(metadata.image_id).toBe(IMAGE.id);
  });

  it("stores values as Python's str() writes them", () => {
    const metadata = volumeImageMetadata(
      IMAGE.id,
      { ...IMAGE, flag: true, off: false, count: 3 },
      isBase,
    );
    expect(metadata).toMatchObject({ flag: 'True', off: 'False', count: '3' });
  });

  it('treats a property the schema does not know as custom', () => {
    expect(baseProperties(SCHEMA)('hw_disk_bus')).toBe(false);
    expect(baseProperties(SCHEMA)('os_distro')).toBe(false);
    expect(baseProperties(SCHEMA)('min_disk')).toBe(true);
  });
});
