import type { Request } from 'express';
import type { TransferEntity } from '@cinderflow/persistence';
import { ApiVersion } from '../common/microversion';
import { RequestSchema } from '../common/validation';
import {
  acceptTransferSchema,
  checkTransferName,
  createTransferSchema,
  createTransferV355Schema,
} from './transfer.schemas';
import { transferCreated, transferDetail, transferSummary } from './transfer.views';
import { cryptHash, keyMatches, randomHexString } from './transfers.service';

const row: TransferEntity = {
  id: '3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
  volume_id: '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
  display_name: 'n',
  salt: 'abcdef12',
  crypt_hash: '25969027b710624931c63cdda1e8e6089c9edc36',
  expires_at: null,
  no_snapshots: false,
  source_project_id: 'src',
  destination_project_id: null,
  accepted: false,
  created_at: new Date('2026-12-01T01:02:03.456Z'),
  updated_at: null,
  deleted_at: null,
  deleted: false,
};
const req = {
  protocol: 'http',
  get: () => 'h:1',
  path: '/v3/p/volume-transfers',
} as unknown as Request;

describe('transfer auth keys (cinder/transfer/api.py)', () => {
  it('hashes as Cinder: hex HMAC-SHA1 keyed with the salt (values from Python’s hmac)', () => {
    expect(cryptHash('abcdef12', '0123456789abcdef')).toBe(row.crypt_hash);
    // The accept schema lets an integer through; Cinder hashes str(auth_key).
    expect(cryptHash('abcdef12', 12345)).toBe('fd21754f2c5b7e335c38bae574dcff032689e4a6');
    expect(keyMatches(row, '0123456789abcdef')).toBe(true);
    expect(keyMatches(row, '0123456789abcdeF')).toBe(false);
    expect(keyMatches({ salt: 'abcdef12', crypt_hash: 'short' }, 'x')).toBe(false);
  });

  it('makes keys and salts of hex digits, of the length asked', () => {
    expect(randomHexString(8)).toMatch(/^[0-9a-f]{8}$/);
    expect(randomHexString(100)).toMatch(/^[0-9a-f]{100}$/);
    expect(randomHexString(16)).not.toBe(randomHexString(16));
  });
});

describe('transfer schemas (cinder/api/schemas/volume_transfer.py)', () => {
  const create = new RequestSchema(createTransferSchema);
  const create355 = new RequestSchema(createTransferV355Schema);
  const accept = new RequestSchema(acceptTransferSchema);

  it('create: volume_id required, no_snapshots only from 3.55', () => {
    expect(() => create.check({ transfer: {} })).toThrow("'volume_id' is a required property");
    expect(() =>
      create.check({ transfer: { volume_id: row.volume_id, no_snapshots: true } }),
    ).toThrow("Additional properties are not allowed ('no_snapshots' was unexpected)");
    expect(
      create355.check({ transfer: { volume_id: row.volume_id, no_snapshots: 'yes' } }).transfer
        .no_snapshots,
    ).toBe('yes');
    expect(() =>
      create355.check({ transfer: { volume_id: row.volume_id, no_snapshots: 'maybe' } }),
    ).toThrow(/no_snapshots/);
  });

  it('names: stripped; blank or over 255 matches neither branch of the oneOf', () => {
    expect(checkTransferName('  a  ')).toBe('a');
    expect(checkTransferName(null)).toBeNull();
    expect(checkTransferName(undefined)).toBeNull();
    expect(() => checkTransferName('   ')).toThrow(
      "Invalid input for field/attribute name. Value:    . '   ' is not valid under any of the given schemas",
    );
    expect(() => checkTransferName('x'.repeat(256))).toThrow(/not valid under any/);
  });

  it('accept: auth_key a string or an integer', () => {
    expect(accept.check({ accept: { auth_key: 7 } }).accept.auth_key).toBe(7);
    expect(() => accept.check({ accept: { auth_key: 1.5 } })).toThrow(/auth_key/);
    expect(() => accept.check({ accept: {} })).toThrow("'auth_key' is a required property");
  });
});

describe('transfer views (cinder/api/views/transfers.py)', () => {
  const links = [
    { href: `http://h:1/v3/p/os-volume-transfer/${row.id}`, rel: 'self' },
    { href: `http://h:1/p/os-volume-transfer/${row.id}`, rel: 'bookmark' },
  ];

  it('summary: id, volume_id, name, links to the legacy collection', () => {
    expect(transferSummary(req, 'p', row)).toEqual({
      id: row.id,
      volume_id: row.volume_id,
      name: 'n',
      links,
    });
  });

  it('detail per microversion: no_snapshots from 3.55, the history from 3.57', () => {
    const base = {
      id: row.id,
      created_at: '2026-12-01T01:02:03.456000',
      name: 'n',
      volume_id: row.volume_id,
      links,
    };
    expect(transferDetail(req, 'p', row, ApiVersion.parse('3.54'))).toEqual(base);
    expect(transferDetail(req, 'p', row, ApiVersion.parse('3.55'))).toEqual({
      ...base,
      no_snapshots: false,
    });
    expect(transferDetail(req, 'p', row, ApiVersion.parse('3.57'))).toEqual({
      ...base,
      no_snapshots: false,
      destination_project_id: null,
      source_project_id: 'src',
      accepted: false,
    });
    expect(transferCreated(req, 'p', { ...row, auth_key: 'k' }, ApiVersion.parse('3.0'))).toEqual({
      ...base,
      auth_key: 'k',
    });
  });
});
