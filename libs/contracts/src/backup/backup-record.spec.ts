import { BackupRecordError, decodeBackupRecord, encodeBackupRecord } from './backup-record';

describe('backup records (Cinder encode_record / decode_record)', () => {
  it('round-trips a record through base64 JSON', () => {
    const record = { id: 'b', size: 1, display_name: 'ünïcode', driver_info: {} };
    const url = encodeBackupRecord(record);
    expect(JSON.parse(Buffer.from(url, 'base64').toString('utf8'))).toEqual(record);
    expect(decodeBackupRecord(url)).toEqual(record);
  });

  it('drops characters outside the alphabet, as Python b64decode does', () => {
    const url = encodeBackupRecord({ id: 'b', size: 1 });
    expect(decodeBackupRecord(`${url.slice(0, 4)}\n${url.slice(4)}`)).toEqual({ id: 'b', size: 1 });
  });

  it.each([
    ['bad padding', 'abc'],
    ['padding inside', 'ab=c'],
    ['not JSON', Buffer.from('not json').toString('base64')],
    ['not UTF-8', Buffer.from([0xff, 0xfe, 0xfd]).toString('base64')],
    ['a JSON array', Buffer.from('[1]').toString('base64')],
    ['a JSON number', Buffer.from('1').toString('base64')],
    ['JSON null', Buffer.from('null').toString('base64')],
  ])("refuses %s with Cinder's words", (_why, url) => {
    expect(() => decodeBackupRecord(url)).toThrow(
      new BackupRecordError("Can't parse backup record."),
    );
  });
});
