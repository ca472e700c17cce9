import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { RequestContext } from '@cinderflow/request-context';
import type { ApiVersion } from './microversion';

/** What the request pipeline attaches to every `/v3` request. */
export interface ApiRequest extends Request {
  cinder: { context: RequestContext; version: ApiVersion };
}

function cinderOf(ctx: ExecutionContext): ApiRequest['cinder'] {
  return ctx.switchToHttp().getRequest<ApiRequest>().cinder;
}

/** The caller: `@Caller() caller: RequestContext`. */
export const Caller = createParamDecorator(
  (_: unknown, ctx: ExecutionContext) => cinderOf(ctx).context,
);

/** The negotiated microversion: `@Version() version: ApiVersion`. */
export const Version = createParamDecorator(
  (_: unknown, ctx: ExecutionContext) => cinderOf(ctx).version,
);
