import type { RequestContext } from '@cinderflow/request-context';
import { forbidden } from '../common/cinder-errors';

/**
 * The quota rules that are admin-only in Cinder's default policy (RULE_ADMIN_API). Every admin
 * check of the quota and quota class APIs goes through here, so a policy engine can replace
 * this one function.
 */
export type AdminQuotaRule =
  | 'volume_extension:quotas:update'
  | 'volume_extension:quotas:delete'
  | 'volume_extension:quota_classes:get'
  | 'volume_extension:quota_classes:update';

export function authorizeAdmin(caller: RequestContext, rule: AdminQuotaRule): void {
  if (!caller.isAdmin) throw forbidden(`Policy doesn't allow ${rule} to be performed.`);
}
