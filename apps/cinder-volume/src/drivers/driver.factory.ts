import type { VolumeConfig } from '@cinderflow/config';
import { FaultInjectingDriver } from './fault-injecting.driver';
import { FileDriver } from './file/file.driver';
import type { VolumeDriver } from './volume-driver';

export function createDriver(config: VolumeConfig): VolumeDriver {
  const driver = new FileDriver({
    dataDir: config.VOLUME_DATA_DIR,
    capacityGb: config.VOLUME_CAPACITY_GB,
    maxOverSubscriptionRatio: config.MAX_OVER_SUBSCRIPTION_RATIO,
  });
  if (
    config.DRIVER_FAIL_CREATE ||
    config.DRIVER_FAIL_EXTEND ||
    config.DRIVER_FAILURE_RATE > 0 ||
    config.DRIVER_CREATE_DELAY_MS > 0 ||
    config.DRIVER_ATTACH_DELAY_MS > 0 ||
    config.DRIVER_IMAGE_COPY_BPS > 0 ||
    config.DRIVER_READ_DELAY_MS > 0
  ) {
    return new FaultInjectingDriver(driver, {
      failCreate: config.DRIVER_FAIL_CREATE,
      failExtend: config.DRIVER_FAIL_EXTEND,
      failureRate: config.DRIVER_FAILURE_RATE,
      createDelayMs: config.DRIVER_CREATE_DELAY_MS,
      attachDelayMs: config.DRIVER_ATTACH_DELAY_MS,
      imageCopyBytesPerSec: config.DRIVER_IMAGE_COPY_BPS,
      readDelayMs: config.DRIVER_READ_DELAY_MS,
    });
  }
  return driver;
}
