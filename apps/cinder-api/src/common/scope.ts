import type { Scope } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';

/**
 * Which projects' rows a caller sees: its own, or every project's for an admin who asks (lists
 * with `all_tenants`; lookups by id, where Cinder's admin context reads any project).
 */
export function scopeOf(caller: RequestContext, allProjects: boolean): Scope {
  return allProjects && caller.isAdmin ? {} : { projectId: caller.projectId };
}
