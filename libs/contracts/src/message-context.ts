import { z } from 'zod';
import type { RequestContext } from '@cinderflow/request-context';

/** What every message carries besides its payload: the request it serves and when it was sent. */
export const messageContextSchema = z.object({
  request_id: z.string().min(1),
  user_id: z.string(),
  project_id: z.string(),
  roles: z.array(z.string()),
  is_admin: z.boolean(),
  auth_token: z.string().optional(),
  sent_at: z.string(),
});

export type MessageContext = z.infer<typeof messageContextSchema>;

export const envelopeSchema = z.object({
  method: z.string().min(1),
  context: messageContextSchema,
  payload: z.unknown(),
});

export type Envelope = z.infer<typeof envelopeSchema>;

/** The answer to a call. */
export const replySchema = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: z.object({ type: z.string(), message: z.string() }) }),
]);

export type Reply = z.infer<typeof replySchema>;

export function toMessageContext(ctx: RequestContext, now = new Date()): MessageContext {
  return {
    request_id: ctx.requestId,
    user_id: ctx.userId,
    project_id: ctx.projectId,
    roles: [...ctx.roles],
    is_admin: ctx.isAdmin,
    ...(ctx.authToken === undefined ? {} : { auth_token: ctx.authToken }),
    sent_at: now.toISOString(),
  };
}

export function fromMessageContext(ctx: MessageContext): RequestContext {
  return {
    requestId: ctx.request_id,
    userId: ctx.user_id,
    projectId: ctx.project_id,
    roles: ctx.roles,
    isAdmin: ctx.is_admin,
    ...(ctx.auth_token === undefined ? {} : { authToken: ctx.auth_token }),
  };
}
