import { newImageRefusal } from './image-factory';

// glance/domain/__init__.py ImageFactory.new_image: _check_readonly, _check_unexpected, then
// _check_reserved on the extra properties.
describe('newImageRefusal (ImageFactory.new_image)', () => {
  it('takes its own keywords and free custom properties', () => {
    expect(newImageRefusal([], ['os_distro', 'hw_disk_bus'])).toBeUndefined();
  });

  it('names the first read-only argument in the factory list order, before anything else', () => {
    expect(newImageRefusal(['size', 'id', 'checksum'], ['owner'])).toEqual({
      kind: 'read-only',
      message: "Attribute 'checksum' is read-only.",
    });
  });

  it('refuses other keywords as a TypeError names them, before reserved properties', () => {
    expect(newImageRefusal(['id', 'self'], ['locations'])).toEqual({
      kind: 'unexpected',
      message: "new_image() got unexpected keywords dict_keys(['id', 'self'])",
    });
  });

  it('refuses a reserved custom property, the first in the factory list order', () => {
    expect(newImageRefusal([], ['file', 'deleted'])).toEqual({
      kind: 'reserved',
      message: "Attribute 'deleted' is reserved.",
    });
  });
});
