import { CinderHttpError } from './cinder-errors';
import { ApiVersion, negotiate } from './microversion';

describe('microversion negotiation', () => {
  it.each([
    [undefined, '3.0'],
    ['volume 3.27', '3.27'],
    ['compute 2.1, volume 3.44', '3.44'],
    ['volume latest', '3.71'],
    ['compute 2.1', '3.0'],
  ])('%s → %s', (header, expected) => {
    expect(negotiate(header).toString()).toBe(expected);
  });

  it.each([
    ['volume 3.72', 406],
    ['volume 2.0', 406],
    ['volume 3.x', 400],
    ['volume 3.05', 400],
  ])('%s is refused with %i', (header, status) => {
    expect(() => negotiate(header)).toThrow(CinderHttpError);
    try {
      negotiate(header);
    } catch (e) {
      expect((e as CinderHttpError).status).toBe(status);
    }
  });

  it('compares versions', () => {
    const v = ApiVersion.parse('3.44');
    expect(v.atLeast('3.27')).toBe(true);
    expect(v.atLeast('3.44')).toBe(true);
    expect(v.atLeast('3.45')).toBe(false);
  });
});
