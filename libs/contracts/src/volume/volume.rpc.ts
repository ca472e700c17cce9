import { z } from 'zod';
import { castMethod } from '../rpc-method';
import { requestSpecSchema, retrySchema } from '../scheduler/scheduler.rpc';

export const createVolumeSchema = z.object({
  request_spec: requestSpecSchema,
  retry: retrySchema,
  /** `host@backend#pool` the scheduler chose; the manager only acts when it is its own. */
  host: z.string(),
});

export const VolumeRpc = {
  /** scheduler → cinder-volume.<host>@<backend> */
  createVolume: castMethod('create_volume', createVolumeSchema),
  /** API → cinder-volume.<host>@<backend> */
  deleteVolume: castMethod('delete_volume', z.object({ volume_id: z.string().uuid() })),
  /** scheduler → every cinder-volume (fanout): report capabilities now. */
  publishServiceCapabilities: castMethod('publish_service_capabilities', z.object({})),
} as const;

export type CreateVolume = z.infer<typeof createVolumeSchema>;
