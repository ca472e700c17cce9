import type { Request } from 'express';
import { CinderHttpError } from './cinder-errors';
import { contextFromHeaders } from './request-pipeline';

const withToken = (token?: string) =>
  ({ header: (name: string) => (name === 'x-auth-token' ? token : undefined) }) as Request;

describe('contextFromHeaders (noauth)', () => {
  it('reads user and project from the token; the project defaults to the user', () => {
    expect(contextFromHeaders(withToken('alice:p1'), 'req-1')).toMatchObject({
      userId: 'alice',
      projectId: 'p1',
    });
    expect(contextFromHeaders(withToken('alice'), 'req-1')).toMatchObject({ projectId: 'alice' });
    expect(contextFromHeaders(withToken(undefined), 'req-1')).toBeUndefined();
  });

  it('refuses ids longer than the database holds with 401 instead of failing an insert', () => {
    for (const token of [`${'u'.repeat(256)}:p`, `u:${'p'.repeat(256)}`]) {
      expect(() => contextFromHeaders(withToken(token), 'req-1')).toThrow(
        expect.objectContaining({
          status: 401,
          message: 'The request you have made requires authentication.',
        }) as CinderHttpError,
      );
    }
    expect(contextFromHeaders(withToken(`${'u'.repeat(255)}:p`), 'req-1')).toBeDefined();
  });
});
