import type { VolumeTypeEntity } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { ApiVersion } from '../common/microversion';
import { DefaultTypesController } from './default-types.controller';
import { VolumeTypesController } from './volume-types.controller';
import type { VolumeTypesService } from './volume-types.service';

const caller = (roles: string[], isAdmin = false): RequestContext => ({
  requestId: 'req-1',
  userId: 'u',
  projectId: 'p1',
  roles,
  isAdmin,
});
const admin = caller(['admin', 'member', 'reader'], true);
const member = caller(['member', 'reader']);
const reader = caller(['reader']);

const privateType: VolumeTypeEntity = {
  id: '11111111-1111-1111-1111-111111111111',
  name: 'gold',
  description: null,
  is_public: false,
  extra_specs: { volume_backend_name: 'b1', multiattach: '<is> True' },
  created_at: new Date(),
  deleted: false,
};

function controller() {
  const asked: { viewer: RequestContext; isPublic: boolean | null }[] = [];
  const service = {
    list: (viewer: RequestContext, isPublic: boolean | null) => {
      asked.push({ viewer, isPublic });
      return Promise.resolve([privateType]);
    },
    update: () => Promise.resolve(privateType),
  } as unknown as VolumeTypesService;
  return { types: new VolumeTypesController(service), asked, service };
}

describe('VolumeTypesController', () => {
  it('only an admin chooses with is_public; anyone else is asked for public + shared', async () => {
    const { types, asked } = controller();
    await types.list('false', member);
    await types.list(undefined, admin);
    await types.list('none', admin);
    await types.list('0', admin);
    expect(asked.map((a) => a.isPublic)).toEqual([true, true, null, false]);
    await expect(types.list('maybe', admin)).rejects.toMatchObject({
      status: 400,
      message: 'Invalid is_public filter [maybe]',
    });
  });

  it('views: the access field for members, sensitive specs for admins only', async () => {
    const { types } = controller();
    const [asMember] = (await types.list(undefined, member)).volume_types;
    expect(asMember).toMatchObject({
      'os-volume-type-access:is_public': false,
      extra_specs: { multiattach: '<is> True' },
    });
    expect(asMember).not.toHaveProperty('qos_specs_id');
    expect(asMember.extra_specs).not.toHaveProperty('volume_backend_name');
    const [asReader] = (await types.list(undefined, reader)).volume_types;
    expect(asReader).not.toHaveProperty('os-volume-type-access:is_public');
    const [asAdmin] = (await types.list(undefined, admin)).volume_types;
    expect(asAdmin.extra_specs).toHaveProperty('volume_backend_name', 'b1');
  });

  it('the update answer is types_manage view, without the access field', async () => {
    const { types } = controller();
    expect(await types.update(privateType.id, { volume_type: { description: 'x' } })).toEqual({
      volume_type: {
        id: privateType.id,
        name: 'gold',
        description: null,
        is_public: false,
        extra_specs: privateType.extra_specs,
      },
    });
  });
});

describe('DefaultTypesController', () => {
  const defaults = new DefaultTypesController({
    allProjectDefaults: () => Promise.resolve([]),
  } as unknown as VolumeTypesService);

  it('is 3.62 and later, and for admins', async () => {
    await expect(defaults.list(admin, ApiVersion.parse('3.61'))).rejects.toMatchObject({
      status: 404,
    });
    await expect(defaults.list(member, ApiVersion.parse('3.62'))).rejects.toMatchObject({
      status: 403,
      message: 'You are not authorized to perform this operation.',
    });
    expect(await defaults.list(admin, ApiVersion.parse('3.62'))).toEqual({ default_types: [] });
  });
});
