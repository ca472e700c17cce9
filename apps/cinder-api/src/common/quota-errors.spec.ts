import { OverQuotaError } from '@cinderflow/persistence';
import { overQuotaFault, volumeSizeExceedsLimit } from './quota-errors';

const usage = (in_use: number, reserved: number) => ({ in_use, reserved });

describe('overQuotaFault (Cinder process_reserve_over_quota)', () => {
  it('volume count: VolumeLimitExceeded', () => {
    const e = overQuotaFault(
      new OverQuotaError(['volumes'], { volumes: 10, gigabytes: 1000 }, { volumes: usage(9, 1) }),
      'volumes',
      1,
    );
    expect(e.status).toBe(413);
    expect(e.message).toBe("Maximum number of volumes allowed (10) exceeded for quota 'volumes'.");
  });

  it('per-type volume count names the type quota', () => {
    const e = overQuotaFault(
      new OverQuotaError(['volumes_lvm'], { volumes_lvm: 2 }, { volumes_lvm: usage(2, 0) }),
      'volumes',
      1,
    );
    expect(e.message).toBe(
      "Maximum number of volumes allowed (2) exceeded for quota 'volumes_lvm'.",
    );
  });

  it('gigabytes: VolumeSizeExceedsAvailableQuota with what is consumed (in_use + reserved)', () => {
    const e = overQuotaFault(
      new OverQuotaError(
        ['gigabytes', 'volumes'],
        { volumes: 10, gigabytes: 20 },
        { gigabytes: usage(15, 3), volumes: usage(10, 0) },
      ),
      'volumes',
      5,
    );
    expect(e.message).toBe(
      'Requested volume or snapshot exceeds allowed gigabytes quota. Requested 5G, quota is 20G and 18G has been consumed.',
    );
  });

  it('backups: BackupLimitExceeded and VolumeBackupSizeExceedsAvailableQuota', () => {
    expect(
      overQuotaFault(new OverQuotaError(['backups'], { backups: 3 }, {}), 'backups', 1).message,
    ).toBe('Maximum number of backups allowed (3) exceeded');
    expect(
      overQuotaFault(
        new OverQuotaError(
          ['backup_gigabytes'],
          { backup_gigabytes: 10 },
          {
            backup_gigabytes: usage(8, 0),
          },
        ),
        'backups',
        4,
      ).message,
    ).toBe(
      'Requested backup exceeds allowed Backup gigabytes quota. Requested 4G, quota is 10G and 8G has been consumed.',
    );
  });

  it('snapshots, and an unexpected resource', () => {
    expect(
      overQuotaFault(new OverQuotaError(['snapshots'], { snapshots: 1 }, {}), 'snapshots', 1)
        .message,
    ).toBe('Maximum number of snapshots allowed (1) exceeded');
    expect(
      overQuotaFault(new OverQuotaError(['groups'], { groups: 1 }, {}), 'volumes', 1).message,
    ).toBe('Unexpected over quota on groups.');
  });

  it('per_volume_gigabytes: VolumeSizeExceedsLimit', () => {
    const e = volumeSizeExceedsLimit(50, 10);
    expect(e.status).toBe(413);
    expect(e.message).toBe('Requested volume size 50G is larger than maximum allowed limit 10G.');
  });
});
