import type { GlanceImage, ImageServiceClient } from '@cinderflow/image-client';
import type { RequestContext } from '@cinderflow/request-context';
import { badRequest, CinderHttpError, invalidInput } from '../../common/cinder-errors';
import { imageServiceAway, isImageServiceAway } from '../../common/image-service';

const GiB = 1024 ** 3;

/** oslo's uuidutils.is_uuid_like: 32 hex digits, with or without the hyphens. */
function isUuidLike(value: string): boolean {
  return /^[0-9a-f]{32}$/i.test(value.replace(/-/g, '')) && /^[0-9a-f-]+$/i.test(value);
}

/**
 * Cinder's VolumeController._image_uuid_from_ref (cinder/api/v3/volumes.py): an image href
 * (Nova's, ending in the id) or id the caller can see, else an image of that exact name. Any
 * failure to find it is the same 400, as in Cinder, except an image service that is away: 503.
 */
export async function imageIdFromRef(
  images: ImageServiceClient,
  caller: RequestContext,
  imageRef: string,
): Promise<string> {
  const imageUuid = imageRef.split('/').pop() ?? '';
  if (isUuidLike(imageUuid)) {
    try {
      const image = await images.show(caller, imageUuid);
      if (image?.id) return image.id;
    } catch (error) {
      if (isImageServiceAway(error)) throw imageServiceAway(error);
      // Not found, not visible: maybe it is a name.
    }
  }
  let matches: GlanceImage[] = [];
  try {
    // Two are enough to tell "more than one".
    matches = await images.list(caller, { name: imageRef, limit: '2' });
  } catch (error) {
    if (isImageServiceAway(error)) throw imageServiceAway(error);
  }
  if (matches.length > 1) {
    throw new CinderHttpError(
      409,
      `Multiple matches found for '${imageRef}', use an ID to be more specific.`,
    );
  }
  if (matches.length === 1) return matches[0].id;
  throw badRequest('Invalid image identifier or unable to access requested image.');
}

/**
 * Cinder's check_image_metadata (cinder/volume/volume_utils.py) with image_utils'
 * check_virtual_size: the image is `active` and fits the volume (its size rounded up to GiB,
 * min_disk, and its virtual size). Each refusal is Cinder's InvalidInput or ImageUnacceptable, 400.
 */
export function checkImageMetadata(image: GlanceImage, volumeSize: number): void {
  if (image.status !== 'active') {
    throw invalidInput(`Image ${image.id} is not active.`);
  }
  const imageSizeGb = Math.ceil(Number(image.size ?? 0) / GiB);
  if (imageSizeGb > volumeSize) {
    throw invalidInput(
      `Size of specified image ${imageSizeGb}GB is larger than volume size ${volumeSize}GB.`,
    );
  }
  const minDisk = Number(image.min_disk ?? 0);
  if (volumeSize < minDisk) {
    throw invalidInput(
      `Volume size ${volumeSize}GB cannot be smaller than the image minDisk size ${minDisk}GB.`,
    );
  }
  if (image.virtual_size) {
    const virtualGb = Math.ceil(Number(image.virtual_size) / GiB);
    if (virtualGb > volumeSize) {
      throw new CinderHttpError(
        400,
        `Image ${image.id} is unacceptable: Image virtual size is ${virtualGb}GB and doesn't fit in a volume of size ${volumeSize}GB.`,
      );
    }
  }
}
