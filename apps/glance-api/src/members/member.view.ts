import type { ImageMemberEntity } from '@cinderflow/persistence';
import { isoTime } from '../images/image.view';

/** A member as Glance's v2 ResponseSerializer._format_image_member shows it, in its key order. */
export function memberView(member: ImageMemberEntity): Record<string, unknown> {
  return {
    member_id: member.member,
    image_id: member.image_id,
    status: member.status,
    created_at: isoTime(member.created_at),
    updated_at: isoTime(member.updated_at),
    schema: '/v2/schemas/member',
  };
}

/** The members list (ResponseSerializer.index). */
export function membersView(members: ImageMemberEntity[]): Record<string, unknown> {
  return { members: members.map(memberView), schema: '/v2/schemas/members' };
}
