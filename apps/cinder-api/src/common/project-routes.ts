import { CinderHttpError, notFound } from './cinder-errors';
import type { ApiRequest } from './api-request';

/**
 * Both route shapes of a resource: `/v3/{project_id}/<name>` and, from 3.67, `/v3/<name>`.
 */
export function projectRoutes(name: string): string[] {
  return [`v3/:project_id/${name}`, `v3/${name}`];
}

const PROJECT_ID = /^[0-9a-f-]+$/;

/**
 * Cinder's routing rules for the project in the URL: hex ids only, the caller's own project,
 * and leaving it out needs 3.67.
 */
export function checkProject(req: ApiRequest): void {
  const projectId = (req.params as Record<string, string | undefined>).project_id;
  if (projectId === undefined) {
    if (!req.cinder.version.atLeast('3.67')) {
      throw notFound('The resource could not be found.');
    }
    return;
  }
  if (!PROJECT_ID.test(projectId)) {
    throw notFound('The resource could not be found.');
  }
  if (projectId !== req.cinder.context.projectId) {
    throw new CinderHttpError(400, 'Malformed request url');
  }
}
