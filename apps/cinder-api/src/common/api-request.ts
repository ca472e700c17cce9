import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { RequestContext } from '@cinderflow/request-context';
import { notFound } from './cinder-errors';
import type { ApiVersion } from './microversion';

/** What the request pipeline attaches to every `/v3` request. */
export interface ApiRequest extends Request {
  cinder: { context: RequestContext; version: ApiVersion };
}

function cinderOf(ctx: ExecutionContext): ApiRequest['cinder'] {
  const cinder = ctx.switchToHttp().getRequest<Partial<ApiRequest>>().cinder;
  // A route the request pipeline did not see as `/v3/...`: none of the API's.
  if (!cinder) throw notFound('The resource could not be found.');
  return cinder;
}

/** The caller: `@Caller() caller: RequestContext`. */
export const Caller = createParamDecorator(
  (_: unknown, ctx: ExecutionContext) => cinderOf(ctx).context,
);

/** The negotiated microversion: `@Version() version: ApiVersion`. */
export const Version = createParamDecorator(
  (_: unknown, ctx: ExecutionContext) => cinderOf(ctx).version,
);
