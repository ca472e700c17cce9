/**
 * Glance's default policies, rule for rule, for the APIs glance-api serves: glance/policies/
 * base.py, image.py, tasks.py and discovery.py (openstack/glance c76abb08e), the check strings
 * composed as base.py composes them. The current defaults, not the deprecated ones (oslo.policy
 * enforces only the new defaults since 4.5).
 *
 * The targets are Glance's: an image's ImageTarget, where `project_id` is the image's owner,
 * `member_id` the caller's project when it found a shared image as its member (else None), and
 * `visibility` the image's; a proposed image's {project_id, owner, visibility}; `{}` for tasks.
 */
const ADMIN = 'rule:context_is_admin';
const DEFAULT = 'rule:default';
const SERVICE = 'rule:service_api';
const PROJECT_MEMBER = 'role:member and project_id:%(project_id)s';
const PROJECT_READER = 'role:reader and project_id:%(project_id)s';
const IMAGE_MEMBER_CHECK = 'project_id:%(member_id)s';
const COMMUNITY_VISIBILITY_CHECK = "'community':%(visibility)s";
const PUBLIC_VISIBILITY_CHECK = "'public':%(visibility)s";
const SHARED_VISIBILITY_CHECK = "'shared':%(visibility)s";
const PROJECT_MEMBER_OR_IMAGE_MEMBER_OR_COMMUNITY_OR_PUBLIC_OR_SHARED =
  `role:member and (project_id:%(project_id)s or ${IMAGE_MEMBER_CHECK} ` +
  `or ${COMMUNITY_VISIBILITY_CHECK} or ${PUBLIC_VISIBILITY_CHECK} ` +
  `or ${SHARED_VISIBILITY_CHECK})`;
const PROJECT_READER_OR_IMAGE_MEMBER_OR_COMMUNITY_OR_PUBLIC_OR_SHARED =
  `role:reader and (project_id:%(project_id)s or ${IMAGE_MEMBER_CHECK} ` +
  `or ${COMMUNITY_VISIBILITY_CHECK} or ${PUBLIC_VISIBILITY_CHECK} ` +
  `or ${SHARED_VISIBILITY_CHECK})`;
const ADMIN_OR_PROJECT_MEMBER = `${ADMIN} or (${PROJECT_MEMBER})`;
const ADMIN_OR_PROJECT_READER = `${ADMIN} or (${PROJECT_READER})`;
const ADMIN_OR_PROJECT_READER_GET_IMAGE = `${ADMIN} or (${PROJECT_READER_OR_IMAGE_MEMBER_OR_COMMUNITY_OR_PUBLIC_OR_SHARED})`;
const ADMIN_OR_PROJECT_MEMBER_DOWNLOAD_IMAGE = `${ADMIN} or (${PROJECT_MEMBER_OR_IMAGE_MEMBER_OR_COMMUNITY_OR_PUBLIC_OR_SHARED})`;
const ADMIN_OR_PROJECT_MEMBER_CREATE_IMAGE = `${ADMIN} or (${PROJECT_MEMBER} and project_id:%(owner)s)`;
const ADMIN_OR_SHARED_MEMBER = `${ADMIN} or (role:member and ${IMAGE_MEMBER_CHECK})`;
// Upstream has no parentheses around the reader part: `and` binds tighter, so it reads the same.
const ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER = `${ADMIN} or role:reader and (project_id:%(project_id)s or ${IMAGE_MEMBER_CHECK})`;
const SERVICE_OR_PROJECT_MEMBER = `${SERVICE} or (${PROJECT_MEMBER} and project_id:%(owner)s)`;
const ADMIN_OR_SERVICE_ROLE = `${ADMIN} or ${SERVICE}`;

export const GLANCE_DEFAULT_RULES: Readonly<Record<string, string>> = {
  // base.py
  default: '',
  context_is_admin: 'role:admin',
  service_api: 'role:service or role:admin',
  // image.py
  add_image: ADMIN_OR_PROJECT_MEMBER_CREATE_IMAGE,
  delete_image: ADMIN_OR_PROJECT_MEMBER,
  get_image: ADMIN_OR_PROJECT_READER_GET_IMAGE,
  get_images: ADMIN_OR_PROJECT_READER,
  modify_image: ADMIN_OR_PROJECT_MEMBER,
  publicize_image: ADMIN,
  communitize_image: ADMIN_OR_PROJECT_MEMBER,
  download_image: ADMIN_OR_PROJECT_MEMBER_DOWNLOAD_IMAGE,
  download_from_store: ADMIN_OR_PROJECT_MEMBER_DOWNLOAD_IMAGE,
  upload_image: ADMIN_OR_PROJECT_MEMBER,
  delete_image_location: ADMIN,
  get_image_location: ADMIN_OR_PROJECT_READER,
  set_image_location: ADMIN_OR_PROJECT_MEMBER,
  add_image_location: SERVICE_OR_PROJECT_MEMBER,
  fetch_image_location: SERVICE,
  add_member: ADMIN_OR_PROJECT_MEMBER,
  delete_member: ADMIN_OR_PROJECT_MEMBER,
  get_member: ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER,
  get_members: ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER,
  modify_member: ADMIN_OR_SHARED_MEMBER,
  manage_image_cache: ADMIN,
  deactivate: ADMIN_OR_PROJECT_MEMBER,
  reactivate: ADMIN_OR_PROJECT_MEMBER,
  copy_image: ADMIN,
  list_cached_nodes: ADMIN,
  // tasks.py: every task rule but tasks_api_access is `default`, which allows.
  get_task: DEFAULT,
  get_tasks: DEFAULT,
  add_task: DEFAULT,
  modify_task: DEFAULT,
  tasks_api_access: ADMIN,
  // discovery.py
  stores_info_detail: ADMIN_OR_SERVICE_ROLE,
};

/** What a Glance target can show of an image (ImageTarget reads any attribute it has). */
export interface GlanceImageFields {
  readonly owner: string | null;
  readonly visibility: string;
  readonly id?: string;
  readonly name?: string | null;
  readonly status?: string;
  readonly protected?: boolean;
  readonly os_hidden?: boolean;
  readonly disk_format?: string | null;
  readonly container_format?: string | null;
  readonly min_disk?: number;
  readonly min_ram?: number;
  readonly properties?: Readonly<Record<string, string | null>>;
}

/**
 * glance.api.policy.ImageTarget over an image as Glance's ImageRepo hands it out: the image's
 * attributes and extra properties, `project_id` for its owner, `image_id` for its id, and
 * `member_id` the caller's project when the image is shared and not the caller's (the repo
 * found it because the caller is a member), else None.
 */
export function glanceImageTarget(
  image: GlanceImageFields,
  callerProject: string,
): Readonly<Record<string, unknown>> {
  const member =
    image.visibility === 'shared' && image.owner !== callerProject ? callerProject : null;
  const attributes: Record<string, unknown> = {};
  for (const key of [
    'name',
    'status',
    'protected',
    'os_hidden',
    'disk_format',
    'container_format',
    'min_disk',
    'min_ram',
  ] as const) {
    if (image[key] !== undefined) attributes[key] = image[key];
  }
  return {
    ...image.properties,
    ...attributes,
    id: image.id ?? null,
    image_id: image.id ?? null,
    owner: image.owner,
    project_id: image.owner,
    visibility: image.visibility,
    member: member,
    member_id: member,
  };
}

/**
 * ImageAPIPolicy's target for an image not yet created (add_image): the proposed owner, by
 * default the caller's project, and visibility, by default private.
 */
export function glanceProposedImageTarget(
  proposed: { owner?: string | null; visibility?: string },
  callerProject: string,
): Readonly<Record<string, unknown>> {
  const owner = proposed.owner === undefined ? callerProject : proposed.owner;
  return { project_id: owner, owner, visibility: proposed.visibility ?? 'private' };
}
