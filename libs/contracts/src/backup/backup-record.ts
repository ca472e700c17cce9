/**
 * A backup's exported record (Cinder's Backup.encode_record / decode_record): the backup's
 * fields and the driver's info as JSON, base64-encoded. The API writes it on export and checks
 * it on import; cinder-backup reads it back into the imported backup's row.
 */
export type BackupRecord = Record<string, unknown>;

/** Why a backup_url cannot be read (Cinder's InvalidInput reasons). */
export class BackupRecordError extends Error {
  override readonly name = 'BackupRecordError';
}

export function encodeBackupRecord(record: BackupRecord): string {
  return Buffer.from(JSON.stringify(record), 'utf8').toString('base64');
}

/**
 * As Python's base64.b64decode (characters outside the alphabet are dropped, the padding must
 * be right), then UTF-8 and JSON: anything else is "Can't parse backup record.".
 */
export function decodeBackupRecord(url: string): BackupRecord {
  const cleaned = url.replace(/[^A-Za-z0-9+/=]/g, '');
  const unparsable = new BackupRecordError("Can't parse backup record.");
  if (cleaned.length % 4 !== 0 || /=[^=]/.test(cleaned) || /={3,}$/.test(cleaned)) {
    throw unparsable;
  }
  let parsed: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(cleaned, 'base64'));
    parsed = JSON.parse(text);
  } catch {
    throw unparsable;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw unparsable;
  return parsed as BackupRecord;
}
