import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DelayedBackupDriver } from './delayed-backup.driver';

const CHUNK = 64 * 1024;
const ID = 'd1e2f3a4-0000-4000-8000-000000000001';

describe('DelayedBackupDriver (BACKUP_DRIVER_DELAY_MS)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'delayed-backup-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('pauses backup and restore once, after the first chunk, and changes nothing else', async () => {
    const source = path.join(dir, 'source');
    const target = path.join(dir, 'target');
    const bytes = randomBytes(4 * CHUNK);
    fs.writeFileSync(source, bytes);
    fs.writeFileSync(target, Buffer.alloc(bytes.length));
    const driver = new DelayedBackupDriver(
      { repository: path.join(dir, 'repo'), chunkSize: CHUNK, compression: 'zlib' },
      400,
    );

    const seen: [number, number][] = [];
    const started = Date.now();
    const result = await driver.backup({
      backupId: ID,
      volumeId: 'vol-1',
      sourcePath: source,
      sizeBytes: bytes.length,
      parentId: null,
      onProgress: (percent) => void seen.push([percent, Date.now() - started]),
    });
    expect(result.objectCount).toBe(4);
    expect(seen.map(([percent]) => percent)).toEqual([25, 50, 75, 99, 100]);
    // the first report, then the pause, then the rest without one
    const gaps = seen.slice(1).map(([, at], i) => at - seen[i][1]);
    expect(gaps[0]).toBeGreaterThanOrEqual(390);
    expect(gaps.filter((gap) => gap >= 390)).toHaveLength(1);

    const restoreStarted = Date.now();
    await driver.restore({ backupId: ID, targetPath: target });
    expect(Date.now() - restoreStarted).toBeGreaterThanOrEqual(390);
    expect(fs.readFileSync(target).equals(bytes)).toBe(true);
  });
});
