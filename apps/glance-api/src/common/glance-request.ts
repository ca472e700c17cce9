import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { RequestContext } from '@cinderflow/request-context';
import { GlanceHttpError } from './glance-errors';

/** What the request pipeline attaches to every authenticated request. */
export interface GlanceRequest extends Request {
  glance: { context: RequestContext };
}

/** The caller: `@Caller() caller: RequestContext`. */
export const Caller = createParamDecorator((_: unknown, ctx: ExecutionContext) => {
  const glance = ctx.switchToHttp().getRequest<Partial<GlanceRequest>>().glance;
  if (!glance)
    throw new GlanceHttpError(
      401,
      'This server could not verify that you are authorized to access the document you requested.',
    );
  return glance.context;
});
