import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderDocument } from './document';
import { MACHINES } from './index';

const PAGE = join(__dirname, '../../../docs/status-machines.md');

describe('docs/status-machines.md', () => {
  it('is what the tables generate (run `npm run docs` after changing a machine)', () => {
    expect(readFileSync(PAGE, 'utf8')).toBe(renderDocument(MACHINES));
  });

  it('draws one arrow per drawn edge of every machine', () => {
    const page = renderDocument(MACHINES);
    const arrows = page.split('\n').filter((l) => / --> /.test(l) && !l.includes('[*]'));
    expect(arrows).toHaveLength(
      MACHINES.reduce((n, m) => n + m.edges({ drawnOnly: true }).length, 0),
    );
  });
});
