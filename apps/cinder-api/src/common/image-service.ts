import type { Provider } from '@nestjs/common';
import type { ApiConfig } from '@cinderflow/config';
import {
  ImageServiceClient,
  ImageServiceError,
  ImageServiceUnavailableError,
} from '@cinderflow/image-client';
import { CONFIG } from '@cinderflow/service-runtime';
import { CinderHttpError } from './cinder-errors';

/** Cinder's image service (glance.get_default_image_service): glance-api's client. */
export const imageServiceProvider: Provider = {
  provide: ImageServiceClient,
  useFactory: (config: ApiConfig) => new ImageServiceClient(config.GLANCE_API_URL),
  inject: [CONFIG],
};

/** glance-api out of reach, or failing itself (5xx): worth trying again. */
export function isImageServiceAway(error: unknown): error is Error {
  return (
    error instanceof ImageServiceUnavailableError ||
    (error instanceof ImageServiceError && error.status >= 500)
  );
}

/**
 * The API's answer to an image service that is away: 503 (with Retry-After, as for the
 * database), worded as Cinder's GlanceConnectionFailed; any other error as it is.
 */
export function imageServiceAway(error: unknown): unknown {
  return isImageServiceAway(error)
    ? new CinderHttpError(503, `Connection to glance failed: ${error.message}`)
    : error;
}
