// Runs the everyday `cinder` CLI commands a new user would try, in a realistic order and with
// the ids they made, against a running API, and reports which worked. A report tool, not a test:
//   CINDER_URL=http://127.0.0.1:8776/v3 npm run cli-sweep
// Needs python-cinderclient (/usr/bin/cinder). Exits 0 whatever the outcome.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CINDER = process.env.CINDER_BIN ?? '/usr/bin/cinder';
const URL_V3 = (process.env.CINDER_URL ?? 'http://127.0.0.1:8776/v3').replace(/\/$/, '');
const VERSION = process.env.CINDER_API_VERSION ?? '3.70';
// A fresh project per run, so that each run starts from an empty project.
const PROJECT = process.env.CINDER_PROJECT ?? randomBytes(16).toString('hex');
const OTHER_PROJECT = randomBytes(16).toString('hex');
const USER = 'sweep-user';
const HOME = mkdtempSync(join(tmpdir(), 'cli-sweep-'));
const suffix = Date.now().toString(36);

if (!existsSync(CINDER)) {
  console.error(`${CINDER} is missing: apt-get install python3-cinderclient`);
  process.exit(1);
}

/** `cinder <args>` as the given project; stdout, or throws with stderr. */
async function cinder(args, project = PROJECT) {
  const { stdout } = await run(
    CINDER,
    [
      '--os-auth-type',
      'noauth',
      '--os-endpoint',
      URL_V3,
      '--os-user-id',
      USER,
      '--os-project-id',
      project,
      '--os-volume-api-version',
      VERSION,
      ...args,
    ],
    { env: { PATH: '/usr/bin:/bin', HOME, LANG: 'C.UTF-8' }, timeout: 90_000 },
  );
  return stdout;
}

/** A `Property | Value` table's value. */
function property(output, name) {
  for (const line of output.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length >= 4 && cells[1] === name) return cells[2];
  }
  return undefined;
}

/** The first data row's value in a column of a list table. */
function firstRow(output, column) {
  const rows = output
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  const [header, first] = rows;
  const index = header?.indexOf(column) ?? -1;
  return index >= 0 && first ? first[index] : undefined;
}

/** GET a resource from the API directly (for waiting); null when gone. */
async function fetchResource(collection, id) {
  const res = await fetch(`${URL_V3}/${PROJECT}/${collection}/${id}`, {
    headers: {
      'X-Auth-Token': `${USER}:${PROJECT}`,
      'OpenStack-API-Version': `volume ${VERSION}`,
    },
  });
  if (res.status === 404) return null;
  const body = await res.json();
  return Object.values(body)[0];
}

/** Waits until a resource leaves its transitional status (creating, backing-up...). */
async function settle(collection, id, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fetchResource(collection, id);
    if (!last || !/ing($|-)/.test(String(last.status))) return last;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${collection} ${id} still ${last?.status} after ${timeoutMs / 1000}s`);
}

const ids = {};
/** An id an earlier command made; a clear failure when it did not. */
function need(name) {
  if (!ids[name]) throw new Error(`needs ${name}, which an earlier command did not make`);
  return ids[name];
}

/**
 * The sweep: [label, () => args | Promise<args>, after?(stdout), project?]. `after` captures
 * ids and waits for the work the command started.
 */
const captureId = (name, collection) => async (out) => {
  // A Property/Value table, or (type-create, group-type-create) a one-row list.
  ids[name] = property(out, 'id') ?? firstRow(out, 'ID');
  if (!ids[name]) throw new Error('no id in the output');
  if (collection) {
    const settled = await settle(collection, ids[name]);
    if (settled && /error/.test(String(settled.status))) {
      throw new Error(`${collection} ${ids[name]} went to ${settled.status}`);
    }
  }
};
const waitFor = (collection, name) => async () => {
  const settled = await settle(collection, need(name));
  if (settled && /error/.test(String(settled.status))) {
    throw new Error(`${collection} ${ids[name]} went to ${settled.status}`);
  }
};

const steps = [
  // Discovery.
  ['version-list', () => ['version-list']],
  ['api-version', () => ['api-version']],
  ['list (empty project)', () => ['list']],
  ['availability-zone-list', () => ['availability-zone-list']],
  ['service-list', () => ['service-list']],
  ['get-pools --detail', () => ['get-pools', '--detail']],
  [
    'get-capabilities',
    async () => {
      const out = await cinder(['service-list', '--binary', 'cinder-volume']);
      return ['get-capabilities', firstRow(out, 'Host') ?? 'unknown-host'];
    },
  ],
  ['list-filters', () => ['list-filters']],
  ['absolute-limits', () => ['absolute-limits']],
  ['rate-limits', () => ['rate-limits']],
  // Types and QoS.
  ['type-list', () => ['type-list']],
  ['type-default', () => ['type-default']],
  [
    'type-create',
    () => ['type-create', `sweep-type-${suffix}`, '--description', 'made by the CLI sweep'],
    captureId('type'),
  ],
  ['type-show', () => ['type-show', need('type')]],
  ['type-key set', () => ['type-key', need('type'), 'set', 'sweep_key=yes']],
  ['extra-specs-list', () => ['extra-specs-list']],
  ['type-update --description', () => ['type-update', need('type'), '--description', 'changed']],
  [
    'type-create --is-public false',
    () => ['type-create', `sweep-private-${suffix}`, '--is-public', 'false'],
    captureId('privateType'),
  ],
  [
    'type-access-add',
    () => ['type-access-add', '--volume-type', need('privateType'), '--project-id', OTHER_PROJECT],
  ],
  ['type-access-list', () => ['type-access-list', '--volume-type', need('privateType')]],
  [
    'qos-create',
    () => ['qos-create', `sweep-qos-${suffix}`, 'read_iops_sec=100'],
    captureId('qos'),
  ],
  ['qos-list', () => ['qos-list']],
  ['qos-show', () => ['qos-show', need('qos')]],
  ['qos-key set', () => ['qos-key', need('qos'), 'set', 'write_iops_sec=50']],
  ['qos-associate', () => ['qos-associate', need('qos'), need('type')]],
  ['qos-get-association', () => ['qos-get-association', need('qos')]],
  ['qos-disassociate', () => ['qos-disassociate', need('qos'), need('type')]],
  // Volumes.
  ['create 1 --name', () => ['create', '1', '--name', 'sweep-vol'], captureId('vol', 'volumes')],
  ['show', () => ['show', need('vol')]],
  ['list', () => ['list']],
  ['list --name', () => ['list', '--name', 'sweep-vol']],
  ['list --filters status=available', () => ['list', '--filters', 'status=available']],
  ['rename', () => ['rename', need('vol'), 'sweep-vol-renamed']],
  ['rename --description', () => ['rename', need('vol'), '--description', 'from the sweep']],
  ['metadata set', () => ['metadata', need('vol'), 'set', 'purpose=sweep', 'tier=gold']],
  ['metadata-show', () => ['metadata-show', need('vol')]],
  ['metadata unset', () => ['metadata', need('vol'), 'unset', 'tier']],
  ['metadata-update-all', () => ['metadata-update-all', need('vol'), 'purpose=sweep2']],
  ['set-bootable true', () => ['set-bootable', need('vol'), 'true']],
  ['readonly-mode-update true', () => ['readonly-mode-update', need('vol'), 'true']],
  ['readonly-mode-update false', () => ['readonly-mode-update', need('vol'), 'false']],
  ['image-metadata set', () => ['image-metadata', need('vol'), 'set', 'os_distro=debian']],
  ['image-metadata-show', () => ['image-metadata-show', need('vol')]],
  ['image-metadata unset', () => ['image-metadata', need('vol'), 'unset', 'os_distro']],
  ['summary', () => ['summary']],
  // Images (glance-api): a volume uploaded to an image, then a volume made from that image.
  [
    'upload-to-image',
    () => ['upload-to-image', need('vol'), `sweep-image-${suffix}`],
    async (out) => {
      ids.image = property(out, 'image_id');
      if (!ids.image) throw new Error('no image_id in the output');
      await waitFor('volumes', 'vol')();
    },
  ],
  [
    'create --image',
    () => ['create', '--image', need('image'), '--name', 'sweep-from-image', '1'],
    captureId('fromImage', 'volumes'),
  ],
  // Snapshots, clones, revert.
  [
    'snapshot-create',
    () => ['snapshot-create', need('vol'), '--name', 'sweep-snap'],
    captureId('snap', 'snapshots'),
  ],
  ['snapshot-list', () => ['snapshot-list']],
  ['snapshot-show', () => ['snapshot-show', need('snap')]],
  ['snapshot-rename', () => ['snapshot-rename', need('snap'), 'sweep-snap-renamed']],
  ['snapshot-metadata set', () => ['snapshot-metadata', need('snap'), 'set', 'k=v']],
  ['snapshot-metadata-show', () => ['snapshot-metadata-show', need('snap')]],
  ['revert-to-snapshot', () => ['revert-to-snapshot', need('snap')], waitFor('volumes', 'vol')],
  [
    'create --snapshot-id',
    () => ['create', '--snapshot-id', need('snap'), '--name', 'sweep-from-snap', '1'],
    captureId('fromSnap', 'volumes'),
  ],
  [
    'create --source-volid',
    () => ['create', '--source-volid', need('vol'), '--name', 'sweep-clone', '1'],
    captureId('clone', 'volumes'),
  ],
  ['extend', () => ['extend', need('vol'), '2'], waitFor('volumes', 'vol')],
  ['retype', () => ['retype', need('vol'), need('type')], waitFor('volumes', 'vol')],
  // Backups.
  [
    'backup-create',
    () => ['backup-create', need('vol'), '--name', 'sweep-backup'],
    captureId('backup', 'backups'),
  ],
  ['backup-list', () => ['backup-list']],
  ['backup-show', () => ['backup-show', need('backup')]],
  [
    'backup-create --incremental',
    () => ['backup-create', need('vol'), '--incremental', '--name', 'sweep-incr'],
    captureId('incr', 'backups'),
  ],
  ['backup-update --name', () => ['backup-update', need('backup'), '--name', 'sweep-backup-2']],
  [
    'backup-restore (new volume)',
    () => ['backup-restore', need('backup')],
    async (out) => {
      ids.restored = property(out, 'volume_id');
      await settle('volumes', need('restored'));
      await settle('backups', need('backup'));
    },
  ],
  ['backup-export', () => ['backup-export', need('backup')]],
  ['backup-delete (incremental)', () => ['backup-delete', need('incr')]],
  // Attachments (the new attach API).
  [
    'attachment-create (reserve)',
    () => ['attachment-create', need('vol'), 'f0e1d2c3-b4a5-4697-8879-6a5b4c3d2e1f'],
    captureId('attachment'),
  ],
  ['attachment-list', () => ['attachment-list']],
  ['attachment-show', () => ['attachment-show', need('attachment')]],
  [
    'attachment-update (connect)',
    () => [
      'attachment-update',
      need('attachment'),
      '--initiator',
      'iqn.2004-10.com.example:sweep',
      '--ip',
      '127.0.0.1',
      '--host',
      'sweep-host',
      '--platform',
      'x86_64',
      '--ostype',
      'linux',
      '--mountpoint',
      '/dev/vdb',
    ],
  ],
  ['attachment-complete', () => ['attachment-complete', need('attachment')]],
  ['attachment-delete', () => ['attachment-delete', need('attachment')], waitFor('volumes', 'vol')],
  // Transfers.
  ['transfer-create', () => ['transfer-create', need('fromSnap')], captureTransfer],
  ['transfer-list', () => ['transfer-list']],
  ['transfer-show', () => ['transfer-show', need('transfer')]],
  [
    'transfer-accept (other project)',
    () => ['transfer-accept', need('transfer'), need('authKey')],
    undefined,
    OTHER_PROJECT,
  ],
  ['transfer-create (to cancel)', () => ['transfer-create', need('restored')], captureTransfer],
  ['transfer-delete', () => ['transfer-delete', need('transfer')]],
  // Quotas.
  ['quota-show', () => ['quota-show', PROJECT]],
  ['quota-defaults', () => ['quota-defaults', PROJECT]],
  ['quota-usage', () => ['quota-usage', PROJECT]],
  ['quota-update --volumes', () => ['quota-update', '--volumes', '20', PROJECT]],
  ['quota-class-show', () => ['quota-class-show', 'default']],
  // Messages.
  [
    'create 100000 (fails: no backend fits)',
    () => ['create', '100000', '--name', 'sweep-too-big'],
    async (out) => {
      ids.tooBig = property(out, 'id');
      await settle('volumes', need('tooBig'));
    },
  ],
  [
    'message-list',
    () => ['message-list'],
    (out) => {
      ids.message = firstRow(out, 'ID');
    },
  ],
  ['message-show', () => ['message-show', need('message')]],
  ['message-delete', () => ['message-delete', need('message')]],
  // Groups.
  ['group-type-list', () => ['group-type-list']],
  ['group-type-create', () => ['group-type-create', `sweep-gtype-${suffix}`], captureId('gtype')],
  [
    'group-create',
    () => ['group-create', need('gtype'), need('type'), '--name', 'sweep-group'],
    captureId('group', 'groups'),
  ],
  ['group-list', () => ['group-list']],
  ['group-show', () => ['group-show', need('group')]],
  [
    'create --group-id',
    () => ['create', '1', '--group-id', need('group'), '--volume-type', need('type')],
    captureId('groupVol', 'volumes'),
  ],
  [
    'group-snapshot-create',
    () => ['group-snapshot-create', need('group')],
    captureId('groupSnap', 'group_snapshots'),
  ],
  ['group-snapshot-list', () => ['group-snapshot-list']],
  ['group-snapshot-delete', () => ['group-snapshot-delete', need('groupSnap')]],
  ['group-delete --delete-volumes', () => ['group-delete', '--delete-volumes', need('group')]],
  // State repair and clean-up.
  ['reset-state --state available', () => ['reset-state', '--state', 'available', need('tooBig')]],
  ['force-delete', () => ['force-delete', need('tooBig')]],
  ['snapshot-delete', () => ['snapshot-delete', need('snap')], waitGone('snapshots', 'snap')],
  ['backup-delete', () => ['backup-delete', need('backup')], waitGone('backups', 'backup')],
  [
    'delete (several)',
    () => [
      'delete',
      need('vol'),
      ...['clone', 'fromSnap', 'restored', 'groupVol'].filter((n) => ids[n]).map((n) => ids[n]),
    ],
  ],
  ['qos-delete', () => ['qos-delete', need('qos')]],
  ['type-delete', () => ['type-delete', need('privateType')]],
];

async function captureTransfer(out) {
  ids.transfer = property(out, 'id');
  ids.authKey = property(out, 'auth_key');
  if (!ids.transfer || !ids.authKey) throw new Error('no id or auth_key in the output');
}

function waitGone(collection, name) {
  return async () => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (!(await fetchResource(collection, need(name)))) return;
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error(`${collection} ${ids[name]} was not deleted`);
  };
}

/** The first meaningful line of a failure (cinderclient prints `ERROR: ...`). */
function firstLine(error) {
  const text = `${error.stderr ?? ''}`.trim() || `${error.message ?? error}`;
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines.find((l) => l.startsWith('ERROR')) ?? lines[lines.length - 1] ?? '').slice(0, 200);
}

let worked = 0;
const width = Math.max(...steps.map(([label]) => label.length));
for (const [label, args, after, project] of steps) {
  let outcome;
  try {
    const out = await cinder(await args(), project);
    if (after) await after(out);
    worked++;
    outcome = 'ok';
  } catch (error) {
    outcome = `failed  ${firstLine(error)}`;
  }
  console.log(`${label.padEnd(width)}  ${outcome}`);
}
console.log(`\n${worked} of ${steps.length} worked (cinder CLI, API ${VERSION}, ${URL_V3})`);
