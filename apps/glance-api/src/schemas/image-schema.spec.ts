import { GlanceHttpError } from '../common/glance-errors';
import { ImageSchema } from './image-schema';

const schema = new ImageSchema({
  diskFormats: ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'],
  containerFormats: ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'],
});

function refusal(instance: unknown): string {
  try {
    schema.validate(instance);
  } catch (error) {
    return `${(error as GlanceHttpError).status} ${(error as GlanceHttpError).message}`;
  }
  return 'accepted';
}

describe('ImageSchema', () => {
  it("serves Glance's image schema: base and custom properties, strings beside them", () => {
    const raw = schema.raw() as {
      name: string;
      properties: Record<string, Record<string, unknown>>;
      additionalProperties: unknown;
      links: unknown;
    };
    expect(Object.keys(raw)).toEqual(['name', 'properties', 'additionalProperties', 'links']);
    expect(raw.name).toBe('image');
    expect(raw.additionalProperties).toEqual({ type: 'string' });
    expect(raw.links).toEqual([
      { rel: 'self', href: '{self}' },
      { rel: 'enclosure', href: '{file}' },
      { rel: 'describedby', href: '{schema}' },
    ]);
    expect(Object.keys(raw.properties).slice(0, 4)).toEqual(['id', 'name', 'status', 'visibility']);
    expect(raw.properties.disk_format.enum).toEqual([
      null,
      'ami',
      'ari',
      'aki',
      'vhd',
      'vhdx',
      'vmdk',
      'raw',
      'qcow2',
      'vdi',
      'iso',
      'ploop',
    ]);
    expect(raw.properties.status.readOnly).toBe(true);
    expect(raw.properties.os_distro).toMatchObject({ type: 'string', is_base: false });
    expect(raw.properties.name).not.toHaveProperty('is_base');
  });

  it('serves the images collection schema around it', () => {
    const raw = schema.collection() as { properties: Record<string, unknown>; links: unknown };
    expect(raw).toMatchObject({ name: 'images' });
    expect(raw.properties.images).toEqual({ type: 'array', items: schema.raw() });
    expect(raw.links).toEqual([
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ]);
  });

  it('accepts what Glance accepts', () => {
    expect(
      refusal({
        name: null,
        visibility: 'community',
        disk_format: null,
        min_ram: 512,
        tags: ['a'],
        kernel_id: null,
        os_distro: 'debian',
        anything: 'goes as a string',
      }),
    ).toBe('accepted');
  });

  // The texts are jsonschema's (Python), as Glance answers them.
  it('refuses with str(ValidationError): the best match, its schema and instance', () => {
    expect(refusal({ visibility: 'x', name: 'y'.repeat(300) })).toBe(
      "400 Provided object does not match schema 'image': 'x' is not one of ['community', 'public', 'private', 'shared']\n\nFailed validating 'enum' in schema['properties']['visibility']:\n    {'type': 'string',\n     'description': 'Scope of image accessibility',\n     'enum': ['community', 'public', 'private', 'shared']}\n\nOn instance['visibility']:\n    'x'",
    );
    expect(refusal({ kernel_id: 'abc' })).toBe(
      "400 Provided object does not match schema 'image': 'abc' does not match '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$'\n\nFailed validating 'pattern' in schema['properties']['kernel_id']:\n    {'type': ['null', 'string'],\n     'pattern': '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$',\n     'description': 'ID of image stored in Glance that should be used as '\n                    'the kernel when booting an AMI-style image.',\n     'is_base': False}\n\nOn instance['kernel_id']:\n    'abc'",
    );
    expect(refusal({ foo: 1 })).toBe(
      "400 Provided object does not match schema 'image': 1 is not of type 'string'\n\nFailed validating 'type' in schema['additionalProperties']:\n    {'type': 'string'}\n\nOn instance['foo']:\n    1",
    );
  });

  it('refuses a tag over 255 characters at its index', () => {
    const message = refusal({ tags: ['a', 'b'.repeat(256)] });
    expect(message).toMatch(/^400 Provided object does not match schema 'image': 'b+' is too long/);
    expect(message).toContain(
      "Failed validating 'maxLength' in schema['properties']['tags']['items']:\n    {'type': 'string', 'maxLength': 255}\n\nOn instance['tags'][1]:",
    );
  });

  it('refuses a location without metadata (required)', () => {
    expect(refusal({ locations: [{ url: 'x' }] })).toMatch(
      /^400 Provided object does not match schema 'image': 'metadata' is a required property\n\nFailed validating 'required' in schema\['properties'\]\['locations'\]\['items'\]:/,
    );
  });

  it('does not take inherited names for properties', () => {
    expect(refusal({ constructor: 5 })).toMatch(/5 is not of type 'string'/);
  });
});
