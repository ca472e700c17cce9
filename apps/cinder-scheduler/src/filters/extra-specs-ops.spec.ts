import { matches, type CapabilityValue } from './extra-specs-ops';

type Case = [value: CapabilityValue, requirement: string, expected: boolean];

describe('matches', () => {
  describe.each<[string, Case[]]>([
    [
      '= (numeric at least)',
      [
        [100, '= 100', true],
        [150, '= 100', true],
        [99, '= 100', false],
        ['100.5', '= 100', true],
        ['abc', '= 100', false],
        [100, '= abc', false],
      ],
    ],
    [
      '== (numeric equal)',
      [
        [100, '== 100', true],
        ['100.0', '== 100', true],
        [101, '== 100', false],
        ['', '== 0', false],
      ],
    ],
    [
      '!= (numeric not equal)',
      [
        [101, '!= 100', true],
        [100, '!= 100.0', false],
        ['x', '!= 1', false],
      ],
    ],
    [
      '>=',
      [
        [10, '>= 10', true],
        [11, '>= 10', true],
        [9, '>= 10', false],
      ],
    ],
    [
      '<=',
      [
        [10, '<= 10', true],
        [9, '<= 10', true],
        [11, '<= 10', false],
      ],
    ],
    [
      's== / s!= (string equal)',
      [
        ['lvm', 's== lvm', true],
        ['lvm', 's== nfs', false],
        [10, 's== 10', true],
        ['10', 's== 10.0', false],
        ['lvm', 's!= nfs', true],
        ['lvm', 's!= lvm', false],
      ],
    ],
    [
      's< / s<= / s> / s>= (string order)',
      [
        ['abc', 's< abd', true],
        ['abd', 's< abc', false],
        ['abc', 's< abc', false],
        ['abc', 's<= abc', true],
        ['abd', 's<= abc', false],
        ['abd', 's> abc', true],
        ['abc', 's> abc', false],
        ['abc', 's>= abc', true],
        ['abb', 's>= abc', false],
        // Lexicographic, not numeric.
        ['9', 's< 10', false],
      ],
    ],
    [
      '<in> (substring)',
      [
        ['ssd,compression', '<in> ssd', true],
        ['hdd', '<in> ssd', false],
        // Only the first operand is used.
        ['abc', '<in> a zzz', true],
      ],
    ],
    [
      '<is> (boolean)',
      [
        [true, '<is> True', true],
        [true, '<is> true', true],
        [true, '<is> TRUE', true],
        [false, '<is> True', false],
        [false, '<is> False', true],
        [true, '<is> False', false],
        ['True', '<is> True', true],
        ['false', '<is> True', false],
        [1, '<is> True', true],
        [0, '<is> False', true],
      ],
    ],
    [
      '<or> (any of)',
      [
        ['iSCSI', '<or> iSCSI <or> FC', true],
        ['FC', '<or> iSCSI <or> FC', true],
        ['NFS', '<or> iSCSI <or> FC', false],
        ['NFS', '<or> iSCSI <or> FC <or> NFS', true],
        ['a', '<or> a', true],
        // The separators are not candidates.
        ['<or>', '<or> a <or> b', false],
        ['a', '<or>', false],
      ],
    ],
    [
      'no operator (literal string equality)',
      [
        ['lvm-1', 'lvm-1', true],
        ['lvm-1', 'lvm-2', false],
        [42, '42', true],
        [true, 'true', true],
        // The whole requirement is the literal, blanks included.
        ['a b', 'a b', true],
        ['', '', true],
      ],
    ],
    [
      'operator without operand',
      [
        [1, '>=', false],
        ['x', 's==', false],
        [true, '<is>', false],
      ],
    ],
  ])('%s', (_label, cases) => {
    it.each(cases)('%p against %p → %p', (value, requirement, expected) => {
      expect(matches(value, requirement)).toBe(expected);
    });
  });

  it('splits words on any whitespace', () => {
    expect(matches(5, '  >=\t 4 ')).toBe(true);
    expect(matches('FC', '<or>  iSCSI\n<or> FC')).toBe(true);
  });
});
