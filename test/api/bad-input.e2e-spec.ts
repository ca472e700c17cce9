import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import fc from 'fast-check';
import { API_CONTROLLERS } from '../../apps/cinder-api/src/app.module';
import { ApiClient, PROJECT_A, PROJECT_B } from '../support/api-client';
import { Cluster } from '../support/cluster';

/**
 * Generated bad input over every route of cinder-api (fast-check, fixed seed): malformed ids,
 * bodies (wrong types, huge numbers, nesting 1000 deep, NUL bytes, lone surrogates, non-JSON,
 * bad media types), query strings and microversion headers. Every answer must be a 4xx in
 * Cinder's fault format (reads may also succeed), none a 5xx, and nothing may be written: the
 * rows and files after the run are exactly the fixtures made on purpose before it.
 */

const SEED = 20_261_201;
const REQUESTS = 6000;
const CONCURRENCY = 8;

const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/** Cinder's not-found messages (cinder/exception.py), as this suite expects them. */
const NOT_FOUND = {
  volume: (id: string) => `Volume ${id} could not be found.`,
  attachment: (id: string) =>
    `Volume attachment could not be found with filter: attachment_id = ${id}.`,
  backup: (id: string) => `Backup ${id} could not be found.`,
  volumeType: (id: string) => `Volume type ${id} could not be found.`,
  message: (id: string) => `Message ${id} could not be found.`,
  snapshot: (id: string) => `Snapshot ${id} could not be found.`,
  qosSpecs: (id: string) => `No such QoS spec ${id}.`,
  transfer: (id: string) => `Transfer ${id} could not be found.`,
};
type Resource = keyof typeof NOT_FOUND;

// ---------------------------------------------------------------------------------------------
// What a request should get

/**
 * `status`: exactly that; `refused`: a 4xx; `read`: anything but a 5xx (a GET may succeed).
 * `message`: what the fault's message must be (or match).
 */
interface Expectation {
  kind: 'status' | 'refused' | 'read';
  status?: number;
  message?: string | RegExp;
  why: string;
}

const exactly = (status: number, why: string, message?: string | RegExp): Expectation => ({
  kind: 'status',
  status,
  message,
  why,
});
const refused = (why: string): Expectation => ({ kind: 'refused', why });
const read = (why: string): Expectation => ({ kind: 'read', why });
const INVALID_INPUT = /^Invalid input received: /;
const INVALID_VOLUME = /^Invalid volume: /;

// ---------------------------------------------------------------------------------------------
// Bodies

/** JSON text spliced in as it is (numbers JSON.stringify cannot write, deep nesting). */
class Raw {
  constructor(readonly text: string) {}
}

/** JSON.stringify, plus Raw; it keeps lone surrogates as `\udXXX` escapes, as JSON allows. */
function toJson(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const deepText = (depth: number, kind: 'object' | 'array' | 'mixed') => {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    const array = kind === 'array' || (kind === 'mixed' && i % 2 === 1);
    open += array ? '[' : '{"a":';
    close = (array ? ']' : '}') + close;
  }
  return `${open}1${close}`;
};

const arbDeep = fc
  .tuple(
    fc.oneof(fc.constantFrom(33, 100, 1000, 5000), fc.integer({ min: 33, max: 1200 })),
    fc.constantFrom('object' as const, 'array' as const, 'mixed' as const),
  )
  .map(([depth, kind]) => new Raw(deepText(depth, kind)));

const arbNulString = fc
  .tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }))
  .map(([a, b]) => `${a}\u0000${b}`);

/** A surrogate half without its partner (the neighbours are ASCII, so it stays alone). */
const arbLoneSurrogate = fc
  .tuple(
    fc.string({ maxLength: 8 }),
    fc.integer({ min: 0xd800, max: 0xdfff }),
    fc.string({ maxLength: 8 }),
  )
  .map(([a, unit, b]) => `${a}${String.fromCharCode(unit)}${b}`);

/** Texts that are not a JSON object or array (body-parser's strict mode): Cinder's 400. */
const arbNotJson = fc.oneof(
  fc.constantFrom(
    'not json',
    '{',
    '{"volume":',
    '[1,]',
    "{'volume': {'size': 1}}",
    '{"a":1}}',
    '{"a": NaN}',
    '{"a": undefined}',
    '<volume size="1"/>',
    'size=1&name=x',
    '1',
    '"volume"',
    'null',
    'true',
    '1e400',
    ' ',
    '\u0000',
  ),
  fc.string({ minLength: 1, maxLength: 60 }).filter((text) => {
    try {
      const parsed: unknown = JSON.parse(text);
      return parsed === null || typeof parsed !== 'object';
    } catch {
      return true;
    }
  }),
);

/** Values of the wrong type for anything, and numbers no field takes. */
const WRONG = [
  null,
  true,
  0,
  -1,
  1.5,
  '',
  'x',
  [],
  ['a'],
  {},
  { a: 'b' },
  new Raw('1e400'),
  new Raw('-1e400'),
  new Raw('99999999999999999999999999999'),
  new Raw('1e308'),
  new Raw('-0'),
  'x'.repeat(256),
];

/** `template` with `field` of its inner object (`inner`) set to `value`. */
function mutate(template: Record<string, unknown>, inner: string, field: string, value: unknown) {
  const innerValue = template[inner] as Record<string, unknown>;
  return { ...template, [inner]: { ...innerValue, [field]: value } };
}

/** Bodies that a route surely refuses (each one invalid by construction). */
type BodyGen = fc.Arbitrary<unknown>;

interface Fixtures {
  available: string;
  inUse: string;
  attachment: string;
  backup: string;
  defaultType: string;
  /** An available snapshot of `available`. */
  snapshot: string;
}

// ---------------------------------------------------------------------------------------------
// Ids

interface IdCase {
  /** As it goes in the URL (percent-encoded). */
  raw: string;
  /** As the API sees it. */
  decoded: string;
}

const RESERVED_SEGMENTS = new Set(['detail', 'default', '.', '..', 'get_pools']);

const malformed = (text: string): IdCase => ({ raw: encodeURIComponent(text), decoded: text });

const arbMalformedId: fc.Arbitrary<IdCase> = fc
  .oneof(
    fc.constantFrom(
      'not-a-uuid',
      '1',
      '0',
      '-1',
      '99999999999999999999999',
      '1e400',
      "' OR '1'='1",
      '; DROP TABLE volumes; --',
      '${jndi:ldap://x}',
      '../etc/passwd',
      'null',
      'undefined',
      'NaN',
      '[object Object]',
      'true',
      '%00',
      '%',
      '------------------------------------',
      '{00000000-0000-0000-0000-000000000000}',
      '00000000-0000-0000-0000-00000000000',
      '00000000-0000-0000-0000-0000000000000',
      '0000000g-0000-0000-0000-000000000000',
      ' 00000000-0000-0000-0000-000000000000',
      '00000000-0000-0000-0000-000000000000 ',
      'x'.repeat(1500),
      'é',
      '💾',
      '\u202e',
    ),
    fc.uuid().map((u) => `${u}x`),
    fc.uuid().map((u) => u.slice(0, 35)),
    fc.uuid().map((u) => u.replace(/[0-9a-f]/, 'z')),
    fc.string({ minLength: 1, maxLength: 40 }),
    fc.fullUnicodeString({ minLength: 1, maxLength: 12 }),
  )
  .filter((text) => !UUID.test(text) && !RESERVED_SEGMENTS.has(text) && text.trim() !== '')
  .map(malformed);

/** Path segments the API cannot decode or that hold NUL: refused before routing. */
const arbBadSegment = fc.oneof(
  fc.constantFrom('%00', 'a%00b', '%E0%A4%A', '%ED%A0%80', '%C0%AF', '%FF', '%', '%zz', '%0'),
  fc.uuid().map((u) => `${u}%00`),
);

// ---------------------------------------------------------------------------------------------
// Routes

interface FixtureCase {
  id: string;
  body?: BodyGen;
  expect: Expectation;
}

interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Below `/v3/{project_id}/` (or `/v3/`); `:id` is the resource id. */
  path: string;
  resource?: Resource;
  /** Bodies the route refuses whatever the version (no fixture touched). */
  body?: BodyGen;
  /** Requests on the fixtures that must be refused (or, for reads, may succeed). */
  fixtures?: (fx: Fixtures) => fc.Arbitrary<FixtureCase>;
  /** How often, relative to the others (1). */
  weight?: number;
  /** A request without defects may succeed, as a read may (an idempotent DELETE without id). */
  mayDo?: boolean;
  /** What an unknown (well-formed) id gets, where Cinder checks something else first. */
  unknownId?: Expectation;
}

const volumeTemplate = { volume: { size: 1, name: 'fuzz' } };
const arbCreateVolume: BodyGen = fc.oneof(
  fc
    .constantFrom(0, -1, 1.5, 'abc', '', '1.0', ' 1', true, [], {}, 2_147_483_648, null, '-5')
    .map((v) => mutate(volumeTemplate, 'volume', 'size', v)),
  fc
    .constantFrom(
      new Raw('1e400'),
      new Raw('-1e400'),
      new Raw('99999999999999999999999'),
      new Raw('1e308'),
      '99999999999999999999',
    )
    .map((v) => mutate(volumeTemplate, 'volume', 'size', v)),
  fc
    .tuple(
      fc.constantFrom('name', 'description', 'display_name', 'display_description'),
      fc.constantFrom(1, true, [], {}, 'x'.repeat(256)),
    )
    .map(([f, v]) => mutate(volumeTemplate, 'volume', f, v)),
  fc
    .constantFrom('str', [], 1, { 'bad key!': 'v' }, { k: 1 }, { k: 'v'.repeat(256) }, { '': 'v' })
    .map((v) => mutate(volumeTemplate, 'volume', 'metadata', v)),
  fc
    .constantFrom('nowhere', '', 1, 'x'.repeat(256))
    .map((v) => mutate(volumeTemplate, 'volume', 'availability_zone', v)),
  fc
    .oneof(fc.constantFrom('no-such-type', 1, [], 'x'.repeat(256)), fc.uuid())
    .map((v) => mutate(volumeTemplate, 'volume', 'volume_type', v)),
  fc
    .tuple(
      fc.constantFrom('backup_id', 'snapshot_id', 'source_volid', 'consistencygroup_id'),
      fc.oneof(
        arbMalformedId.map((i) => i.decoded),
        fc.uuid(),
        fc.constantFrom(1, [], {}),
      ),
    )
    .map(([f, v]) => mutate(volumeTemplate, 'volume', f, v)),
  fc
    .tuple(fc.constantFrom('imageRef', 'image_id', 'group_id'), fc.constantFrom('img', 1, []))
    .map(([f, v]) => mutate(volumeTemplate, 'volume', f, v)),
  fc.constantFrom(true, 'yes', 1).map((v) => mutate(volumeTemplate, 'volume', 'multiattach', v)),
  fc
    .tuple(fc.uuid(), fc.uuid())
    .map(([a, b]) =>
      mutate(mutate(volumeTemplate, 'volume', 'snapshot_id', a), 'volume', 'backup_id', b),
    ),
  fc.constantFrom(
    { 'OS-SCH-HNT:scheduler_hints': 'x', ...volumeTemplate },
    { 'OS-SCH-HNT:scheduler_hints': [], ...volumeTemplate },
  ),
  fc.constantFrom(...WRONG).map((v) => ({ volume: v })),
  fc.constantFrom({}, { vol: { size: 1 } }, [], [volumeTemplate]),
);

const arbUpdateVolume: BodyGen = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('name', 'description', 'display_name', 'display_description'),
      fc.constantFrom(1, true, [], {}, 'x'.repeat(256)),
    )
    .map(([f, v]) => ({ volume: { [f]: v } })),
  fc
    .constantFrom('str', [], 1, { 'bad key!': 'v' }, { k: 1 }, { '': 'v' })
    .map((v) => ({ volume: { metadata: v } })),
  fc
    .tuple(
      fc.constantFrom('size', 'status', 'host', 'bogus', 'attach_status'),
      fc.constantFrom(2, 'error', 'x'),
    )
    .map(([f, v]) => ({ volume: { name: 'ok', [f]: v } })),
  fc
    .constantFrom(
      ...WRONG.filter(
        (v) => !(v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Raw)),
      ),
    )
    .map((v) => ({ volume: v })),
  fc.constantFrom(
    {},
    { vol: { name: 'x' } },
    { volume: { name: 'x' }, extra: 1 },
    [],
    [{ volume: {} }],
  ),
);

const attachArgs = { mountpoint: '/dev/vdb', host_name: 'fuzz-host' };

/** Legacy actions whose arguments are refused on any volume. */
const arbBadAction: BodyGen = fc.oneof(
  fc.constantFrom(
    {},
    { 'os-reserve': {}, 'os-unreserve': {} },
    { 'os-frobnicate': {} },
    { '': {} },
    { 'os-attach': {} },
    { 'os-attach': { host_name: 'h' } },
    { 'os-attach': { mountpoint: '/dev/vdb' } },
    { 'os-attach': { ...attachArgs, mode: 'rx' } },
    { 'os-attach': { ...attachArgs, bogus: 1 } },
    { 'os-attach': { ...attachArgs, mountpoint: 'm'.repeat(256) } },
    { 'os-attach': { mountpoint: '/dev/vdb', instance_uuid: 'not-a-uuid' } },
    { 'os-detach': { attachment_id: 'not-a-uuid' } },
    { 'os-detach': { attachment_id: 1 } },
    { 'os-detach': 'x' },
    { 'os-initialize_connection': {} },
    { 'os-initialize_connection': { connector: 'x' } },
    { 'os-initialize_connection': { connector: [] } },
    { 'os-terminate_connection': { connector: 1 } },
    { 'os-terminate_connection': null },
    { 'os-reset_status': {} },
    { 'os-reset_status': { status: 'bogus' } },
    { 'os-reset_status': { status: 1 } },
    { 'os-reset_status': { attach_status: 'x' } },
    { 'os-reset_status': { status: 'available', bogus: 1 } },
    // the everyday actions (test/volumes/volume-actions.e2e-spec.ts)
    { 'os-extend': {} },
    { 'os-extend': null },
    { 'os-extend': { new_size: 0 } },
    { 'os-extend': { new_size: -1 } },
    { 'os-extend': { new_size: 1.5 } },
    { 'os-extend': { new_size: '2x' } },
    { 'os-extend': { new_size: true } },
    { 'os-extend': { new_size: 2147483648 } },
    { 'os-extend': { new_size: 2, bogus: 1 } },
    { 'os-set_bootable': {} },
    { 'os-set_bootable': { bootable: 'maybe' } },
    { 'os-set_bootable': { bootable: 2 } },
    { 'os-set_bootable': { bootable: true, bogus: 1 } },
    { 'os-update_readonly_flag': {} },
    { 'os-update_readonly_flag': { readonly: 'maybe' } },
    { 'os-update_readonly_flag': { readonly: null } },
    { 'os-update_readonly_flag': { readonly: false, bogus: 1 } },
    { 'os-set_image_metadata': {} },
    { 'os-set_image_metadata': { metadata: { 'bad key!': 'v' } } },
    { 'os-set_image_metadata': { metadata: { k: 1 } } },
    { 'os-set_image_metadata': { metadata: [] } },
    { 'os-set_image_metadata': { metadata: { k: 'v' }, bogus: 1 } },
    { 'os-unset_image_metadata': {} },
    { 'os-unset_image_metadata': { key: '' } },
    { 'os-unset_image_metadata': { key: 'k'.repeat(256) } },
    { 'os-unset_image_metadata': { key: 1 } },
    { 'os-unset_image_metadata': { key: 'k', bogus: 1 } },
    { 'os-retype': {} },
    { 'os-retype': { new_type: 1 } },
    { 'os-retype': { new_type: 't', migration_policy: 'sometimes' } },
    { 'os-retype': { new_type: 't', bogus: 1 } },
    { 'os-migrate_volume': {} },
    { 'os-migrate_volume': { host: 1 } },
    { 'os-migrate_volume': { host: 'h'.repeat(256) } },
    { 'os-migrate_volume': { host: 'h@b#p', lock_volume: 'maybe' } },
    { 'os-migrate_volume': { host: 'h@b#p', force_host_copy: 2 } },
    { 'os-migrate_volume': { host: 'h@b#p', bogus: 1 } },
    { 'os-migrate_volume': { host: '' } },
    { 'os-migrate_volume': { host: 'nohost@nobackend#pool' } },
    { 'os-migrate_volume': { host: null } },
    { 'os-migrate_volume': { cluster: 'cluster@backend' } },
    { 'os-migrate_volume': { host: 'h@b#p', cluster: 'cluster@backend' } },
    { 'os-migrate_volume': { cluster: 1 } },
    { 'os-migrate_volume': { cluster: 'c'.repeat(256) } },
    // os-volume_upload_image (test/volumes/upload-to-image.e2e-spec.ts)
    { 'os-volume_upload_image': {} },
    { 'os-volume_upload_image': null },
    { 'os-volume_upload_image': { image_name: '' } },
    { 'os-volume_upload_image': { image_name: 1 } },
    { 'os-volume_upload_image': { image_name: 'i', disk_format: 'iso' } },
    { 'os-volume_upload_image': { image_name: 'i', force: 'maybe' } },
    { 'os-volume_upload_image': { image_name: 'i', container_format: 1 } },
    { 'os-volume_upload_image': { image_name: 'i', visibility: 'test' } },
    { 'os-volume_upload_image': { image_name: 'i', protected: null } },
    { 'os-volume_upload_image': { image_name: 'i', bogus: 1 } },
    // os-revert (3.40; a 404 before): these volumes have no snapshot to go back to.
    { revert: {} },
    { revert: null },
    { revert: 'x' },
    { revert: { snapshot_id: 1 } },
    { revert: { snapshot_id: null } },
    { revert: { snapshot_id: 'not-a-uuid' } },
    { revert: { snapshot_id: '00000000-0000-4000-8000-000000000000', extra: 1 } },
    [],
    [{ 'os-reserve': {} }],
  ),
  fc
    .tuple(
      fc.constantFrom(
        'os-attach',
        'os-initialize_connection',
        'os-reset_status',
        'os-detach',
        'os-extend',
        'os-set_bootable',
        'os-update_readonly_flag',
        'os-set_image_metadata',
        'os-unset_image_metadata',
        'os-retype',
        'os-migrate_volume',
        'os-volume_upload_image',
      ),
      fc.constantFrom(1, 'x', [], true, new Raw('1e400')),
    )
    .map(([action, args]) => ({ [action]: args })),
);

const backupTemplate = (volumeId: string) => ({ backup: { volume_id: volumeId, name: 'fuzz' } });
const arbCreateBackup = (fx: Fixtures): BodyGen =>
  fc.oneof(
    fc
      .oneof(
        arbMalformedId.map((i) => i.decoded),
        fc.uuid(),
        fc.constantFrom(fx.inUse, 1, null, []),
      )
      .map((v) => mutate(backupTemplate(fx.available), 'backup', 'volume_id', v)),
    fc
      .tuple(
        fc.constantFrom('name', 'description', 'container', 'availability_zone'),
        fc.constantFrom(1, true, [], {}, 'x'.repeat(256)),
      )
      .map(([f, v]) => mutate(backupTemplate(fx.available), 'backup', f, v)),
    fc
      .tuple(fc.constantFrom('incremental', 'force'), fc.constantFrom('yes', 1, 'true', []))
      .map(([f, v]) => mutate(backupTemplate(fx.available), 'backup', f, v)),
    fc
      .constantFrom('not-a-uuid', 1)
      .map((v) => mutate(backupTemplate(fx.available), 'backup', 'snapshot_id', v)),
    fc
      .constantFrom({ k: 1 }, 'x', [])
      .map((v) => mutate(backupTemplate(fx.available), 'backup', 'metadata', v)),
    fc.constantFrom(
      mutate(backupTemplate(fx.available), 'backup', 'bogus', 1),
      { ...backupTemplate(fx.available), extra: 1 },
      {},
      { backup: null },
      { backup: 'x' },
      [],
    ),
  );

const POSIX_SERVICE = 'cinder.backup.drivers.posix.PosixBackupDriver';
const base64Json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

const arbUpdateBackup: BodyGen = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('name', 'description'),
      fc.constantFrom(1, true, [], {}, 'x'.repeat(256)),
    )
    .map(([f, v]) => ({ backup: { [f]: v } })),
  fc
    .constantFrom('x', 1, [], null, { 'bad key!': 'v' }, { k: 1 }, { k: 'v'.repeat(256) })
    .map((v) => ({ backup: { metadata: v } })),
  fc.constantFrom(
    {},
    { backup: 'x' },
    { backup: 1 },
    { backup: [] },
    { backup: { bogus: 1 } },
    { backup: { volume_id: '00000000-0000-0000-0000-000000000000' } },
    { backup: { name: 'ok' }, extra: 1 },
    [],
  ),
);

const arbBackupAction: BodyGen = fc.constantFrom(
  { 'os-reset_status': { status: 'creating' } },
  { 'os-reset_status': { status: '' } },
  { 'os-reset_status': { status: 1 } },
  { 'os-reset_status': { status: null } },
  { 'os-reset_status': {} },
  { 'os-reset_status': null },
  { 'os-reset_status': 'available' },
  { 'os-reset_status': { status: 'error', bogus: 1 } },
  { 'os-reset_status': { status: 'error' }, 'os-force_delete': {} },
  { 'os-bogus': {} },
  { 'os-restore': {} },
  {},
  [],
);

const arbImportRecord = (fx: Fixtures): BodyGen =>
  fc.oneof(
    fc
      .constantFrom<unknown>(
        null,
        'x',
        1,
        [],
        {},
        { backup_service: POSIX_SERVICE },
        { backup_url: 'eyJ9' },
        { backup_service: 1, backup_url: 'eyJ9' },
        { backup_service: 'x'.repeat(256), backup_url: 'eyJ9' },
        { backup_service: POSIX_SERVICE, backup_url: '' },
        { backup_service: POSIX_SERVICE, backup_url: 1 },
        { backup_service: POSIX_SERVICE, backup_url: 'not base64!' },
        { backup_service: POSIX_SERVICE, backup_url: 'eyJ9', bogus: 1 },
        { backup_service: POSIX_SERVICE, backup_url: base64Json([1]) },
        { backup_service: POSIX_SERVICE, backup_url: base64Json('text') },
        { backup_service: POSIX_SERVICE, backup_url: base64Json({ size: 1 }) },
        { backup_service: POSIX_SERVICE, backup_url: base64Json({ id: 'x', size: 1 }) },
        { backup_service: POSIX_SERVICE, backup_url: base64Json({ id: 1, size: 1 }) },
        {
          backup_service: POSIX_SERVICE,
          backup_url: base64Json({ id: '00000000-0000-4000-8000-000000000000' }),
        },
        {
          backup_service: POSIX_SERVICE,
          backup_url: base64Json({ id: '00000000-0000-4000-8000-000000000000', size: -1 }),
        },
      )
      .map((record) => ({ 'backup-record': record })),
    // The fixture backup exists: "Backup already exists in database."
    fc.constant({
      'backup-record': {
        backup_service: POSIX_SERVICE,
        backup_url: base64Json({ id: fx.backup, size: 1 }),
      },
    }),
    fc.constant({
      'backup-record': { backup_service: POSIX_SERVICE, backup_url: 'eyJ9' },
      extra: 1,
    }),
  );

const attachmentTemplate = (volumeId: string) => ({ attachment: { volume_uuid: volumeId } });
const arbCreateAttachment = (fx: Fixtures): BodyGen =>
  fc.oneof(
    fc
      .oneof(
        arbMalformedId.map((i) => i.decoded),
        fc.uuid(),
        fc.constantFrom(fx.inUse, 1, null),
      )
      .map((v) => mutate(attachmentTemplate(fx.available), 'attachment', 'volume_uuid', v)),
    fc
      .tuple(
        fc.constantFrom('instance_uuid', 'connector', 'mode', 'bogus'),
        fc.constantFrom('not-a-uuid', 1, [], 'rx'),
      )
      .map(([f, v]) => mutate(attachmentTemplate(fx.available), 'attachment', f, v)),
    fc.constantFrom(
      {},
      { attachment: null },
      { attachment: {} },
      { attachment: 'x' },
      { ...attachmentTemplate(fx.available), extra: 1 },
      [],
    ),
  );

const arbUpdateAttachment: BodyGen = fc.constantFrom(
  {},
  { attachment: {} },
  { attachment: { connector: {} } },
  { attachment: { connector: 'x' } },
  { attachment: { connector: [] } },
  { attachment: { connector: null } },
  { attachment: { connector: { host: 'h' }, bogus: 1 } },
  { attachment: { connector: { host: 'h' } }, extra: 1 },
  { attachment: null },
  [],
);

const arbAttachmentAction: BodyGen = fc.constantFrom(
  {},
  { 'os-complete': 'x' },
  { 'os-complete': 1 },
  { 'os-complete': {}, extra: 1 },
  { 'os-completed': {} },
  [],
);

const arbRestore = (fx: Fixtures): BodyGen =>
  fc.oneof(
    fc
      .oneof(
        arbMalformedId.map((i) => i.decoded),
        fc.constantFrom(1, [], {}),
      )
      .map((v) => ({ restore: { volume_id: v } })),
    fc.constantFrom(1, [], 'x'.repeat(256)).map((v) => ({ restore: { name: v } })),
    fc.constantFrom(
      {},
      { restore: 'x' },
      { restore: 1 },
      { restore: [] },
      { restore: { bogus: 1 } },
      { restore: { volume_id: fx.available }, extra: 1 },
      [],
    ),
  );

const arbCreateType: BodyGen = fc.oneof(
  fc.constantFrom('', 1, null, [], 'x'.repeat(256)).map((v) => ({ volume_type: { name: v } })),
  fc
    .tuple(
      fc.constantFrom('description', 'os-volume-type-access:is_public', 'extra_specs', 'bogus'),
      fc.constantFrom(1, 'yes', [], { 'bad key!': 'v' }, { k: 1 }),
    )
    // 'yes' is a description, and a boolean to Cinder's parameter_types.boolean.
    .filter(
      ([f, v]) =>
        !((f === 'description' || f === 'os-volume-type-access:is_public') && v === 'yes'),
    )
    .map(([f, v]) => ({ volume_type: { name: `fuzz-${f}`, [f]: v } })),
  fc.constantFrom(
    { volume_type: { name: '__DEFAULT__' } },
    { volume_type: {} },
    { volume_type: null },
    { volume_type: { name: 'fuzz' }, extra: 1 },
    {},
    [],
  ),
);

/** QoS spec creates Cinder refuses (a valid one would be a write). */
const arbCreateQos: BodyGen = fc.constantFrom(
  {},
  { qos_specs: {} },
  { qos_specs: { name: 1 } },
  { qos_specs: { name: '' } },
  { qos_specs: { name: '   ' } },
  { qos_specs: { name: 'x'.repeat(256) } },
  { qos_specs: { name: 'q', consumer: 'fast' } },
  { qos_specs: { name: 'q', consumer: null } },
  { qos_specs: { name: 'q', iops: 5 } },
  { qos_specs: { name: 'q', iops: 'v'.repeat(256) } },
  { qos_specs: { name: 'q' }, extra: 1 },
  { qos_specs: 'x' },
  [],
);

/** `PUT qos-specs/{id}` and `delete_keys` bodies their schemas refuse. */
const arbSetQos: BodyGen = fc.constantFrom(
  {},
  { qos_specs: 'x' },
  { qos_specs: { 'bad key!': 'v' } },
  { qos_specs: { k: 1 } },
  { qos_specs: { k: 'v' }, extra: 1 },
  [],
);
const arbUnsetQos: BodyGen = fc.constantFrom(
  {},
  { keys: 'k' },
  { keys: [1] },
  { keys: [''] },
  { keys: ['k', 'k'] },
  { keys: ['k'], extra: 1 },
  [],
);

const arbExtraSpecs: BodyGen = fc.constantFrom(
  {},
  { extra_specs: 'x' },
  { extra_specs: [] },
  { extra_specs: { 'bad key!': 'v' } },
  { extra_specs: { k: 1 } },
  { extra_specs: { k: 'v'.repeat(256) } },
  { extra_specs: { k: 'v' }, extra: 1 },
  [],
);

/** `PUT /types/{id}` bodies Cinder's update schema refuses, or that change nothing. */
const arbUpdateType: BodyGen = fc.constantFrom(
  {},
  [],
  { volume_type: {} },
  { volume_type: null },
  { volume_type: { name: '' } },
  { volume_type: { name: '   ' } },
  { volume_type: { name: 'x'.repeat(256) } },
  { volume_type: { is_public: 'maybe' } },
  { volume_type: { description: 1 } },
  { volume_type: { bogus: 1 } },
  { volume_type: { name: 'fuzz' }, extra: 1 },
);

/** `PUT /types/{id}/extra_specs/{key}` (the key in the URL is `:key`): none of them that key. */
const arbExtraSpecItem: BodyGen = fc.constantFrom(
  {},
  [],
  { other: 'v' },
  { other: 'v', more: 'w' },
  { 'bad key!': 'v' },
  { other: 1 },
  { other: 'v'.repeat(256) },
);

/** `POST /types/{id}/action`: malformed access actions, unknown actions. */
const arbTypeAction: BodyGen = fc.constantFrom(
  {},
  [],
  { addProjectAccess: {} },
  { addProjectAccess: { project: '' } },
  { addProjectAccess: { project: 1 } },
  { addProjectAccess: { project: 'p', extra: 1 } },
  { removeProjectAccess: null },
  { removeProjectAccess: { project: 'x'.repeat(256) } },
  { addProjectAccess: { project: 'p' }, removeProjectAccess: { project: 'p' } },
  { frobnicate: {} },
);

/** Encryption bodies the schemas refuse (`key_size` must be int-like). */
const arbEncryption: BodyGen = fc.constantFrom(
  {},
  [],
  { encryption: 'x' },
  { encryption: {} },
  { encryption: { provider: 'luks' } },
  { encryption: { provider: 'luks', control_location: 'middle' } },
  { encryption: { provider: 1, control_location: 'front-end' } },
  { encryption: { provider: 'luks', control_location: 'front-end', key_size: 'big' } },
  { encryption: { provider: 'luks', control_location: 'front-end', key_size: -1 } },
  { encryption: { provider: 'luks', control_location: 'front-end' }, extra: 1 },
);
const arbEncryptionUpdate: BodyGen = fc.constantFrom(
  {},
  [],
  { encryption: 'x' },
  { encryption: { control_location: 'middle' } },
  { encryption: { key_size: 'big' } },
  { encryption: { key_size: -1 } },
  { encryption: { cipher: 1 } },
  { encryption: {}, extra: 1 },
);

/** `PUT /default-types/{project}` (3.62): malformed, or a type that does not exist. */
const arbDefaultType: BodyGen = fc.constantFrom(
  {},
  [],
  { default_type: {} },
  { default_type: null },
  { default_type: { volume_type: '' } },
  { default_type: { volume_type: 1 } },
  { default_type: { volume_type: 'no-such-type' } },
  { default_type: { volume_type: 'x'.repeat(256) } },
  { default_type: { volume_type: 'no-such-type', extra: 1 } },
);

/** `PUT os-quota-sets/{project}` bodies Cinder's `update` schema and its quota_set format refuse. */
const arbQuotaSet: BodyGen = fc.constantFrom(
  {},
  [],
  { quota_set: {} },
  { quota_set: 'x' },
  { quota_set: { volumes: -2 } },
  { quota_set: { volumes: 1.5 } },
  { quota_set: { volumes: 'abc' } },
  { quota_set: { volumes: true } },
  { quota_set: { volumes: 2_147_483_648 } },
  { quota_set: { no_such_resource: 1 } },
  { quota_set: { volumes: 1 }, extra: 1 },
);

/** `PUT os-quota-class-sets/{class}` bodies Cinder's `update_quota_class` schema refuses. */
const arbQuotaClassSet: BodyGen = fc.constantFrom(
  {},
  [],
  { quota_class_set: 'x' },
  { quota_class_set: { volumes: -2 } },
  { quota_class_set: { volumes: '-1' } },
  { quota_class_set: { volumes: 1.5 } },
  { quota_class_set: { volumes: '' } },
  { quota_class_set: { no_such_resource: 1 } },
  { quota_class_set: { volumes: 1 }, extra: 1 },
);

const arbCreateSnapshot = (fx: Fixtures): BodyGen =>
  fc.oneof(
    fc
      .oneof(
        arbMalformedId.map((i) => i.decoded),
        fc.uuid(),
        fc.constantFrom(1, [], {}, null),
      )
      .map((v) => ({ snapshot: { volume_id: v } })),
    fc
      .tuple(
        fc.constantFrom('name', 'display_name', 'description'),
        fc.constantFrom(1, true, [], {}, 'x'.repeat(256)),
      )
      .map(([f, v]) => ({ snapshot: { volume_id: fx.available, [f]: v } })),
    fc
      .constantFrom(
        'str',
        [],
        1,
        { 'bad key!': 'v' },
        { k: 1 },
        { k: 'v'.repeat(256) },
        { '': 'v' },
      )
      .map((v) => ({ snapshot: { volume_id: fx.available, metadata: v } })),
    fc
      .constantFrom('maybe', 2, [], {})
      .map((v) => ({ snapshot: { volume_id: fx.available, force: v } })),
    fc
      .constantFrom('display_description', 'size', 'status', 'bogus')
      .map((f) => ({ snapshot: { volume_id: fx.available, [f]: 'x' } })),
    fc.constantFrom(
      // In-use without force before 3.66; force=false from 3.66: refused at every version.
      { snapshot: { volume_id: fx.inUse, force: false } },
      { snapshot: { volume_id: fx.available }, extra: 1 },
      { snapshot: {} },
      { snapshot: null },
      { snapshot: 'x' },
      {},
      [],
    ),
  );

const arbUpdateSnapshot: BodyGen = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('name', 'description', 'display_name', 'display_description'),
      fc.constantFrom(1, true, [], {}, 'x'.repeat(256)),
    )
    .map(([f, v]) => ({ snapshot: { [f]: v } })),
  fc
    .constantFrom('volume_id', 'status', 'metadata', 'bogus')
    .map((f) => ({ snapshot: { name: 'ok', [f]: 'x' } })),
  fc.constantFrom(
    { snapshot: {} },
    { snapshot: { name: 'x' }, extra: 1 },
    { snapshot: null },
    { snapshot: [] },
    {},
    [],
  ),
);

const arbSnapshotMetadata: BodyGen = fc.constantFrom(
  {},
  { metadata: 'x' },
  { metadata: [] },
  { metadata: null },
  { metadata: { 'a/b': 'v' } },
  { metadata: { 'bad key!': 'v' } },
  { metadata: { k: 1 } },
  { metadata: { k: 'v'.repeat(256) } },
  { metadata: { '': 'v' } },
  { meta: { k: 'v' } },
  [],
);

/** For `metadata/:key` (the key in the URL is `:key`): a mismatch, several keys, wrong types. */
const arbSnapshotMetaItem: BodyGen = fc.constantFrom(
  {},
  { meta: {} },
  { meta: 'x' },
  { meta: null },
  { meta: { other: 'v' } },
  { meta: { ':key': 'v', other: 'w' } },
  { meta: { ':key': 1 } },
  { meta: { ':key': 'v'.repeat(256) } },
  { metadata: { ':key': 'v' } },
  [],
);

const arbSnapshotAction: BodyGen = fc.constantFrom(
  {},
  { 'os-reset_status': {} },
  { 'os-reset_status': 'x' },
  { 'os-reset_status': { status: 'bogus' } },
  { 'os-reset_status': { status: 1 } },
  { 'os-reset_status': { status: 'available', extra: 1 } },
  { 'os-update_snapshot_status': {} },
  { 'os-update_snapshot_status': { status: 'available', progress: '200%' } },
  { 'os-update_snapshot_status': { status: 'available', progress: 'x' } },
  { 'os-update_snapshot_status': { status: 'available', bogus: 1 } },
  { 'os-force_delete': {}, extra: 1 },
  { 'os-bogus': {} },
  [],
);

/** `POST`/`PUT /volumes/{id}/metadata` bodies Cinder's `create` schema refuses. */
/** Transfer creates that fail whatever the route and version (a valid one would be a write). */
const arbCreateTransfer = (fx: Fixtures): BodyGen =>
  fc.oneof(
    fc
      .oneof(
        arbMalformedId.map((i) => i.decoded),
        fc.uuid(),
        fc.constantFrom(1, [], {}, null),
      )
      .map((v) => ({ transfer: { volume_id: v } })),
    fc
      .constantFrom(1, true, [], {}, '', '   ', 'x'.repeat(256))
      .map((v) => ({ transfer: { volume_id: fx.available, name: v } })),
    fc
      .constantFrom('maybe', 2, [], {}, null)
      .map((v) => ({ transfer: { volume_id: fx.available, no_snapshots: v } })),
    fc.constantFrom(
      // In use: not `available`, at every version.
      { transfer: { volume_id: fx.inUse } },
      { transfer: { volume_id: fx.inUse, name: 'fuzz' } },
      { transfer: { volume_id: fx.available, bogus: 1 } },
      { transfer: { volume_id: fx.available }, extra: 1 },
      { transfer: {} },
      { transfer: null },
      { transfer: 'x' },
      {},
      [],
    ),
  );

const arbAcceptTransfer: BodyGen = fc.constantFrom(
  { accept: { auth_key: 'k' } },
  { accept: { auth_key: 7 } },
  { accept: { auth_key: 1.5 } },
  { accept: { auth_key: null } },
  { accept: { auth_key: 'k', extra: 1 } },
  { accept: {} },
  { accept: null },
  {},
  [],
);

const arbVolumeMetadata: BodyGen = fc.constantFrom(
  {},
  { metadata: 1 },
  { metadata: null },
  { metadata: [] },
  { metadata: { 'bad key!': 'v' } },
  { metadata: { k: 1 } },
  { metadata: { k: 'v'.repeat(256) } },
  { metadata: { ['k'.repeat(256)]: 'v' } },
  { metadata: { k: 'v' }, extra: 1 },
  { meta: { k: 'v' } },
  [],
);

/** `PUT /volumes/{id}/metadata/{key}` bodies refused whatever the key. */
const arbVolumeMetaItem: BodyGen = fc.constantFrom(
  {},
  { meta: {} },
  { meta: 'x' },
  { meta: { a: '1', b: '2' } },
  { meta: { k: 1 } },
  { meta: { ':key': 'v' }, extra: 1 },
  { meta: { other: 'v' } },
  { metadata: { k: 'v' } },
  [],
);

function routes(fx: Fixtures): Route[] {
  const readFixture = (ids: string[]) => () =>
    fc.constantFrom(...ids).map((id) => ({ id, expect: read('a read of a fixture') }));
  return [
    { method: 'GET', path: '' },
    { method: 'GET', path: '/v3' },
    { method: 'GET', path: '/healthcheck' },
    // volumes
    { method: 'POST', path: 'volumes', body: arbCreateVolume },
    { method: 'GET', path: 'volumes' },
    { method: 'GET', path: 'volumes/detail' },
    { method: 'GET', path: 'volumes/summary' },
    {
      method: 'GET',
      path: 'volumes/:id',
      resource: 'volume',
      fixtures: readFixture([fx.available, fx.inUse]),
    },
    {
      method: 'PUT',
      path: 'volumes/:id',
      resource: 'volume',
      body: arbUpdateVolume,
      fixtures: () =>
        fc.record({
          id: fc.constantFrom(fx.available, fx.inUse),
          body: fc.constant(arbUpdateVolume),
          expect: fc.constant(refused('an invalid update')),
        }),
    },
    {
      method: 'DELETE',
      path: 'volumes/:id',
      resource: 'volume',
      fixtures: () =>
        fc.constant({
          id: fx.inUse,
          expect: exactly(400, 'deleting an attached volume', INVALID_VOLUME),
        }),
    },
    {
      method: 'POST',
      path: 'volumes/:id/action',
      resource: 'volume',
      body: arbBadAction,
      // The legacy attach/detach actions are where the state checks are, and the everyday
      // actions share the route: more of them (each state check at least 5 times in all).
      weight: 8,
      fixtures: () =>
        fc.oneof(
          fc.record({
            id: fc.constantFrom(fx.available, fx.inUse),
            body: fc.constant(arbBadAction),
            expect: fc.constant(refused('an invalid action')),
          }),
          // The wrong state for the action: Cinder's InvalidVolume (thrice as often).
          ...[1, 2, 3].map(() =>
            fc
              .constantFrom(
                [fx.available, { 'os-attach': attachArgs }],
                [
                  fx.available,
                  { 'os-attach': { mountpoint: '/dev/vdb', instance_uuid: randomUUID() } },
                ],
                [fx.available, { 'os-detach': {} }],
                [fx.available, { 'os-detach': null }],
                [fx.available, { 'os-detach': { attachment_id: randomUUID() } }],
                [fx.available, { 'os-begin_detaching': {} }],
                [fx.available, { 'os-roll_detaching': {} }],
                [fx.inUse, { 'os-attach': attachArgs }],
                [fx.inUse, { 'os-attach': { ...attachArgs, mode: 'ro' } }],
                [fx.inUse, { 'os-reserve': {} }],
                [fx.inUse, { 'os-roll_detaching': {} }],
              )
              .map(([id, body]) => ({
                id: id as string,
                body: fc.constant(body),
                expect: exactly(
                  400,
                  `${Object.keys(body as object)[0]} in the wrong state`,
                  INVALID_VOLUME,
                ),
              })),
          ),
          // Arguments that only the volume makes wrong (one slot, so that the state checks
          // above keep their share).
          fc
            .constantFrom(
              ...[fx.available, fx.inUse].flatMap((id) => [
                {
                  id,
                  body: { 'os-extend': { new_size: 1 } },
                  expect: exactly(400, 'extending to the same size', INVALID_INPUT),
                },
                {
                  id,
                  body: { 'os-unset_image_metadata': { key: 'not-there' } },
                  expect: exactly(404, 'unsetting image metadata not there'),
                },
                {
                  id,
                  body: { 'os-retype': { new_type: 'no-such-type' } },
                  expect: exactly(404, 'retyping to a type not there'),
                },
                {
                  id,
                  body: { 'os-retype': { new_type: fx.defaultType } },
                  expect: exactly(400, 'retyping to the same type', INVALID_VOLUME),
                },
              ]),
            )
            .map((c) => ({ ...c, body: fc.constant(c.body) })),
        ),
    },
    // volume metadata
    ...(['GET', 'POST', 'PUT'] as const).map((method): Route => ({
      method,
      path: 'volumes/:id/metadata',
      resource: 'volume',
      ...(method === 'GET'
        ? { fixtures: readFixture([fx.available, fx.inUse]) }
        : {
            body: arbVolumeMetadata,
            fixtures: () =>
              fc.record({
                id: fc.constantFrom(fx.available, fx.inUse),
                body: fc.constant(arbVolumeMetadata),
                expect: fc.constant(refused('invalid metadata')),
              }),
          }),
    })),
    { method: 'GET', path: 'volumes/:id/metadata/:key', resource: 'volume' },
    {
      method: 'PUT',
      path: 'volumes/:id/metadata/:key',
      resource: 'volume',
      body: arbVolumeMetaItem,
      fixtures: () =>
        fc.record({
          id: fc.constantFrom(fx.available, fx.inUse),
          body: fc.constant(arbVolumeMetaItem),
          expect: fc.constant(refused('an invalid metadata item')),
        }),
    },
    {
      method: 'DELETE',
      path: 'volumes/:id/metadata/:key',
      resource: 'volume',
      fixtures: () =>
        fc.constant({ id: fx.available, expect: exactly(404, 'deleting a key not there') }),
    },
    // attachments
    { method: 'POST', path: 'attachments', body: arbCreateAttachment(fx) },
    { method: 'GET', path: 'attachments' },
    { method: 'GET', path: 'attachments/detail' },
    {
      method: 'GET',
      path: 'attachments/:id',
      resource: 'attachment',
      fixtures: readFixture([fx.attachment]),
    },
    {
      method: 'PUT',
      path: 'attachments/:id',
      resource: 'attachment',
      body: arbUpdateAttachment,
      fixtures: () =>
        fc.constant({
          id: fx.attachment,
          body: arbUpdateAttachment,
          expect: refused('an invalid attachment update'),
        }),
    },
    { method: 'DELETE', path: 'attachments/:id', resource: 'attachment' },
    {
      method: 'POST',
      path: 'attachments/:id/action',
      resource: 'attachment',
      body: arbAttachmentAction,
      fixtures: () =>
        fc.constant({
          id: fx.attachment,
          // Completing an attachment that is attached already is refused too.
          body: fc.oneof(arbAttachmentAction, fc.constant({ 'os-complete': {} })),
          expect: refused('an invalid attachment action'),
        }),
    },
    // backups
    { method: 'POST', path: 'backups', body: arbCreateBackup(fx) },
    { method: 'GET', path: 'backups' },
    { method: 'GET', path: 'backups/detail' },
    {
      method: 'GET',
      path: 'backups/:id',
      resource: 'backup',
      fixtures: readFixture([fx.backup]),
    },
    { method: 'DELETE', path: 'backups/:id', resource: 'backup' },
    {
      method: 'POST',
      path: 'backups/:id/restore',
      resource: 'backup',
      body: arbRestore(fx),
      fixtures: () =>
        fc.oneof(
          fc.constant({
            id: fx.backup,
            body: arbRestore(fx),
            expect: refused('an invalid restore'),
          }),
          fc.constant({
            id: fx.backup,
            body: fc.constant({ restore: { volume_id: fx.inUse } }),
            expect: exactly(400, 'restoring into an attached volume', INVALID_VOLUME),
          }),
        ),
    },
    {
      method: 'PUT',
      path: 'backups/:id',
      resource: 'backup',
      body: arbUpdateBackup,
      fixtures: () =>
        fc.constant({
          id: fx.backup,
          body: arbUpdateBackup,
          expect: refused('an invalid backup update'),
        }),
    },
    {
      method: 'GET',
      path: 'backups/:id/export_record',
      resource: 'backup',
      fixtures: readFixture([fx.backup]),
    },
    {
      method: 'POST',
      path: 'backups/:id/action',
      resource: 'backup',
      body: arbBackupAction,
      fixtures: () =>
        fc.oneof(
          fc.constant({
            id: fx.backup,
            body: arbBackupAction,
            expect: refused('an invalid backup action'),
          }),
          fc.constant({
            id: fx.backup,
            body: fc.constant({ 'os-reset_status': { status: 'deleting' } }),
            expect: exactly(
              400,
              'resetting a backup to a status other than available or error',
              "Backup status: deleting is invalid, valid statuses are: ['available', 'error'].",
            ),
          }),
        ),
    },
    { method: 'POST', path: 'backups/import_record', body: arbImportRecord(fx) },
    // types
    { method: 'GET', path: 'types' },
    { method: 'GET', path: 'types/default' },
    {
      method: 'GET',
      path: 'types/:id',
      resource: 'volumeType',
      fixtures: readFixture([fx.defaultType]),
    },
    { method: 'POST', path: 'types', body: arbCreateType },
    {
      method: 'DELETE',
      path: 'types/:id',
      resource: 'volumeType',
      fixtures: () =>
        fc.constant({ id: fx.defaultType, expect: exactly(400, 'deleting the default type') }),
    },
    {
      method: 'GET',
      path: 'types/:id/extra_specs',
      resource: 'volumeType',
      fixtures: readFixture([fx.defaultType]),
    },
    {
      method: 'POST',
      path: 'types/:id/extra_specs',
      resource: 'volumeType',
      body: arbExtraSpecs,
      fixtures: () =>
        fc.constant({ id: fx.defaultType, body: arbExtraSpecs, expect: refused('invalid specs') }),
    },
    // QoS specs (no fixture: every id is unknown or malformed)
    { method: 'GET', path: 'qos-specs' },
    { method: 'POST', path: 'qos-specs', body: arbCreateQos },
    { method: 'GET', path: 'qos-specs/:id', resource: 'qosSpecs' },
    { method: 'PUT', path: 'qos-specs/:id', resource: 'qosSpecs', body: arbSetQos },
    { method: 'DELETE', path: 'qos-specs/:id', resource: 'qosSpecs' },
    { method: 'PUT', path: 'qos-specs/:id/delete_keys', resource: 'qosSpecs', body: arbUnsetQos },
    { method: 'GET', path: 'qos-specs/:id/associations', resource: 'qosSpecs' },
    ...['associate', 'disassociate'].map((action): Route => ({
      method: 'GET',
      path: `qos-specs/:id/${action}`,
      resource: 'qosSpecs',
      // Cinder asks for vol_type_id before it looks the spec up.
      unknownId: exactly(400, 'no vol_type_id', 'Volume Type id must not be None.'),
    })),
    { method: 'GET', path: 'qos-specs/:id/disassociate_all', resource: 'qosSpecs' },
    {
      method: 'PUT',
      path: 'types/:id',
      resource: 'volumeType',
      body: arbUpdateType,
      fixtures: () =>
        fc.constant({
          id: fx.defaultType,
          body: arbUpdateType,
          expect: refused('an invalid update'),
        }),
    },
    {
      method: 'GET',
      path: 'types/:id/extra_specs/:key',
      resource: 'volumeType',
      fixtures: () =>
        fc.constant({ id: fx.defaultType, expect: exactly(404, 'a spec the type lacks') }),
    },
    {
      method: 'PUT',
      path: 'types/:id/extra_specs/:key',
      resource: 'volumeType',
      body: arbExtraSpecItem,
      fixtures: () =>
        fc.constant({
          id: fx.defaultType,
          body: arbExtraSpecItem,
          expect: refused('invalid spec'),
        }),
    },
    {
      method: 'DELETE',
      path: 'types/:id/extra_specs/:key',
      resource: 'volumeType',
      fixtures: () =>
        fc.constant({ id: fx.defaultType, expect: refused('a spec of a type in use') }),
    },
    {
      method: 'POST',
      path: 'types/:id/action',
      resource: 'volumeType',
      body: arbTypeAction,
      fixtures: () =>
        fc.constant({
          id: fx.defaultType,
          body: fc.constant({ addProjectAccess: { project: PROJECT_B } }),
          expect: exactly(400, 'access to a public type'),
        }),
    },
    {
      method: 'GET',
      path: 'types/:id/os-volume-type-access',
      resource: 'volumeType',
      fixtures: () =>
        fc.constant({
          id: fx.defaultType,
          expect: exactly(404, 'the access list of a public type'),
        }),
    },
    {
      method: 'GET',
      path: 'types/:id/encryption',
      resource: 'volumeType',
      fixtures: readFixture([fx.defaultType]),
    },
    {
      method: 'POST',
      path: 'types/:id/encryption',
      resource: 'volumeType',
      body: arbEncryption,
      fixtures: () =>
        fc.constant({
          id: fx.defaultType,
          body: arbEncryption,
          expect: refused('invalid encryption'),
        }),
    },
    {
      method: 'GET',
      path: 'types/:id/encryption/:key',
      resource: 'volumeType',
      fixtures: () =>
        fc.constant({ id: fx.defaultType, expect: exactly(404, 'a type without encryption') }),
    },
    {
      method: 'PUT',
      path: 'types/:id/encryption/:encryptionId',
      resource: 'volumeType',
      body: arbEncryptionUpdate,
      fixtures: () =>
        fc.constant({
          id: fx.defaultType,
          body: fc.constant({ encryption: { key_size: 128 } }),
          expect: refused('encryption of a type in use'),
        }),
    },
    {
      method: 'DELETE',
      path: 'types/:id/encryption/:encryptionId',
      resource: 'volumeType',
      fixtures: () =>
        fc.constant({ id: fx.defaultType, expect: refused('encryption of a type in use') }),
    },
    { method: 'GET', path: 'default-types' },
    { method: 'GET', path: 'default-types/:target' },
    { method: 'PUT', path: 'default-types/:target', body: arbDefaultType },
    { method: 'DELETE', path: 'default-types/:target', mayDo: true },
    // the rest
    { method: 'GET', path: 'os-services' },
    // `:action` is sent as it is: an unknown action, refused before anything is looked up.
    {
      method: 'PUT',
      path: 'os-services/:action',
      body: fc.constantFrom({}, { host: 1 }, { binary: '' }, [], 'x', null),
    },
    { method: 'GET', path: 'os-hosts' },
    { method: 'GET', path: 'os-hosts/:host' },
    { method: 'GET', path: 'capabilities/:host' },
    { method: 'GET', path: 'extensions' },
    { method: 'GET', path: 'extensions/:alias' },
    { method: 'GET', path: 'resource_filters' },
    { method: 'GET', path: 'os-availability-zone' },
    { method: 'GET', path: 'scheduler-stats/get_pools' },
    { method: 'GET', path: 'limits' },
    { method: 'GET', path: 'os-quota-sets/:target' },
    { method: 'GET', path: 'os-quota-sets/:target/defaults' },
    { method: 'PUT', path: 'os-quota-sets/:target', body: arbQuotaSet },
    { method: 'DELETE', path: 'os-quota-sets/:target', mayDo: true },
    { method: 'GET', path: 'os-quota-class-sets/:className' },
    { method: 'PUT', path: 'os-quota-class-sets/:className', body: arbQuotaClassSet },
    { method: 'GET', path: 'messages' },
    { method: 'GET', path: 'messages/:id', resource: 'message' },
    { method: 'DELETE', path: 'messages/:id', resource: 'message' },
    // snapshots
    { method: 'POST', path: 'snapshots', body: arbCreateSnapshot(fx) },
    { method: 'GET', path: 'snapshots' },
    { method: 'GET', path: 'snapshots/detail' },
    {
      method: 'GET',
      path: 'snapshots/:id',
      resource: 'snapshot',
      fixtures: readFixture([fx.snapshot]),
    },
    {
      method: 'PUT',
      path: 'snapshots/:id',
      resource: 'snapshot',
      body: arbUpdateSnapshot,
      fixtures: () =>
        fc.constant({
          id: fx.snapshot,
          body: arbUpdateSnapshot,
          expect: refused('an invalid snapshot update'),
        }),
    },
    // No fixture: deleting an available snapshot is allowed.
    { method: 'DELETE', path: 'snapshots/:id', resource: 'snapshot' },
    {
      method: 'GET',
      path: 'snapshots/:id/metadata',
      resource: 'snapshot',
      fixtures: readFixture([fx.snapshot]),
    },
    {
      method: 'POST',
      path: 'snapshots/:id/metadata',
      resource: 'snapshot',
      body: arbSnapshotMetadata,
      fixtures: () =>
        fc.constant({
          id: fx.snapshot,
          body: arbSnapshotMetadata,
          expect: refused('invalid snapshot metadata'),
        }),
    },
    {
      method: 'PUT',
      path: 'snapshots/:id/metadata',
      resource: 'snapshot',
      body: arbSnapshotMetadata,
      fixtures: () =>
        fc.constant({
          id: fx.snapshot,
          body: arbSnapshotMetadata,
          expect: refused('invalid snapshot metadata'),
        }),
    },
    {
      method: 'GET',
      path: 'snapshots/:id/metadata/:key',
      resource: 'snapshot',
      fixtures: () =>
        fc.constant({
          id: fx.snapshot,
          expect: exactly(404, 'a metadata key the snapshot lacks'),
        }),
    },
    {
      method: 'PUT',
      path: 'snapshots/:id/metadata/:key',
      resource: 'snapshot',
      body: arbSnapshotMetaItem,
      fixtures: () =>
        fc.constant({
          id: fx.snapshot,
          body: arbSnapshotMetaItem,
          expect: refused('an invalid snapshot metadata item'),
        }),
    },
    {
      method: 'DELETE',
      path: 'snapshots/:id/metadata/:key',
      resource: 'snapshot',
      fixtures: () =>
        fc.constant({
          id: fx.snapshot,
          expect: exactly(404, 'a metadata key the snapshot lacks'),
        }),
    },
    {
      method: 'POST',
      path: 'snapshots/:id/action',
      resource: 'snapshot',
      body: arbSnapshotAction,
      weight: 2,
      fixtures: () =>
        fc.oneof(
          fc.constant({
            id: fx.snapshot,
            body: arbSnapshotAction,
            expect: refused('an invalid snapshot action'),
          }),
          fc
            .constantFrom(
              { 'os-update_snapshot_status': { status: 'error' } },
              { 'os-update_snapshot_status': { status: 'available', progress: '10%' } },
              { 'os-reset_status': { status: 'deleted' } },
              { 'os-reset_status': { status: 'updating' } },
            )
            .map((body) => ({
              id: fx.snapshot,
              body: fc.constant(body),
              expect: exactly(400, 'a snapshot action in the wrong state'),
            })),
        ),
    },
    // transfers, on the legacy and the 3.x route
    ...['os-volume-transfer', 'volume-transfers'].flatMap((base): Route[] => [
      { method: 'POST', path: base, body: arbCreateTransfer(fx) },
      { method: 'GET', path: base },
      { method: 'GET', path: `${base}/detail` },
      { method: 'GET', path: `${base}/:id`, resource: 'transfer' },
      { method: 'DELETE', path: `${base}/:id`, resource: 'transfer' },
      {
        method: 'POST',
        path: `${base}/:id/accept`,
        resource: 'transfer',
        body: arbAcceptTransfer,
      },
    ]),
  ];
}

/** `METHOD path` of every route the controllers declare, as `v3/:project_id/...`. */
function declaredRoutes(): string[] {
  const names: Record<number, string> = {
    [RequestMethod.GET]: 'GET',
    [RequestMethod.POST]: 'POST',
    [RequestMethod.PUT]: 'PUT',
    [RequestMethod.DELETE]: 'DELETE',
    [RequestMethod.PATCH]: 'PATCH',
  };
  const found: string[] = [];
  for (const controller of API_CONTROLLERS) {
    const bases = [Reflect.getMetadata(PATH_METADATA, controller) as string | string[]].flat();
    const proto = controller.prototype as unknown as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const handler = proto[name];
      if (typeof handler !== 'function' || name === 'constructor') continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as number | undefined;
      if (method === undefined) continue;
      const paths = [Reflect.getMetadata(PATH_METADATA, handler) as string | string[]].flat();
      for (const base of bases) {
        for (const path of paths) {
          const full = [base, path].filter((p) => p && p !== '/').join('/');
          found.push(`${names[method] ?? method} /${full}`);
        }
      }
    }
  }
  return found;
}

/** The same routes, as this suite's table names them. */
function tableRoutes(table: Route[]): string[] {
  return table.flatMap((r) =>
    r.path === '' || r.path.startsWith('/')
      ? [`${r.method} ${r.path || '/'}`]
      : [`${r.method} /v3/:project_id/${r.path}`, `${r.method} /v3/${r.path}`],
  );
}

// ---------------------------------------------------------------------------------------------
// Requests

interface Case {
  route: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  expect: Expectation;
}

const VALID_VERSIONS = [
  undefined,
  '',
  'volume 3.0',
  'volume 3.27',
  'volume 3.44',
  'volume 3.53',
  'volume 3.54',
  'volume 3.71',
  'volume latest',
  'compute 2.1',
  'compute 2.1, volume 3.44',
  'volume',
];

/** Versions the API refuses, with the status it refuses them with. */
const BAD_VERSIONS: [string, number][] = [
  ['volume 3.x', 400],
  ['volume 3.05', 400],
  ['volume 3.', 400],
  ['volume .5', 400],
  ['volume 3.0.1', 400],
  ['volume -3.0', 400],
  ['volume v3.0', 400],
  ['volume 03.0', 400],
  ['volume 3,0', 400],
  ['volume 3.72', 406],
  ['volume 3.999', 406],
  ['volume 4.0', 406],
  ['volume 2.0', 406],
  ['volume 1.0', 406],
  ['VOLUME 9.9', 406],
  ['volume 3.99999999999999999999', 406],
  ['volume 99999999999999999999.0', 406],
];

type Version = { header?: string; refusedWith?: number };
const arbVersion: fc.Arbitrary<Version> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...VALID_VERSIONS).map((header) => ({ header })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...BAD_VERSIONS).map(([header, refusedWith]) => ({
      header,
      refusedWith,
    })),
  },
  {
    weight: 1,
    // Junk that names no `volume` entry is ignored (the minimum version).
    arbitrary: fc
      .stringOf(fc.char(), { maxLength: 30 })
      .filter((h) => !/volume/i.test(h))
      .map((header) => ({ header })),
  },
);

const QUERY_KEYS = [
  'limit',
  'marker',
  'sort',
  'sort_key',
  'sort_dir',
  'offset',
  'all_tenants',
  'with_count',
  'name',
  'status',
  'metadata',
  'glance_metadata',
  'size',
  'bootable',
  'availability_zone',
  'project_id',
  'volume_id',
  'instance_id',
  'attach_status',
  'detail',
  'host',
  'binary',
  'volume_backend_name',
  'a[b]',
  '__proto__',
  'constructor',
];

const arbQueryValue = fc.oneof(
  fc.constantFrom(
    '-1',
    '0',
    'abc',
    '1e999',
    '99999999999999999999',
    '',
    'not-a-uuid',
    "{'a':'b'}",
    '{"a":{"b":1}}',
    '{"a":"\\u0000"}',
    '{"a":"\\ud800"}',
    '[1,2]',
    'name:asc,size:desc:x',
    'bogus:up',
    'true',
    'x'.repeat(1000),
  ),
  fc.uuid(),
  fc.string({ maxLength: 20 }),
  fc.fullUnicodeString({ maxLength: 10 }),
);

interface Query {
  text: string;
  /** Holds NUL: refused before routing. */
  bad: boolean;
}

const encodePair = ([k, v]: [string, string]) =>
  `${encodeURIComponent(k)}=${encodeURIComponent(v)}`;

const arbQuery: fc.Arbitrary<Query> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ text: '', bad: false }) },
  {
    weight: 5,
    // `force` is left out: with it, a DELETE on a fixture could be a valid one.
    arbitrary: fc
      .array(
        fc.tuple(
          fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ minLength: 1, maxLength: 8 })),
          arbQueryValue,
        ),
        {
          maxLength: 5,
        },
      )
      .map((pairs) => pairs.filter(([k]) => k.toLowerCase() !== 'force'))
      .map((pairs) => ({ text: pairs.map(encodePair).join('&'), bad: false })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...QUERY_KEYS),
        fc.constantFrom('%00', 'a%00b', '%00%00'),
        fc.boolean(),
      )
      .map(([k, v, inKey]) => ({
        text: inKey ? `${encodeURIComponent(k)}%00=1` : `${encodeURIComponent(k)}=${v}`,
        bad: true,
      })),
  },
);

/** A defect of the whole body, with what the API answers for it. */
interface BodyDefect {
  body: (template: unknown) => Buffer;
  headers?: Record<string, string>;
  expect: Expectation;
}

/** `value` added to `template` where checkBody will find it: top level, or its inner object. */
function inject(template: unknown, key: string, value: unknown, inner: boolean): unknown {
  if (template === null || typeof template !== 'object' || Array.isArray(template)) {
    return { [key]: value };
  }
  const entries = Object.entries(template as Record<string, unknown>);
  const nested = entries.find(
    ([, v]) => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Raw),
  );
  if (inner && nested) {
    return { ...(template as object), [nested[0]]: { ...(nested[1] as object), [key]: value } };
  }
  return { ...(template as object), [key]: value };
}

const text = (value: unknown) => Buffer.from(typeof value === 'string' ? value : toJson(value));

const arbBodyDefect: fc.Arbitrary<BodyDefect> = fc.oneof(
  arbNotJson.map((raw): BodyDefect => ({
    body: () => Buffer.from(raw),
    expect: exactly(400, 'a body that is no JSON object', 'Malformed request body'),
  })),
  fc.tuple(arbDeep, fc.boolean(), fc.boolean()).map(([deep, atRoot, inner]): BodyDefect => ({
    body: (template) => text(atRoot ? deep : inject(template, 'nested', deep, inner)),
    expect: exactly(400, 'a body nested too deep', /^Malformed request body/),
  })),
  // Twice: both NUL and lone surrogates, as often as the other defects.
  fc
    .tuple(
      fc.oneof(arbNulString, arbLoneSurrogate),
      fc.constantFrom('value', 'key', 'name'),
      fc.boolean(),
    )
    .map(([bad, where, inner]): BodyDefect => ({
      body: (template) =>
        text(
          where === 'key'
            ? inject(template, bad, 'v', inner)
            : inject(template, where === 'name' ? 'name' : 'description', bad, inner),
        ),
      expect: exactly(400, 'a NUL or lone surrogate in the body', INVALID_INPUT),
    })),
  fc
    .tuple(
      fc.oneof(arbNulString, arbLoneSurrogate),
      fc.constantFrom('value', 'key', 'name'),
      fc.boolean(),
    )
    .map(([bad, where, inner]): BodyDefect => ({
      body: (template) =>
        text(
          where === 'key'
            ? inject(template, bad, 'v', inner)
            : inject(template, where === 'name' ? 'name' : 'description', bad, inner),
        ),
      expect: exactly(400, 'a NUL or lone surrogate in the body', INVALID_INPUT),
    })),
  fc.constantFrom<BodyDefect>(
    {
      body: (template) => text(inject(template, 'name', 'x'.repeat(1_100_000), true)),
      expect: exactly(413, 'a body over 1 MB', 'Request is too large.'),
    },
    {
      body: (template) => text(template ?? {}),
      headers: { 'Content-Type': 'application/json; charset=latin1' },
      expect: exactly(415, 'a charset other than UTF'),
    },
    {
      body: (template) => text(template ?? {}),
      headers: { 'Content-Encoding': 'bogus' },
      expect: exactly(415, 'an unknown content encoding'),
    },
  ),
);

const UNKNOWN_ROUTES: [string, string][] = [
  ['POST', 'snapshots/detail'],
  ['PATCH', 'snapshots/{uuid}'],
  ['DELETE', 'snapshots'],
  ['GET', 'snapshots/{uuid}/action'],
  ['DELETE', 'snapshots/{uuid}/metadata'],
  ['POST', 'limits'],
  ['GET', 'groups/detail'],
  ['GET', 'volumes/detail/more'],
  ['DELETE', 'volumes/{uuid}/metadata'],
  ['POST', 'volumes/{uuid}/metadata/k'],
  ['GET', 'volumes/{uuid}/action'],
  ['POST', 'volumes/{uuid}/action/more'],
  ['PATCH', 'volumes/{uuid}'],
  ['PUT', 'volumes'],
  ['DELETE', 'volumes'],
  ['POST', 'volumes/detail'],
  ['POST', 'types/{uuid}'],
  ['DELETE', 'types/{uuid}/extra_specs'],
  ['PUT', 'messages/{uuid}'],
  ['DELETE', 'messages'],
  ['POST', 'os-services'],
  ['DELETE', 'os-availability-zone'],
  ['POST', 'scheduler-stats/get_pools'],
  ['GET', 'scheduler-stats'],
  ['DELETE', 'attachments'],
  ['PATCH', 'attachments/{uuid}'],
];

const OUTSIDE_V3 = [
  '/v2/{p}/volumes',
  '/v1',
  '/foo/bar',
  '/v3x',
  '/v3volumes',
  '/V3/{p}/volumes',
  '/v3/{p}/VOLUMES',
  '/v3/{p}',
  '//v3/{p}/volumes',
];

function buildCases(fx: Fixtures, table: Route[]): fc.Arbitrary<Case> {
  const project = (short: boolean) => (short ? '/v3/' : `/v3/${PROJECT_A}/`);
  const finish = (
    route: string,
    method: string,
    path: string,
    query: Query,
    version: Version,
    contentType: string | undefined,
    defect: BodyDefect | undefined,
    template: unknown,
    otherwise: Expectation,
    urlBad = false,
  ): Case => {
    const headers: Record<string, string> = {
      'X-Auth-Token': `fuzz-user:${PROJECT_A}`,
      ...(version.header !== undefined ? { 'OpenStack-API-Version': version.header } : {}),
      ...(contentType ? { 'Content-Type': contentType } : {}),
      ...defect?.headers,
    };
    const body = defect
      ? defect.body(template)
      : template === undefined
        ? undefined
        : text(template);
    const fullPath = query.text ? `${path}?${query.text}` : path;
    const apiPath = path.startsWith('/v3/') && !/^\/(v3\/?)?$/.test(path);
    // The order cinder-api looks in: URL, microversion, body, then routing and the handler.
    const expect: Expectation =
      urlBad || query.bad
        ? exactly(400, 'a URL with NUL or bad encoding', INVALID_INPUT)
        : apiPath && version.refusedWith
          ? exactly(version.refusedWith, 'a refused microversion')
          : (defect?.expect ?? otherwise);
    return { route, method, path: fullPath, headers, body, expect };
  };

  const common = fc.record({
    short: fc.boolean(),
    query: arbQuery,
    version: arbVersion,
    contentType: fc.constantFrom(
      undefined,
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
    ),
    defect: fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: arbBodyDefect },
    ),
  });

  const pickRoute = fc.oneof(
    ...table.map((route) => ({ weight: route.weight ?? 1, arbitrary: fc.constant(route) })),
  );
  const known = pickRoute.chain((route) => {
    const key = `${route.method} ${route.path || '/'}`;
    const topLevel = route.path === '' || route.path.startsWith('/');
    const prefixPath = (short: boolean, rest: string) =>
      topLevel ? rest || '/' : `${project(short)}${rest}`;
    const hasId = route.path.includes(':id');
    type IdPick = {
      id: IdCase;
      kind: 'malformed' | 'unknown' | 'fixture' | 'bad';
      fixture?: FixtureCase;
    };
    const idOptions: fc.WeightedArbitrary<IdPick>[] = [];
    if (hasId) {
      idOptions.push({
        weight: 4,
        arbitrary: arbMalformedId.map((id) => ({ id, kind: 'malformed' as const })),
      });
      idOptions.push({
        weight: 2,
        arbitrary: fc.uuid().map((u) => ({ id: { raw: u, decoded: u }, kind: 'unknown' as const })),
      });
      idOptions.push({
        weight: 1,
        arbitrary: arbBadSegment.map((raw) => ({
          id: { raw, decoded: raw },
          kind: 'bad' as const,
        })),
      });
      if (route.fixtures) {
        idOptions.push({
          weight: 4,
          arbitrary: route.fixtures(fx).map((f) => ({
            id: { raw: f.id, decoded: f.id },
            kind: 'fixture' as const,
            fixture: f,
          })),
        });
      }
    }
    const arbId: fc.Arbitrary<IdPick | undefined> = hasId
      ? fc.oneof(...idOptions)
      : fc.constant(undefined);
    const projectDefect = topLevel
      ? fc.constant(undefined)
      : fc.oneof(
          { weight: 12, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constantFrom('other', 'not-hex', 'XYZ', 'ABCDEF', '0123-zz') },
        );
    return fc.record({ c: common, id: arbId, projectDefect }).chain(({ c, id, projectDefect }) => {
      const bodyGen: fc.Arbitrary<unknown> =
        id?.fixture?.body ?? route.body ?? fc.constant(undefined);
      return bodyGen.map((template) => {
        let rest = route.path;
        if (id) rest = rest.replace(':id', id.id.raw);
        let path = prefixPath(c.short, rest);
        let otherwise: Expectation;
        if (projectDefect && !c.short) {
          const segment = projectDefect === 'other' ? PROJECT_B : projectDefect;
          path = path.replace(PROJECT_A, segment);
        }
        if (projectDefect === 'other' && !c.short) {
          otherwise = exactly(400, 'another project in the URL', 'Malformed request url');
        } else if (projectDefect && !c.short) {
          otherwise = exactly(
            404,
            'a project id that is not hex',
            'The resource could not be found.',
          );
        } else if (id?.kind === 'malformed') {
          otherwise = exactly(
            404,
            'an id that is no UUID',
            NOT_FOUND[route.resource!](id.id.decoded),
          );
        } else if (id?.kind === 'fixture') {
          otherwise = id.fixture!.expect;
        } else if (id?.kind === 'unknown') {
          otherwise =
            route.unknownId ??
            (route.method === 'GET' ? exactly(404, 'an unknown id') : refused('an unknown id'));
        } else if (route.method === 'GET' || route.mayDo) {
          otherwise = read('a read');
        } else {
          otherwise = refused('an invalid body');
        }
        // A GET or DELETE reads no body; whole-body defects are sent to them all the same
        // (the API parses any body). Queries are harmless: POST and PUT handlers read none,
        // and none has `force`.
        const sent = route.method === 'GET' || route.method === 'DELETE' ? undefined : template;
        return finish(
          key,
          route.method,
          path,
          c.query,
          c.version,
          c.contentType,
          c.defect,
          sent,
          otherwise,
          id?.kind === 'bad',
        );
      });
    });
  });

  const unknown = fc
    .record({
      c: common,
      route: fc.oneof(
        {
          weight: 4,
          arbitrary: fc
            .constantFrom(...UNKNOWN_ROUTES)
            .map(([m, p]) => ({ method: m, path: p, outside: false })),
        },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom(...OUTSIDE_V3)
            .map((p) => ({ method: 'GET', path: p, outside: true })),
        },
        {
          weight: 1,
          arbitrary: fc
            .stringMatching(/^[a-z_-]{1,12}$/)
            .filter(
              (s) =>
                ![
                  'volumes',
                  'backups',
                  'attachments',
                  'types',
                  'messages',
                  'os-services',
                  'os-hosts',
                  'capabilities',
                  'extensions',
                  'os-availability-zone',
                  'scheduler-stats',
                  'snapshots',
                ].includes(s),
            )
            .map((p) => ({ method: 'GET', path: p, outside: false })),
        },
      ),
      uuid: fc.uuid(),
    })
    .map(({ c, route, uuid }) => {
      const method = route.method;
      const rest = route.path.replace('{uuid}', uuid).replace('{p}', PROJECT_A);
      const path = route.outside ? rest : `${project(c.short)}${rest}`.replace(/\/$/, '');
      const template = method === 'GET' ? undefined : { anything: 1 };
      return finish(
        'unknown route',
        method,
        path,
        c.query,
        c.version,
        c.contentType,
        c.defect,
        template,
        exactly(404, 'an unknown route', 'The resource could not be found.'),
      );
    });

  return fc.oneof({ weight: 12, arbitrary: known }, { weight: 1, arbitrary: unknown });
}

// ---------------------------------------------------------------------------------------------
// Sending

interface Answer {
  status: number;
  text: string;
}

function send(base: URL, agent: Agent, c: Case): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method: c.method,
        path: c.path,
        agent,
        headers: { ...c.headers, ...(c.body ? { 'Content-Length': String(c.body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer to ${c.method} ${c.path}`)));
    req.on('error', reject);
    req.end(c.body);
  });
}

/** What is wrong with an answer; undefined when it is what the case expects. */
function judge(c: Case, answer: Answer): string | undefined {
  if (answer.status >= 500) return `a ${answer.status}`;
  const e = c.expect;
  if (e.kind === 'status' && answer.status !== e.status)
    return `status ${answer.status}, expected ${e.status}`;
  if (e.kind === 'refused' && (answer.status < 400 || answer.status >= 500))
    return `status ${answer.status}, expected a 4xx`;
  if (answer.status < 400) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return `a body that is no JSON: ${answer.text.slice(0, 200)}`;
  }
  const keys = body && typeof body === 'object' ? Object.keys(body) : [];
  const fault = keys.length === 1 ? (body as Record<string, unknown>)[keys[0]] : undefined;
  if (
    !fault ||
    typeof fault !== 'object' ||
    Object.keys(fault).sort().join() !== 'code,message' ||
    (fault as { code: unknown }).code !== answer.status ||
    typeof (fault as { message: unknown }).message !== 'string'
  ) {
    return `not Cinder's fault format: ${answer.text.slice(0, 200)}`;
  }
  const message = (fault as { message: string }).message;
  if (
    e.message instanceof RegExp
      ? !e.message.test(message)
      : e.message !== undefined && e.message !== message
  ) {
    return `message ${JSON.stringify(message)}, expected ${String(e.message)}`;
  }
  return undefined;
}

async function runAll<T, R>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]);
      }
    }),
  );
  return results;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(`${full.slice(dir.length)} ${statSync(full).size}`);
    }
  };
  walk(dir);
  return out.sort();
}

// ---------------------------------------------------------------------------------------------

describe('cinder-api: bad input is refused, never a 500, and writes nothing', () => {
  const cluster = new Cluster([{ name: 'disk', capacityGb: 100 }]);
  let api: ApiClient;
  let fx: Fixtures;

  const snapshot = async () => ({
    volumes: await cluster.sql(
      'SELECT id, status, attach_status, display_name, display_description, size, metadata, deleted, host FROM volumes ORDER BY id',
    ),
    backups: await cluster.sql(
      'SELECT id, status, display_name, deleted, volume_id FROM backups ORDER BY id',
    ),
    attachments: await cluster.sql(
      'SELECT id, attach_status, deleted, volume_id, connector FROM volume_attachment ORDER BY id',
    ),
    types: await cluster.sql(
      'SELECT id, name, description, is_public, extra_specs, deleted FROM volume_types ORDER BY id',
    ),
    typeAccess: await cluster.sql('SELECT * FROM volume_type_projects ORDER BY volume_type_id'),
    encryption: await cluster.sql('SELECT * FROM volume_type_encryption ORDER BY encryption_id'),
    defaultTypes: await cluster.sql('SELECT * FROM default_volume_types ORDER BY project_id'),
    messages: await cluster.sql('SELECT id FROM messages ORDER BY id'),
    snapshots: await cluster.sql(
      'SELECT id, status, display_name, display_description, metadata, progress, deleted, updated_at FROM snapshots ORDER BY id',
    ),
    files: [...listFiles(join(cluster.workDir, 'volumes')), ...listFiles(cluster.backupDir)],
  });

  beforeAll(async () => {
    await cluster.start();
    // An imageRef is looked up in glance-api: a wrong one is the caller's 400, not a 503.
    await cluster.startGlanceApi();
    api = new ApiClient(cluster.apiUrl, PROJECT_A).withVersion('3.44');
    const volume = async (name: string) => {
      const res = await api.post('volumes', { volume: { size: 1, name } });
      expect(res.status).toBe(202);
      await api.waitForVolume(res.body.volume.id as string, (v) => v?.status === 'available');
      return res.body.volume.id as string;
    };
    const available = await volume('fixture-available');
    const inUse = await volume('fixture-in-use');
    const attached = await api.post('attachments', {
      attachment: {
        volume_uuid: inUse,
        connector: { host: 'fixture-host', mountpoint: '/dev/vdb' },
      },
    });
    expect(attached.status).toBe(200);
    const attachment = attached.body.attachment.id as string;
    expect((await api.post(`attachments/${attachment}/action`, { 'os-complete': {} })).status).toBe(
      204,
    );
    const backed = await api.post('backups', { backup: { volume_id: available, name: 'fixture' } });
    expect(backed.status).toBe(202);
    const backup = backed.body.backup.id as string;
    await cluster.waitFor(
      async () => (await api.get(`backups/${backup}`)).body.backup?.status === 'available',
      30_000,
      () => 'the fixture backup never became available',
    );
    await api.waitForVolume(available, (v) => v?.status === 'available');
    await api.waitForVolume(inUse, (v) => v?.status === 'in-use');
    const defaultType = (await api.get('types/default')).body.volume_type.id as string;
    const snapped = await api.post('snapshots', {
      snapshot: { volume_id: available, name: 'fixture', metadata: { k: 'v' } },
    });
    expect(snapped.status).toBe(202);
    const snapshot = snapped.body.snapshot.id as string;
    await cluster.waitFor(
      async () => (await api.get(`snapshots/${snapshot}`)).body.snapshot?.status === 'available',
      30_000,
      () => 'the fixture snapshot never became available',
    );
    fx = { available, inUse, attachment, backup, defaultType, snapshot };
  });
  afterAll(() => cluster.stop());

  it('covers every route the controllers declare', () => {
    const table = routes({
      available: '',
      inUse: '',
      attachment: '',
      backup: '',
      defaultType: '',
      snapshot: '',
    });
    expect(tableRoutes(table).sort()).toEqual(declaredRoutes().sort());
  });

  it.each([
    ['GET', 'volumes/not-a-uuid', 404, 'Volume not-a-uuid could not be found.', undefined],
    [
      'POST',
      'volumes/not-a-uuid/action',
      404,
      'Volume not-a-uuid could not be found.',
      { 'os-reserve': {} },
    ],
    ['GET', 'backups/x', 404, 'Backup x could not be found.', undefined],
    ['GET', 'snapshots/x/metadata', 404, 'Snapshot x could not be found.', undefined],
    ['DELETE', 'messages/1', 404, 'Message 1 could not be found.', undefined],
    [
      'POST',
      'backups',
      400,
      /^Invalid input for field\/attribute volume_id/,
      { backup: { volume_id: 'nope' } },
    ],
    [
      'GET',
      'volumes?name=a%00b',
      400,
      'Invalid input received: the query parameter name contains a NUL character.',
      undefined,
    ],
    [
      'POST',
      'volumes',
      400,
      'Invalid input received: volume.name contains a NUL character.',
      { volume: { size: 1, name: 'a\u0000b' } },
    ],
    [
      'POST',
      'volumes',
      400,
      'Invalid input received: volume.name is not valid Unicode (it has an unpaired surrogate).',
      '{"volume": {"size": 1, "name": "\\ud800"}}',
    ],
    [
      'POST',
      'volumes',
      400,
      'Malformed request body: it nests deeper than 32 levels.',
      new Raw(`{"volume": ${deepText(1000, 'object')}}`),
    ],
    [
      'GET',
      'volumes/%ED%A0%80',
      400,
      'Invalid input received: the URL path is not percent-encoded UTF-8.',
      undefined,
    ],
    ['GET', 'no-such-thing', 404, 'The resource could not be found.', undefined],
  ])('%s %s → %i', async (method, path, status, message, body) => {
    const payload = body instanceof Raw ? body.text : body;
    const res = await api.request(method, path, payload);
    expect(res.status).toBe(status);
    const fault = Object.values(res.body)[0] as { code: number; message: string };
    expect(Object.keys(res.body)).toHaveLength(1);
    expect(fault.code).toBe(status);
    if (message instanceof RegExp) expect(fault.message).toMatch(message);
    else expect(fault.message).toBe(message);
  });

  it('answers os-attach and os-detach on a volume in the wrong state with 400 Invalid volume', async () => {
    const attach = await api.post(`volumes/${fx.available}/action`, {
      'os-attach': { mountpoint: '/dev/vdb', host_name: 'h' },
    });
    expect(attach.body).toEqual({
      badRequest: {
        code: 400,
        message:
          'Invalid volume: Volume status must be attaching or reserved or in-use to attach, but the status is available.',
      },
    });
    const again = await api.post(`volumes/${fx.inUse}/action`, {
      'os-attach': { mountpoint: '/dev/vdc', host_name: 'h' },
    });
    expect(again.body.badRequest.message).toBe(
      'Invalid volume: volume is already attached and multiple attachments are not enabled',
    );
    const detach = await api.post(`volumes/${fx.available}/action`, { 'os-detach': {} });
    expect(detach.status).toBe(400);
    expect(detach.body.badRequest.message).toMatch(
      /^Invalid volume: Volume status must be .* to detach/,
    );
  });

  it(`${REQUESTS} generated requests over every route: no 5xx, Cinder's faults, nothing written`, async () => {
    const before = await snapshot();
    const apiLogBefore = cluster.logOf('cinder-api').length;
    const table = routes(fx);
    const cases = fc.sample(buildCases(fx, table), { seed: SEED, numRuns: REQUESTS });
    const base = new URL(cluster.apiUrl);
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const started = Date.now();
    const answers = await runAll(cases, CONCURRENCY, (c) => send(base, agent, c));
    agent.destroy();
    const seconds = (Date.now() - started) / 1000;

    const statuses: Record<number, number> = {};
    const perRoute: Record<string, number> = {};
    const perKind: Record<string, number> = {};
    const failures: string[] = [];
    cases.forEach((c, i) => {
      statuses[answers[i].status] = (statuses[answers[i].status] ?? 0) + 1;
      perRoute[c.route] = (perRoute[c.route] ?? 0) + 1;
      perKind[c.expect.why] = (perKind[c.expect.why] ?? 0) + 1;
      const problem = judge(c, answers[i]);
      if (problem) {
        failures.push(
          `${c.method} ${c.path.slice(0, 200)} [${c.expect.why}; version ${c.headers['OpenStack-API-Version'] ?? '-'}; body ${c.body?.subarray(0, 150).toString() ?? '-'}]: ${problem}`,
        );
      }
    });
    console.log(
      `bad input: ${cases.length} requests in ${seconds.toFixed(1)} s (seed ${SEED}); statuses ${JSON.stringify(statuses)}; per route ${JSON.stringify(perRoute)}; per kind ${JSON.stringify(perKind)}`,
    );

    expect(failures.slice(0, 30)).toEqual([]);
    expect(Object.keys(statuses).filter((s) => Number(s) >= 500)).toEqual([]);
    // Every route got its share.
    const thin = [...new Set(table.map((r) => `${r.method} ${r.path || '/'}`))].filter(
      (key) => (perRoute[key] ?? 0) < 20,
    );
    expect(thin).toEqual([]);
    // And every kind of bad input the issue names.
    const missing = [
      'an id that is no UUID',
      'a URL with NUL or bad encoding',
      'a NUL or lone surrogate in the body',
      'a body nested too deep',
      'a body that is no JSON object',
      'a refused microversion',
      'an unknown route',
      'os-attach in the wrong state',
      'os-detach in the wrong state',
    ].filter((kind) => (perKind[kind] ?? 0) < 5);
    expect(missing).toEqual([]);
    // Nothing written: the rows and files are the fixtures', as they were.
    expect(await snapshot()).toEqual(before);
    // And no request made the API log an error (an unchecked value reaching the database, say).
    const errors = cluster
      .logOf('cinder-api')
      .slice(apiLogBefore)
      .split('\n')
      .filter((line) => line.includes('"level":"error"'));
    expect(errors.slice(0, 5)).toEqual([]);
  });

  // Last: cinder-volume exports the volume again before it refuses (the export file changes).
  it('answers a refusal from cinder-volume (a typed remote error) with a 4xx, not a 500', async () => {
    const res = await api.request('PUT', `attachments/${fx.attachment}`, {
      attachment: { connector: { host: 'another-host' } },
    });
    expect(res.body).toEqual({
      badRequest: {
        code: 400,
        message:
          "Invalid attachment: event 'connect' is not allowed from status 'attached' (allowed from: reserved, attaching)",
      },
    });
    const [row] = await cluster.sql<{ attach_status: string; connector: { host: string } }>(
      'SELECT attach_status, connector FROM volume_attachment WHERE id = $1',
      [fx.attachment],
    );
    expect(row).toMatchObject({ attach_status: 'attached', connector: { host: 'fixture-host' } });
  });
});
