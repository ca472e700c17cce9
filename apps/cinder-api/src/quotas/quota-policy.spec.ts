import type { RequestContext } from '@cinderflow/request-context';
import { CinderHttpError } from '../common/cinder-errors';
import { authorizeAdmin } from './quota-policy';

const caller = (isAdmin: boolean) => ({ isAdmin, projectId: 'p' }) as RequestContext;

describe('authorizeAdmin', () => {
  it("refuses a non-admin with Cinder's policy message", () => {
    expect(() => authorizeAdmin(caller(false), 'volume_extension:quotas:update')).toThrow(
      new CinderHttpError(
        403,
        "Policy doesn't allow volume_extension:quotas:update to be performed.",
      ),
    );
    try {
      authorizeAdmin(caller(false), 'volume_extension:quota_classes:get');
    } catch (error) {
      expect((error as CinderHttpError).status).toBe(403);
      expect((error as CinderHttpError).message).toBe(
        "Policy doesn't allow volume_extension:quota_classes:get to be performed.",
      );
    }
  });

  it('lets an admin through', () => {
    expect(() => authorizeAdmin(caller(true), 'volume_extension:quotas:delete')).not.toThrow();
  });
});
