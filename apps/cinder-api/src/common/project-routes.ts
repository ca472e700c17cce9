import { CinderHttpError, notFound } from './cinder-errors';
import type { ApiRequest } from './api-request';

/**
 * Both route shapes of a resource: `/v3/{project_id}/<name>` and `/v3/<name>`. Cinder's router
 * registers both at every microversion; 3.67 only made the short form official.
 */
export function projectRoutes(name: string): string[] {
  return [`v3/:project_id/${name}`, `v3/${name}`];
}

const PROJECT_ID = /^[0-9a-f-]+$/;

/** Cinder's routing rules for the project in the URL: hex ids only, the caller's own project. */
export function checkProject(req: ApiRequest): void {
  const projectId = (req.params as Record<string, string | undefined>).project_id;
  if (projectId === undefined) {
    return;
  }
  if (!PROJECT_ID.test(projectId)) {
    throw notFound('The resource could not be found.');
  }
  if (projectId !== req.cinder.context.projectId) {
    throw new CinderHttpError(400, 'Malformed request url');
  }
}
