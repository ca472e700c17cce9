import {
  ImageGoneDuringUploadError,
  ImageTooLargeError,
  ImportRedirectError,
  ImportSourceError,
  LimitExceededError,
  StorageQuotaFullError,
} from '@cinderflow/image-store';
import { failureMessage } from './import-task.runner';
import { INTERNAL_ERROR, TaskFailure } from './task-input';

describe('failureMessage: what a failed task says, and what is retried instead', () => {
  it.each<[string, unknown, string | undefined]>([
    ['a task failure', new TaskFailure('x'), 'x'],
    [
      'a source error',
      new ImportSourceError('HTTP Error 404: Not Found'),
      'Uploading the image failed due to: HTTP Error 404: Not Found',
    ],
    [
      'a refused redirect',
      new ImportRedirectError('ftp://x/'),
      'Redirect to disallowed URL: ftp://x/',
    ],
    ['the size cap', new ImageTooLargeError(10), 'The provided image is too large.'],
    [
      'an image deleted under the upload',
      new ImageGoneDuringUploadError('i'),
      'Image i could not be found after upload. The image may have been deleted during the upload, cleaning up the chunks uploaded.',
    ],
    [
      'the storage quota',
      new StorageQuotaFullError(null, 5),
      'The size of the data None will exceed the limit. 5 bytes remaining.',
    ],
    [
      "Keystone's image_size_total",
      new LimitExceededError('p', 'image_size_total', 1, 1, 2),
      new LimitExceededError('p', 'image_size_total', 1, 1, 2).message,
    ],
    ['a bug', new TypeError('x is undefined'), INTERNAL_ERROR],
    // The database or broker away: no message, the handler is run again.
    [
      'PostgreSQL going away',
      Object.assign(new Error('terminating'), { code: '57P01' }),
      undefined,
    ],
    ['a lost connection', Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }), undefined],
  ])('%s', (_what, error, message) => {
    expect(failureMessage(error)).toBe(message);
  });
});
