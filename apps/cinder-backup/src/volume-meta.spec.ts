import type { VolumeEntity } from '@cinderflow/persistence';
import {
  captureVolumeMeta,
  isVolumeMeta,
  restoredFields,
  restoredGlanceMetadata,
  type VolumeMeta,
} from './volume-meta';

const SOURCE = 'a0000000-0000-4000-8000-000000000001';
const OTHER = 'b0000000-0000-4000-8000-000000000002';
const BACKUP = { id: 'c0000000-0000-4000-8000-000000000003', volume_id: SOURCE };

function volume(fields: Partial<VolumeEntity>): VolumeEntity {
  return {
    id: SOURCE,
    display_name: 'db',
    display_description: 'postgres data',
    size: 1,
    metadata: {},
    created_at: new Date('2026-11-22T10:00:00Z'),
    ...fields,
  } as VolumeEntity;
}

const meta = (metadata: Record<string, string>): VolumeMeta =>
  captureVolumeMeta(volume({ metadata }));

describe('captureVolumeMeta', () => {
  it('keeps the volume fields as JSON and the metadata only when there is some', () => {
    const withMeta = meta({ purpose: 'db' });
    expect(withMeta).toMatchObject({
      version: 2,
      'volume-base-metadata': {
        id: SOURCE,
        display_name: 'db',
        created_at: '2026-11-22T10:00:00.000Z',
      },
      'volume-metadata': { purpose: 'db' },
    });
    expect(withMeta['volume-base-metadata']).not.toHaveProperty('metadata');
    expect(meta({})).not.toHaveProperty('volume-metadata');
    expect(isVolumeMeta(withMeta)).toBe(true);
    expect(isVolumeMeta(JSON.parse(JSON.stringify(withMeta)))).toBe(true);
  });

  it("keeps the volume's image metadata under Cinder's volume-glance-metadata tag, when it has some", () => {
    const glance = { image_id: 'i-1', image_name: 'cirros', hw_disk_bus: 'scsi' };
    const captured = captureVolumeMeta(volume({ metadata: {} }), glance);
    expect(captured['volume-glance-metadata']).toEqual(glance);
    expect(captured).not.toHaveProperty('volume-metadata');
    expect(captureVolumeMeta(volume({ metadata: {} }), {})).not.toHaveProperty(
      'volume-glance-metadata',
    );
    expect(isVolumeMeta(JSON.parse(JSON.stringify(captured)))).toBe(true);
    expect(
      isVolumeMeta({ version: 2, 'volume-base-metadata': {}, 'volume-glance-metadata': { a: 1 } }),
    ).toBe(false);
  });

  it('recognises only its own shape', () => {
    expect(isVolumeMeta(null)).toBe(false);
    expect(isVolumeMeta({ version: 1, 'volume-base-metadata': {} })).toBe(false);
    expect(isVolumeMeta({ version: 2 })).toBe(false);
    expect(
      isVolumeMeta({ version: 2, 'volume-base-metadata': {}, 'volume-metadata': { a: 1 } }),
    ).toBe(false);
  });
});

describe('restoredFields', () => {
  it('gives a volume made for the restore the source name, description and metadata', () => {
    const target = {
      id: OTHER,
      display_name: `restore_backup_${BACKUP.id}`,
      display_description: 'auto-created_from_restore_from_backup',
      metadata: {},
    };
    expect(restoredFields([meta({ purpose: 'db' })], target, BACKUP)).toEqual({
      display_name: 'db',
      display_description: 'postgres data',
      metadata: { purpose: 'db', src_backup_id: BACKUP.id },
    });
    // Also a volume without a name.
    expect(restoredFields([meta({})], { ...target, display_name: null }, BACKUP)).toMatchObject({
      display_name: 'db',
    });
  });

  it('keeps the name of a volume the user named, and replaces its metadata', () => {
    const target = {
      id: OTHER,
      display_name: 'mine',
      display_description: null,
      metadata: { keep: 'no' },
    };
    expect(restoredFields([meta({ purpose: 'db' })], target, BACKUP)).toEqual({
      metadata: { purpose: 'db', src_backup_id: BACKUP.id },
    });
  });

  it("leaves the target's metadata when the backup recorded none", () => {
    const target = {
      id: OTHER,
      display_name: 'mine',
      display_description: null,
      metadata: { keep: 'yes' },
    };
    expect(restoredFields([meta({})], target, BACKUP).metadata).toEqual({
      keep: 'yes',
      src_backup_id: BACKUP.id,
    });
    // A backup from before volume_meta existed.
    expect(restoredFields([], target, BACKUP)).toEqual({
      metadata: { keep: 'yes', src_backup_id: BACKUP.id },
    });
  });

  it('marks its own volume only when it names a different backup already', () => {
    const own = { id: SOURCE, display_name: 'db', display_description: null, metadata: {} };
    expect(restoredFields([meta({ a: 'b' })], own, BACKUP).metadata).toEqual({ a: 'b' });
    const earlier = meta({ src_backup_id: 'older' });
    expect(restoredFields([earlier], own, BACKUP).metadata).toEqual({ src_backup_id: BACKUP.id });
  });

  it('along an incremental chain, the oldest recorded name and the newest metadata win', () => {
    const full = captureVolumeMeta(volume({ display_name: 'first', metadata: { v: '1' } }));
    const renamed = captureVolumeMeta(volume({ display_name: 'second', metadata: {} }));
    const later = captureVolumeMeta(volume({ display_name: 'third', metadata: { v: '3' } }));
    const target = { id: OTHER, display_name: null, display_description: null, metadata: {} };
    expect(restoredFields([full, renamed, later], target, BACKUP)).toMatchObject({
      display_name: 'first',
      metadata: { v: '3', src_backup_id: BACKUP.id },
    });
    expect(restoredFields([full, renamed], target, BACKUP).metadata).toEqual({
      v: '1',
      src_backup_id: BACKUP.id,
    });
  });

  it('restores no name when the backup had none', () => {
    const unnamed = captureVolumeMeta(volume({ display_name: null }));
    const target = {
      id: OTHER,
      display_name: `restore_backup_${BACKUP.id}`,
      display_description: 'auto-created_from_restore_from_backup',
      metadata: {},
    };
    expect(restoredFields([unnamed], target, BACKUP)).not.toHaveProperty('display_name');
  });
});

describe('restoredGlanceMetadata', () => {
  const withGlance = (glance: Record<string, string>) =>
    captureVolumeMeta(volume({ metadata: {} }), glance);

  it('is null when no backup of the chain recorded image metadata (the target keeps its own)', () => {
    expect(restoredGlanceMetadata([])).toBeNull();
    expect(restoredGlanceMetadata([meta({ a: 'b' }), null])).toBeNull();
  });

  it('along a chain, the newest recorded set replaces the rest; one without any changes nothing', () => {
    const full = withGlance({ image_id: 'one', os_distro: 'cirros' });
    const incremental = withGlance({ image_id: 'two' });
    expect(restoredGlanceMetadata([full])).toEqual({ image_id: 'one', os_distro: 'cirros' });
    expect(restoredGlanceMetadata([full, incremental])).toEqual({ image_id: 'two' });
    expect(restoredGlanceMetadata([full, meta({})])).toEqual({
      image_id: 'one',
      os_distro: 'cirros',
    });
  });
});
