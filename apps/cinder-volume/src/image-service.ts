import type { Provider } from '@nestjs/common';
import type { VolumeConfig } from '@cinderflow/config';
import { ImageServiceClient } from '@cinderflow/image-client';
import { CONFIG } from '@cinderflow/service-runtime';

/** Cinder's image service (glance.get_default_image_service): glance-api's client. */
export const imageServiceProvider: Provider = {
  provide: ImageServiceClient,
  useFactory: (config: VolumeConfig) => new ImageServiceClient(config.GLANCE_API_URL),
  inject: [CONFIG],
};
