import {
  type GlanceImage,
  type ImageServiceClient,
  ImageServiceError,
  ImageServiceUnavailableError,
} from '@cinderflow/image-client';
import type { RequestContext } from '@cinderflow/request-context';
import { CinderHttpError } from '../../common/cinder-errors';
import { checkImageMetadata, imageIdFromRef } from './image-source';

const GiB = 1024 ** 3;
const ID = '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d';
const CALLER: RequestContext = {
  requestId: 'req-1',
  userId: 'u',
  projectId: 'p',
  roles: ['admin'],
  isAdmin: true,
};

function image(overrides: Partial<GlanceImage> = {}): GlanceImage {
  return {
    id: ID,
    name: 'cirros',
    status: 'active',
    visibility: 'private',
    owner: 'p',
    size: GiB,
    virtual_size: null,
    checksum: null,
    os_hash_algo: null,
    os_hash_value: null,
    disk_format: 'raw',
    container_format: 'bare',
    min_disk: 0,
    min_ram: 0,
    protected: false,
    ...overrides,
  };
}

function refusal(fn: () => unknown): { status: number; message: string } | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof CinderHttpError) return { status: error.status, message: error.message };
    throw error;
  }
  return undefined;
}

describe('checkImageMetadata (Cinder check_image_metadata)', () => {
  it('accepts an active image that fits', () => {
    expect(refusal(() => checkImageMetadata(image(), 1))).toBeUndefined();
    expect(refusal(() => checkImageMetadata(image({ min_disk: 2 }), 2))).toBeUndefined();
  });

  it.each(['queued', 'saving', 'deactivated', 'importing'])('refuses a %s image', (status) => {
    expect(refusal(() => checkImageMetadata(image({ status }), 1))).toEqual({
      status: 400,
      message: `Invalid input received: Image ${ID} is not active.`,
    });
  });

  it('rounds the image size up to GiB against the volume size', () => {
    expect(refusal(() => checkImageMetadata(image({ size: GiB + 1 }), 1))).toEqual({
      status: 400,
      message:
        'Invalid input received: Size of specified image 2GB is larger than volume size 1GB.',
    });
    expect(refusal(() => checkImageMetadata(image({ size: GiB + 1 }), 2))).toBeUndefined();
  });

  it('refuses a volume smaller than the image min_disk', () => {
    expect(refusal(() => checkImageMetadata(image({ min_disk: 3 }), 2))).toEqual({
      status: 400,
      message:
        'Invalid input received: Volume size 2GB cannot be smaller than the image minDisk size 3GB.',
    });
  });

  it('refuses an image whose virtual size does not fit', () => {
    expect(
      refusal(() => checkImageMetadata(image({ size: 1000, virtual_size: 2 * GiB + 1 }), 2)),
    ).toEqual({
      status: 400,
      message: `Image ${ID} is unacceptable: Image virtual size is 3GB and doesn't fit in a volume of size 2GB.`,
    });
  });
});

describe('imageIdFromRef (Cinder _image_uuid_from_ref)', () => {
  /** A client whose show and list answer from these images, or fail as told. */
  function client(
    images: GlanceImage[],
    fail?: { show?: Error; list?: Error },
  ): ImageServiceClient & { lists: Record<string, string>[] } {
    const lists: Record<string, string>[] = [];
    return {
      lists,
      show: async (_ctx: RequestContext, id: string) => {
        if (fail?.show) throw fail.show;
        return images.find((i) => i.id === id) ?? null;
      },
      list: async (_ctx: RequestContext, query: Record<string, string>) => {
        lists.push(query);
        if (fail?.list) throw fail.list;
        return images.filter((i) => i.name === query.name);
      },
    } as unknown as ImageServiceClient & { lists: Record<string, string>[] };
  }

  const answer = (promise: Promise<string>) =>
    promise.then(
      (id) => ({ id }),
      (error: CinderHttpError) => ({ status: error.status, message: error.message }),
    );

  it('finds an image by id, or by the id at the end of an href', async () => {
    const images = client([image()]);
    expect(await imageIdFromRef(images, CALLER, ID)).toBe(ID);
    expect(await imageIdFromRef(images, CALLER, `http://glance:9292/v2/images/${ID}`)).toBe(ID);
    expect(images.lists).toEqual([]);
  });

  it('finds an image by its exact name', async () => {
    const images = client([image()]);
    expect(await imageIdFromRef(images, CALLER, 'cirros')).toBe(ID);
    expect(images.lists).toEqual([{ name: 'cirros', limit: '2' }]);
  });

  it('answers 409 when the name is ambiguous', async () => {
    const other = image({ id: '1b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d' });
    expect(await answer(imageIdFromRef(client([image(), other]), CALLER, 'cirros'))).toEqual({
      status: 409,
      message: "Multiple matches found for 'cirros', use an ID to be more specific.",
    });
  });

  it.each([
    ['an unknown id', '9b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d', undefined],
    ['an unknown name', 'nope', undefined],
    ['an image glance refuses', ID, { show: new ImageServiceError(403, 'Forbidden') }],
  ])('answers 400 for %s', async (_what, ref, fail) => {
    expect(await answer(imageIdFromRef(client([image()], fail), CALLER, ref))).toEqual({
      status: 400,
      message: 'Invalid image identifier or unable to access requested image.',
    });
  });

  it('answers 503 when glance-api is away, never a 400 that blames the caller', async () => {
    const away = new ImageServiceUnavailableError(new Error('connect ECONNREFUSED'));
    for (const fail of [{ show: away }, { list: away }]) {
      const ref = fail.show ? ID : 'cirros';
      expect(await answer(imageIdFromRef(client([image()], fail), CALLER, ref))).toEqual({
        status: 503,
        message: `Connection to glance failed: ${away.message}`,
      });
    }
    const failing = new ImageServiceError(500, 'Internal Server Error');
    expect(await answer(imageIdFromRef(client([], { list: failing }), CALLER, 'x'))).toMatchObject({
      status: 503,
    });
  });
});
