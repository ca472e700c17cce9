import { perGbSpecs } from './attach-volume.handler';

describe('perGbSpecs (Cinder per-GB QoS)', () => {
  it('sizes <opt>_per_gb limits to the volume, within _per_gb_min and _max', () => {
    expect(
      perGbSpecs(
        {
          read_iops_sec_per_gb: '10',
          write_bytes_sec_per_gb: '100',
          write_bytes_sec_per_gb_min: '5000',
          total_iops_sec_per_gb: '50',
          total_iops_sec_max: '120',
          consumer_note: 'kept',
        },
        3,
      ),
    ).toEqual({
      read_iops_sec: 30,
      write_bytes_sec: 5000,
      total_iops_sec: 120,
      consumer_note: 'kept',
    });
  });

  it('leaves specs without per-GB keys as they are, _max included', () => {
    expect(perGbSpecs({ total_iops_sec: '500', read_iops_sec_max: '9' }, 10)).toEqual({
      total_iops_sec: '500',
      read_iops_sec_max: '9',
    });
  });
});
