import type { RequestContext } from '@cinderflow/request-context';
import { GlanceHttpError } from '../common/glance-errors';
import { ImageSchema } from '../schemas/image-schema';
import { newImage, parseCreateBody } from './image-create';
import { enforceAddImage } from './image-policy';
import { checkDatabaseValues, checkPropertyQuota, checkTagQuota } from './image-rules';

const schema = new ImageSchema({ diskFormats: ['raw', 'qcow2'], containerFormats: ['bare'] });

function outcome(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    const e = error as GlanceHttpError;
    return `${e.status} ${e.detail ?? e.message}`;
  }
  return 'accepted';
}

const create = (body: unknown) => newImage(parseCreateBody(body, schema));

describe('parseCreateBody and newImage (RequestDeserializer.create, ImageFactory)', () => {
  it("fills Glance's defaults and splits custom properties and tags off", () => {
    expect(create({ name: 'cirros', os_distro: 'cirros', tags: ['a', 'b', 'a'] })).toEqual({
      name: 'cirros',
      visibility: 'shared',
      protected: false,
      os_hidden: false,
      min_disk: 0,
      min_ram: 0,
      disk_format: null,
      container_format: null,
      tags: ['a', 'b'],
      properties: { os_distro: 'cirros' },
    });
    expect(create({})).toMatchObject({ name: null, tags: [], properties: {} });
    expect(create({ id: 'd6d0a1d6-4b8e-4f4a-9d8c-3c3e8d0b0f11', owner: null })).toMatchObject({
      id: 'd6d0a1d6-4b8e-4f4a-9d8c-3c3e8d0b0f11',
      owner: null,
    });
  });

  it.each([
    [undefined, '400 Body expected in request.'],
    [{ self: 'x' }, "403 Attribute 'self' is read-only."],
    [{ stores: 'x' }, "403 Attribute 'stores' is read-only."],
    [{ status: 'active' }, "403 Attribute 'status' is read-only."],
    [{ size: 5 }, "403 Attribute 'size' is read-only."],
    [{ os_hash_value: 'x' }, "403 Attribute 'os_hash_value' is read-only."],
    [{ deleted: 'x' }, "403 Attribute 'deleted' is reserved."],
    [{ os_glance_import_task: 'x' }, "403 Attribute 'os_glance_import_task' is reserved."],
    [{ locations: [] }, "403 Attribute 'locations' is reserved."],
    [{ ['k'.repeat(256)]: 'v' }, '400 Custom property should not be greater than 255 characters.'],
    [
      { min_disk: -1 },
      "400 Invalid value '-1' for parameter 'min_disk': Cannot be a negative value",
    ],
  ])('refuses %j: %s', (body, expected) => {
    expect(outcome(() => create(body))).toBe(expected);
  });

  it('refuses what the schema refuses (400)', () => {
    for (const body of [
      { name: 'n'.repeat(256) },
      { visibility: 'everyone' },
      { disk_format: 'floppy' },
      { container_format: 'box' },
      { protected: 'yes' },
      { os_hidden: 1 },
      { min_ram: 1.5 },
      { id: 'not-a-uuid' },
      { tags: ['t'.repeat(256)] },
      { custom: 42 },
    ]) {
      expect(outcome(() => create(body))).toMatch(
        /^400 Provided object does not match schema 'image': /,
      );
    }
  });
});

describe('create policies and limits', () => {
  const caller = (roles: string[], projectId = 'p1'): RequestContext => ({
    requestId: 'req-1',
    userId: 'u',
    projectId,
    roles,
    isAdmin: roles.includes('admin'),
  });

  it('lets members create in their own project, admins for anyone; public takes admin', () => {
    expect(outcome(() => enforceAddImage(caller(['member']), 'p1', undefined))).toBe('accepted');
    expect(outcome(() => enforceAddImage(caller(['member']), 'p2', undefined))).toBe(
      "403 You are not permitted to create images owned by 'p2'",
    );
    expect(outcome(() => enforceAddImage(caller(['reader']), 'p1', undefined))).toBe(
      '403 You are not authorized to complete add_image action.',
    );
    expect(outcome(() => enforceAddImage(caller(['member']), 'p1', 'public'))).toBe(
      '403 You are not authorized to complete publicize_image action.',
    );
    expect(outcome(() => enforceAddImage(caller(['member']), 'p1', 'community'))).toBe('accepted');
    expect(outcome(() => enforceAddImage(caller(['admin']), 'p2', 'public'))).toBe('accepted');
  });

  it('counts tags and properties against their quotas (413)', () => {
    expect(outcome(() => checkTagQuota(129, 128))).toBe(
      '413 The limit has been exceeded on the number of allowed image tags. Attempted: 129, Maximum: 128',
    );
    expect(outcome(() => checkTagQuota(1000, -1))).toBe('accepted');
    expect(outcome(() => checkPropertyQuota({ a: '1', b: '2', os_glance_x: '3' }, 2))).toBe(
      'accepted',
    );
    expect(outcome(() => checkPropertyQuota({ a: '1', b: '2', c: '3' }, 2))).toBe(
      '413 The limit has been exceeded on the number of allowed image properties. Attempted: 3, Maximum: 2',
    );
  });

  it("refuses what Glance's database API refuses", () => {
    const values = { name: 'n', owner: 'p', properties: {}, tags: [], min_disk: 0, min_ram: 0 };
    expect(outcome(() => checkDatabaseValues({ ...values, name: 'smile 😀' }))).toBe(
      "400 Name can't contain 4 byte unicode characters.",
    );
    expect(outcome(() => checkDatabaseValues({ ...values, properties: { os_distro: '😀' } }))).toBe(
      "400 Os_Distro can't contain 4 byte unicode characters.",
    );
    expect(outcome(() => checkDatabaseValues({ ...values, properties: { '😀': 'x' } }))).toBe(
      "400 Property names can't contain 4 byte unicode.",
    );
    expect(outcome(() => checkDatabaseValues({ ...values, min_ram: 2 ** 31 }))).toBe(
      "400 'min_ram' value out of range, must not exceed 2147483647.",
    );
    expect(outcome(() => checkDatabaseValues({ ...values, tags: ['😀'] }))).toBe(
      "400 Param values can't contain 4 byte unicode.",
    );
  });
});
