import { imageFromTaskProperties } from './image-properties';
import { INTERNAL_ERROR, TaskFailure, unpackTaskInput } from './task-input';

const member = { projectId: 'p1', isAdmin: false };
const admin = { projectId: 'p1', isAdmin: true };

describe("imageFromTaskProperties (Glance's image_import create_image)", () => {
  it('splits base properties from custom ones; the owner is the task’s project', () => {
    expect(
      imageFromTaskProperties(
        {
          name: 'cirros',
          disk_format: 'qcow2',
          container_format: 'bare',
          visibility: 'private',
          min_disk: 1,
          min_ram: 64,
          protected: true,
          tags: ['x', 'x', 'y'],
          os_distro: 'cirros',
          hw_cpu_cores: 2,
          secure: false,
        },
        member,
      ),
    ).toEqual({
      owner: 'p1',
      name: 'cirros',
      disk_format: 'qcow2',
      container_format: 'bare',
      visibility: 'private',
      min_disk: 1,
      min_ram: 64,
      protected: true,
      tags: ['x', 'y'],
      properties: { os_distro: 'cirros', hw_cpu_cores: '2', secure: 'false' },
    });
  });

  it('sets no formats of its own for empty properties (Glance’s defaults never apply)', () => {
    expect(imageFromTaskProperties({}, member)).toEqual({ owner: 'p1', properties: {} });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a read-only field', { size: 5, status: 'active' }, "Attribute 'status' is read-only."],
    [
      'an unknown keyword',
      { id: 'x', self: '/y' },
      "new_image() got unexpected keywords dict_keys(['id', 'self'])",
    ],
    ['a reserved property', { deleted: 'yes' }, "Attribute 'deleted' is reserved."],
    [
      'another project as owner',
      { owner: 'p2' },
      "You are not permitted to create images owned by 'p2'.",
    ],
    ['no owner', { owner: null }, "You are not permitted to create images owned by 'None'."],
  ])('refuses %s with the domain’s words', (_what, properties, message) => {
    expect(() => imageFromTaskProperties(properties, member)).toThrow(new TaskFailure(message));
  });

  it('lets an admin name another owner', () => {
    expect(imageFromTaskProperties({ owner: 'p2' }, admin).owner).toBe('p2');
  });

  it.each<[string, unknown]>([
    ['not an object', 'name=x'],
    ['a name too long', { name: 'n'.repeat(256) }],
    ['an unknown visibility', { visibility: 'secret' }],
    ['a negative min_disk', { min_disk: -1 }],
    ['tags that are not strings', { tags: [1] }],
    ['a nested custom property', { extra: { a: 1 } }],
  ])('fails %s as Glance’s database would: an internal error', (_what, properties) => {
    expect(() => imageFromTaskProperties(properties, member)).toThrow(
      new TaskFailure(INTERNAL_ERROR),
    );
  });
});

describe("unpackTaskInput (Glance's script_utils.unpack_task_input)", () => {
  const complete = { import_from: 'http://x/y', import_from_format: 'raw', image_properties: {} };

  it('takes an import input with its three fields', () => {
    expect(unpackTaskInput('import', complete)).toBe(complete);
  });

  it.each<[string, unknown, string]>([
    ['import', { import_from: 'http://x/y' }, "Input does not contain 'import_from_format' field"],
    ['import', { ...complete, image_properties: undefined, import_from_format: 'raw' }, 'ok'],
    ['import', null, INTERNAL_ERROR],
    ['api_image_import', {}, 'Input to api_image_import task is empty.'],
    ['api_image_import', { import_req: {} }, "Missing required 'image_id' field"],
    ['location_import', { image_id: 'x' }, "Input does not contain 'loc_url' field"],
    [
      'location_import',
      { image_id: 'x', loc_url: 'http://x', validation_data: {} },
      'Task type location_import is not supported by this deployment.',
    ],
  ])('answers a %s task with input %j: %s', (type, input, message) => {
    if (message === 'ok') {
      expect(() => unpackTaskInput(type, input)).not.toThrow();
    } else {
      expect(() => unpackTaskInput(type, input)).toThrow(new TaskFailure(message));
    }
  });
});
