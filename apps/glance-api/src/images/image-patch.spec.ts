import type { RequestContext } from '@cinderflow/request-context';
import { GlanceHttpError } from '../common/glance-errors';
import { ImageSchema } from '../schemas/image-schema';
import {
  applyChanges,
  decodePointer,
  type ImageChange,
  type PatchableImage,
  parsePatch,
} from './image-patch';

const V21 = 'application/openstack-images-v2.1-json-patch';
const V20 = 'application/openstack-images-v2.0-json-patch';
const schema = new ImageSchema({ diskFormats: ['raw', 'qcow2'], containerFormats: ['bare'] });

const admin: RequestContext = {
  requestId: 'req-1',
  userId: 'u',
  projectId: 'p1',
  roles: ['admin'],
  isAdmin: true,
};
const member = (projectId = 'p1', roles = ['member', 'reader']): RequestContext => ({
  ...admin,
  projectId,
  roles,
  isAdmin: false,
});

function outcome(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    const e = error as GlanceHttpError;
    return `${e.status} ${e.detail ?? e.message}`;
  }
  return 'accepted';
}

async function asyncOutcome(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (error) {
    const e = error as GlanceHttpError;
    return `${e.status} ${e.detail ?? e.message}`;
  }
  return 'accepted';
}

const image = (overrides: Partial<PatchableImage> = {}): PatchableImage => ({
  id: '6f1c7b1e-0a86-4c1d-9a47-2d8a44f40b7e',
  status: 'queued',
  owner: 'p1',
  name: 'cirros',
  visibility: 'shared',
  protected: false,
  os_hidden: false,
  min_disk: 0,
  min_ram: 0,
  disk_format: null,
  container_format: null,
  tags: ['a'],
  properties: { os_distro: 'cirros' },
  ...overrides,
});

const options = {
  tagQuota: 3,
  applyLocations: () => Promise.reject(new Error('no location change expected')),
};

function patch(caller: RequestContext, target: PatchableImage, ops: unknown[], type = V21) {
  return applyChanges(caller, target, parsePatch(type, ops, schema), options);
}

describe('parsePatch (RequestDeserializer.update)', () => {
  it('takes only the two JSON-patch media types, naming them in Accept-Patch (415)', () => {
    let error: GlanceHttpError | undefined;
    try {
      parsePatch('application/json', [], schema);
    } catch (e) {
      error = e as GlanceHttpError;
    }
    expect(error?.status).toBe(415);
    expect(error?.detail).toBe(`Image PATCH expects Content-Type one of: ${V20}, ${V21}`);
    expect(error?.headers).toEqual({ 'Accept-Patch': `${V20}, ${V21}` });
    expect(parsePatch(`${V21}; charset=UTF-8`, [], schema)).toEqual([]);
  });

  it('parses draft 10 (2.1) and draft 4 (2.0) operations', () => {
    expect(parsePatch(V21, [{ op: 'replace', path: '/name', value: 'x' }], schema)).toEqual([
      { op: 'replace', path: ['name'], value: 'x', draft: 10 },
    ]);
    expect(parsePatch(V20, [{ add: '/a~1b~0c', value: 'v' }, { remove: '/x' }], schema)).toEqual([
      { op: 'add', path: ['a/b~c'], value: 'v', draft: 4 },
      { op: 'remove', path: ['x'], draft: 4 },
    ]);
  });

  it.each([
    [undefined, 'Body expected in request.'],
    [{}, 'Request body must be a JSON array of operation objects.'],
    [['x'], 'Operations must be JSON objects.'],
    [
      [{ path: '/name' }],
      'Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.',
    ],
    [
      [{ op: 'move', path: '/name' }],
      'Invalid operation: `move`. It must be one of the following: add, remove, replace.',
    ],
    [[{ op: 'add', value: 1 }], "Unable to find 'path' in JSON Schema change"],
    [[{ op: 'add', path: 'name', value: 'x' }], 'Pointer `name` does not start with "/".'],
    [[{ op: 'add', path: '/a//b', value: 'x' }], 'Pointer `/a//b` contains adjacent "/".'],
    [[{ op: 'add', path: '/a/', value: 'x' }], 'Pointer `/a/` end with "/".'],
    [
      [{ op: 'add', path: '/a~2', value: 'x' }],
      'Pointer `/a~2` contains "~" not part of a recognized escape sequence.',
    ],
    [
      [{ op: 'add', path: '/tags/-', value: 'x' }],
      "Invalid JSON pointer for this resource: '/tags/-'",
    ],
    [
      [{ op: 'add', path: '/locations', value: [] }],
      "Invalid JSON pointer for this resource: '/locations'",
    ],
    [[{ op: 'replace', path: '/name' }], 'Operation "replace" requires a member named "value".'],
  ])('refuses %j: 400 %s', (body, message) => {
    expect(outcome(() => parsePatch(V21, body, schema))).toBe(`400 ${message}`);
  });

  it('refuses draft 4 operations naming no or several operations', () => {
    expect(outcome(() => parsePatch(V20, [{ path: '/x' }], schema))).toBe(
      '400 Operation objects must contain exactly one member named "add", "remove", or "replace".',
    );
    expect(outcome(() => parsePatch(V20, [{ add: '/x', remove: '/x' }], schema))).toBe(
      '400 Operation objects must contain only one member named "add", "remove", or "replace".',
    );
  });

  it('refuses read-only and reserved attributes (403) before looking at values', () => {
    expect(
      outcome(() => parsePatch(V21, [{ op: 'replace', path: '/status', value: 1 }], schema)),
    ).toBe("403 Attribute 'status' is read-only.");
    expect(outcome(() => parsePatch(V21, [{ op: 'remove', path: '/id' }], schema))).toBe(
      "403 Attribute 'id' is read-only.",
    );
    expect(
      outcome(() => parsePatch(V21, [{ op: 'add', path: '/deleted', value: 'x' }], schema)),
    ).toBe("403 Attribute 'deleted' is reserved.");
    expect(
      outcome(() => parsePatch(V21, [{ op: 'add', path: '/os_glance_x', value: 'x' }], schema)),
    ).toBe("403 Attribute 'os_glance_x' is reserved.");
  });

  it('validates each value against the image schema', () => {
    expect(
      outcome(() => parsePatch(V21, [{ op: 'replace', path: '/min_ram', value: '1' }], schema)),
    ).toMatch(/^400 Provided object does not match schema 'image': '1' is not of type 'integer'/);
    expect(
      outcome(() => parsePatch(V21, [{ op: 'add', path: '/custom', value: 3 }], schema)),
    ).toMatch(/^400 Provided object does not match schema 'image': 3 is not of type 'string'/);
    expect(
      outcome(() =>
        parsePatch(V21, [{ op: 'add', path: '/locations/-', value: { url: 'x' } }], schema),
      ),
    ).toMatch(/'metadata' is a required property/);
  });

  it('decodes JSON pointers as Glance does (escapes, then surrounding spaces)', () => {
    expect(decodePointer('/ name ')).toEqual(['name']);
    expect(decodePointer('/locations/0')).toEqual(['locations', '0']);
    expect(outcome(() => decodePointer('/~'))).toBe(
      '400 Pointer `/~` contains "~" not part of a recognized escape sequence.',
    );
  });
});

describe('applyChanges (ImagesController.update)', () => {
  it('adds, replaces and removes attributes, custom properties and tags in order', async () => {
    const target = image();
    await patch(admin, target, [
      { op: 'replace', path: '/name', value: 'renamed' },
      { op: 'add', path: '/hw_disk_bus', value: 'scsi' },
      { op: 'replace', path: '/os_distro', value: 'debian' },
      { op: 'add', path: '/os_distro', value: 'ubuntu' },
      { op: 'replace', path: '/tags', value: ['x', 'y', 'x'] },
      { op: 'replace', path: '/min_disk', value: 2 },
      { op: 'replace', path: '/disk_format', value: 'raw' },
      { op: 'add', path: '/visibility', value: 'private' },
      { op: 'replace', path: '/protected', value: true },
      { op: 'replace', path: '/os_hidden', value: true },
      { op: 'remove', path: '/hw_disk_bus' },
    ]);
    expect(target).toMatchObject({
      name: 'renamed',
      properties: { os_distro: 'ubuntu' },
      tags: ['x', 'y'],
      min_disk: 2,
      disk_format: 'raw',
      visibility: 'private',
      protected: true,
      os_hidden: true,
    });
  });

  it("answers Glance's refusals", async () => {
    expect(
      await asyncOutcome(() =>
        patch(admin, image(), [{ op: 'replace', path: '/nope', value: 'x' }]),
      ),
    ).toBe('409 Property nope does not exist.');
    expect(await asyncOutcome(() => patch(admin, image(), [{ op: 'remove', path: '/nope' }]))).toBe(
      '409 Property nope does not exist.',
    );
    expect(await asyncOutcome(() => patch(admin, image(), [{ op: 'remove', path: '/name' }]))).toBe(
      '403 Property name may not be removed.',
    );
    expect(
      await asyncOutcome(() => patch(admin, image(), [{ add: '/os_distro', value: 'x' }], V20)),
    ).toBe('409 Property os_distro already present.');
    expect(
      await asyncOutcome(() => patch(admin, image(), [{ add: '/name', value: 'x' }], V20)),
    ).toBe('409 Property name already present.');
    expect(
      await asyncOutcome(() =>
        patch(admin, image({ status: 'active' }), [
          { op: 'replace', path: '/disk_format', value: 'raw' },
        ]),
      ),
    ).toBe('403 Attribute disk_format can be only replaced for a queued image.');
    expect(
      await asyncOutcome(() =>
        patch(admin, image(), [{ op: 'replace', path: '/min_ram', value: -1 }]),
      ),
    ).toBe("400 Invalid value '-1' for parameter 'min_ram': Cannot be a negative value");
    expect(
      await asyncOutcome(() =>
        patch(admin, image(), [{ op: 'replace', path: '/tags', value: ['1', '2', '3', '4'] }]),
      ),
    ).toBe(
      '413 The limit has been exceeded on the number of allowed image tags. Attempted: 4, Maximum: 3',
    );
  });

  it('lets only the owner (or an admin) modify, and only an admin publicize or give away', async () => {
    expect(
      await asyncOutcome(() =>
        patch(member(), image(), [{ op: 'replace', path: '/name', value: 'x' }]),
      ),
    ).toBe('accepted');
    expect(
      await asyncOutcome(() =>
        patch(member('p2'), image(), [{ op: 'replace', path: '/name', value: 'x' }]),
      ),
    ).toBe('403 You are not authorized to complete modify_image action.');
    expect(
      await asyncOutcome(() =>
        patch(member('p1', ['reader']), image(), [{ op: 'add', path: '/x', value: 'x' }]),
      ),
    ).toBe('403 You are not authorized to complete modify_image action.');
    expect(
      await asyncOutcome(() =>
        patch(member(), image(), [{ op: 'replace', path: '/visibility', value: 'public' }]),
      ),
    ).toBe('403 You are not authorized to complete publicize_image action.');
    expect(
      await asyncOutcome(() =>
        patch(member(), image(), [{ op: 'replace', path: '/visibility', value: 'community' }]),
      ),
    ).toBe('accepted');
    expect(
      await asyncOutcome(() =>
        patch(member(), image(), [{ op: 'replace', path: '/owner', value: 'p2' }]),
      ),
    ).toBe("403 Owner can't be updated by non admin.");
    const given = image();
    await patch(admin, given, [{ op: 'replace', path: '/owner', value: 'p2' }]);
    expect(given.owner).toBe('p2');
  });

  it('hands /locations changes to the locations work, after their policies', async () => {
    const seen: unknown[] = [];
    const locations = {
      ...options,
      applyLocations: async (change: unknown) => {
        seen.push(change);
        return { status: 'active' };
      },
    };
    const target = image();
    const add = [{ op: 'add', path: '/locations/-', value: { url: 'file:///x', metadata: {} } }];
    await applyChanges(admin, target, parsePatch(V21, add, schema), locations);
    expect(seen).toEqual([expect.objectContaining({ op: 'add', path: ['locations', '-'] })]);
    expect(target.status).toBe('active');
    expect(
      await asyncOutcome(() =>
        patch(admin, image(), [{ op: 'replace', path: '/locations', value: [] }]),
      ),
    ).toBe('403 Cannot set locations to empty list.');
    expect(
      await asyncOutcome(() => patch(member(), image(), [{ op: 'remove', path: '/locations/0' }])),
    ).toBe('403 You are not authorized to complete delete_image_location action.');
    expect(seen).toHaveLength(1);
  });

  it('stops at the first refused operation', async () => {
    const target = image();
    const changes: ImageChange[] = parsePatch(
      V21,
      [
        { op: 'replace', path: '/name', value: 'changed' },
        { op: 'replace', path: '/missing', value: 'x' },
      ],
      schema,
    );
    await expect(applyChanges(admin, target, changes, options)).rejects.toThrow(
      'There was a conflict',
    );
  });
});
