import { customProperties } from './upload-image';

describe("customProperties (Cinder's _merge_volume_image_meta and reserved namespaces)", () => {
  const request = { name: 'img', container_format: 'bare', disk_format: 'raw' };

  it('passes on custom properties only', () => {
    expect(
      customProperties(
        {
          // glance_core_properties
          checksum: 'c',
          container_format: 'ovf',
          disk_format: 'qcow2',
          image_name: 'cirros',
          image_id: 'i',
          min_disk: '1',
          min_ram: '64',
          name: 'n',
          size: '10',
          // custom
          hw_disk_bus: 'scsi',
          os_distro: 'cirros',
        },
        request,
      ),
    ).toEqual({ hw_disk_bus: 'scsi', os_distro: 'cirros' });
  });

  it("drops Glance's reserved namespaces by prefix, and what the request sets itself", () => {
    expect(
      customProperties(
        {
          os_glance_importer: 'x',
          img_signature_hash_method: 'x',
          signature_verified: 'True',
          visibility: 'public',
          keep: 'yes',
        },
        { ...request, visibility: 'private' },
      ),
    ).toEqual({ keep: 'yes' });
  });

  it('drops what Glance sets itself and would refuse in a create', () => {
    expect(
      customProperties({ os_hash_algo: 'sha512', status: 'active', owner: 'p', ok: '1' }, request),
    ).toEqual({ ok: '1' });
  });
});
