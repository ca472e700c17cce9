import { defineMachine } from './machine';

/** Glance image member statuses (glance/domain ImageMembership). */
export const IMAGE_MEMBER_STATUSES = ['pending', 'accepted', 'rejected'] as const;

export type ImageMemberStatus = (typeof IMAGE_MEMBER_STATUSES)[number];

const ANY: readonly ImageMemberStatus[] = IMAGE_MEMBER_STATUSES;

/**
 * A project an image is shared with starts `pending`; only that project (or an admin) sets its
 * status afterwards, to any of the three, as often as it likes: Glance's ImageMembership
 * validates the value and nothing else. The status only decides whether the image appears in
 * the member's default image list (`accepted`); a member sees the image in any status.
 */
export const imageMemberMachine = defineMachine({
  name: 'image member',
  statuses: IMAGE_MEMBER_STATUSES,
  initial: 'pending',
  events: {
    accept: { from: ANY, to: 'accepted', label: 'member accepts' },
    reject: { from: ANY, to: 'rejected', label: 'member rejects' },
    reset: { from: ANY, to: 'pending', label: 'member resets to pending' },
  },
});

export type ImageMemberEvent = (typeof imageMemberMachine.eventNames)[number];

const EVENT_FOR: Record<ImageMemberStatus, ImageMemberEvent> = {
  accepted: 'accept',
  rejected: 'reject',
  pending: 'reset',
};

/** The event a member's `PUT {status}` applies; the status must be one of the three. */
export function imageMemberEventFor(status: ImageMemberStatus): ImageMemberEvent {
  return EVENT_FOR[status];
}

export function isImageMemberStatus(value: unknown): value is ImageMemberStatus {
  return typeof value === 'string' && (IMAGE_MEMBER_STATUSES as readonly string[]).includes(value);
}
