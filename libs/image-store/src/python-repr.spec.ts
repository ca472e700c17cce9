import { pformat, pyRepr } from './python-repr';

// Expected texts are what CPython 3.11 prints for the same values.
describe('pyRepr', () => {
  it.each([
    [null, 'None'],
    [true, 'True'],
    [12, '12'],
    [1.5, '1.5'],
    [1e-7, '1e-07'],
    [0.0001, '0.0001'],
    [2.5e-20, '2.5e-20'],
    [123456.789, '123456.789'],
    ['plain', "'plain'"],
    ["it's", '"it\'s"'],
    ['both \' and "', "'both \\' and \"'"],
    ['tab\tnew\nline\\', "'tab\\tnew\\nline\\\\'"],
    ['\x00\x7f\x85é\u2028😀', "'\\x00\\x7f\\x85é\\u2028😀'"],
    [['a', 1, null], "['a', 1, None]"],
    [{ b: 1, a: [true] }, "{'b': 1, 'a': [True]}"],
  ])('%j is %s', (value, expected) => {
    expect(pyRepr(value)).toBe(expected);
  });
});

describe('pformat', () => {
  it('keeps what fits on one line', () => {
    expect(pformat({ type: 'string', maxLength: 255 }, 72)).toBe(
      "{'type': 'string', 'maxLength': 255}",
    );
  });

  it('breaks dicts and lists one item a line, and long strings at spaces', () => {
    const schema = {
      type: ['null', 'string'],
      description: 'Format of the disk',
      enum: [null, 'ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso'],
      note: 'a long description that certainly does not fit on the line it starts on, so it is cut',
    };
    expect(pformat(schema, 72)).toBe(
      [
        "{'type': ['null', 'string'],",
        " 'description': 'Format of the disk',",
        " 'enum': [None,",
        "          'ami',",
        "          'ari',",
        "          'aki',",
        "          'vhd',",
        "          'vhdx',",
        "          'vmdk',",
        "          'raw',",
        "          'qcow2',",
        "          'vdi',",
        "          'iso'],",
        " 'note': 'a long description that certainly does not fit on the line '",
        "         'it starts on, so it is cut'}",
      ].join('\n'),
    );
  });

  it('parenthesises a long top-level string', () => {
    expect(pformat('one two three four five six', 12)).toBe(
      "('one two '\n 'three '\n 'four '\n 'five six')",
    );
  });
});
