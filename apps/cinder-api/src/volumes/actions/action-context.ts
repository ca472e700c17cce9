import type { DataSource } from 'typeorm';
import type { ApiConfig } from '@cinderflow/config';
import type { ImageServiceClient } from '@cinderflow/image-client';
import type { Outbox } from '@cinderflow/messaging';
import type { VolumeEntity } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import type { ApiVersion } from '../../common/microversion';

/** What one `POST /volumes/{id}/action` handler gets: the volume as read, and the caller. */
export interface ActionContext {
  dataSource: DataSource;
  outbox: Outbox;
  caller: RequestContext;
  version: ApiVersion;
  volume: VolumeEntity;
  /** glance-api, on the caller's behalf (os-volume_upload_image). */
  images: ImageServiceClient;
  config: ApiConfig;
}

/** A handler's answer: nothing (202 with no body), or its status and body (if any). */
export type ActionResult = void | { status: number; body?: Record<string, unknown> };
