import type { ImageEntity } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { forbidden } from '../common/glance-errors';

/**
 * Glance's default policies for image data and locations (glance/policies/image.py, new
 * defaults), for a caller who can already see the image: Glance answers 404 otherwise.
 */
export const dataPolicy = {
  /** upload_image and set_image_location: admin, or a member of the owning project. */
  ownerMember(caller: RequestContext, image: ImageEntity): boolean {
    return caller.isAdmin || (caller.roles.includes('member') && caller.projectId === image.owner);
  },
  /** download_image: admin, or a member of a project that can see the image. */
  member(caller: RequestContext): boolean {
    return caller.isAdmin || caller.roles.includes('member');
  },
  /** delete_image_location and stores_info_detail: admin only. */
  admin(caller: RequestContext): boolean {
    return caller.isAdmin;
  },
};

/** oslo.policy's refusal as Glance words it (exception.Forbidden with the rule's name). */
export function policyForbidden(action: string) {
  return forbidden(`You are not authorized to complete ${action} action.`);
}
