import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { ApiRequest } from './api-request';
import { checkProject } from './project-routes';

/** Applies Cinder's URL project rules to every `/v3/...` resource route. */
@Injectable()
export class ProjectGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<ApiRequest>();
    if (req.cinder) {
      checkProject(req);
    }
    return true;
  }
}
