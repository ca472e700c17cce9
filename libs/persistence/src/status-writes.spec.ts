import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Every status change must go through applyTransition (one conditional UPDATE decided by a
 * status machine). This test reads the sources of every app and lib and fails on any other
 * write to a status column: raw `UPDATE … SET status`, a TypeORM `.set/.update/.save/.upsert`
 * whose values name `status`, an assignment to `.status`, or a status column among the other
 * columns a transition sets (`set: { attach_status: … }`): a machine's own column is named by
 * `column`, so a status in `set` is one changed beside the machine, not by it.
 */
const ROOT = join(__dirname, '../../..');
const STATUS_COLUMNS = ['status', 'attach_status'];
const ALLOWED = ['libs/persistence/src/transition.ts'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return sources(path);
    return /\.ts$/.test(name) && !/\.(spec|e2e-spec)\.ts$/.test(name) ? [path] : [];
  });
}

/** The text between the `(` at `open` and its matching `)`. */
function argumentsAt(source: string, open: number): string {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    if (source[i] === '(') depth++;
    else if (source[i] === ')' && --depth === 0) return source.slice(open + 1, i);
  }
  return source.slice(open + 1);
}

/** The expression after the `:` at `colon`, up to the `,` or closing bracket that ends it. */
function valueAt(source: string, colon: number): string {
  let depth = 0;
  for (let i = colon + 1; i < source.length; i++) {
    const c = source[i];
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) {
      if (depth === 0) return source.slice(colon + 1, i);
      depth--;
    } else if ((c === ',' || c === ';') && depth === 0) return source.slice(colon + 1, i);
  }
  return source.slice(colon + 1);
}

export function findStatusWrites(source: string): string[] {
  const found: string[] = [];
  const column = `(?:${STATUS_COLUMNS.join('|')})`;
  const sqlUpdate = new RegExp(
    `UPDATE\\s+"?\\w+"?\\s+SET\\b[^;\`'"]*?(?<![\\w.])"?${column}"?\\s*=`,
    'gi',
  );
  for (const match of source.matchAll(sqlUpdate)) found.push(match[0]);
  const sqlInsert = new RegExp(
    `INSERT\\s+INTO\\s+"?(?!workers\\b|services\\b)\\w+"?\\s*\\([^)]*(?<![\\w.])${column}\\b`,
    'gi',
  );
  for (const match of source.matchAll(sqlInsert)) found.push(match[0]);
  const key = new RegExp(`(?<![\\w.])['"]?${column}['"]?\\s*:`);
  for (const match of source.matchAll(/\.(set|update|save|upsert)\(/g)) {
    const args = argumentsAt(source, (match.index ?? 0) + match[0].length - 1);
    if (key.test(args)) found.push(`${match[0]}${args.slice(0, 80)}…`);
  }
  // The other columns of a transition (or any `set:` property): a status among them.
  for (const match of source.matchAll(/(?<![\w.])set\s*:/g)) {
    const value = valueAt(source, (match.index ?? 0) + match[0].length - 1);
    if (key.test(value)) found.push(`${match[0]}${value.slice(0, 80)}…`);
  }
  // A statement assigning a property: `volume.status = ...` (not `a.status = :s` inside SQL).
  const assignment = new RegExp(`^\\s*[\\w.[\\]]+\\.${column}\\s*=(?!=)`, 'gm');
  for (const match of source.matchAll(assignment)) found.push(match[0]);
  return found;
}

describe('status columns are only written through status machines', () => {
  it('finds no other write in any app or lib', () => {
    const offenders = ['apps', 'libs']
      .flatMap((dir) => sources(join(ROOT, dir)))
      .map((path) => relative(ROOT, path))
      .filter((path) => !ALLOWED.includes(path))
      .flatMap((path) =>
        findStatusWrites(readFileSync(join(ROOT, path), 'utf8')).map((w) => `${path}: ${w}`),
      );
    expect(offenders).toEqual([]);
  });

  // The detector itself must catch each way code could write a status.
  it.each([
    ['raw SQL', "await q.query(`UPDATE volumes SET size = 2, status = 'error' WHERE id = $1`)"],
    [
      'raw SQL on attach_status',
      `db.query("UPDATE volume_attachment SET attach_status = 'attached'")`,
    ],
    ['raw SQL insert', "q.query(`INSERT INTO backups (id, status) VALUES ($1, 'available')`)"],
    [
      'query builder set',
      "qb.update(VolumeEntity).set({ host: null, status: 'error' }).where('id = :id')",
    ],
    ['repository update', "repo.update({ id }, { status: 'available' })"],
    ['manager update', "manager.update(VolumeEntity, { id }, { 'status': 'deleting' })"],
    ['save', "repo.save({ ...volume, status: 'in-use' })"],
    ['assignment', "volume.status = 'available';"],
    [
      "volume's attach_status set beside a transition",
      "applyTransition(tx, { machine: volumeMachine, entity: VolumeEntity, id, event: 'attach', set: { attach_status: 'attached' } })",
    ],
    [
      'conditional set beside a transition',
      'applyTransition(m, { machine, id, event, set: request.attach_status ? { attach_status: request.attach_status } : {} })',
    ],
    [
      'status set beside a transition on another column',
      "applyTransition(tx, { machine: attachmentMachine, column: 'attach_status', id, event, set: { deleted: true, status: 'x' } })",
    ],
  ])('catches a %s', (_kind, code) => {
    expect(findStatusWrites(code)).not.toEqual([]);
  });

  it.each([
    ['a view', 'return { status: volume.status, size: volume.size };'],
    ['a comparison', "if (volume.status === 'creating') return;"],
    ['previous_status', "qb.update(VolumeEntity).set({ previous_status: 'available' })"],
    ['a filter', "qb.andWhere('v.status = :status', { status: f.status })"],
    [
      'a transition of the attach_status column itself',
      "applyTransition(tx, { machine: volumeAttachMachine, entity: VolumeEntity, column: 'attach_status', id, event: 'complete', set: { terminated_at: null } })",
    ],
    [
      'a guard beside a set',
      '{ set: { host: null }, where: { sql: "attach_status <> \'attached\'" } }',
    ],
  ])('leaves %s alone', (_kind, code) => {
    expect(findStatusWrites(code)).toEqual([]);
  });
});
