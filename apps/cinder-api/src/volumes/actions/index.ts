import type { ActionContext, ActionResult } from './action-context';
import { extend } from './extend';

export type { ActionContext, ActionResult } from './action-context';

/** The volume actions that live in their own modules, by action name. */
export const VOLUME_ACTIONS: Record<
  string,
  (ctx: ActionContext, args: unknown) => Promise<ActionResult>
> = {
  'os-extend': extend,
};
