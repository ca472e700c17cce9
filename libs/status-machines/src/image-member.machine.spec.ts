import {
  IMAGE_MEMBER_STATUSES,
  imageMemberEventFor,
  imageMemberMachine,
  isImageMemberStatus,
} from './image-member.machine';

describe('image member machine', () => {
  it('starts pending, as Glance ImageMemberFactory.new_image_member does', () => {
    expect(imageMemberMachine.initial).toBe('pending');
  });

  it("a member's PUT {status} leads from any status to exactly that status", () => {
    for (const from of IMAGE_MEMBER_STATUSES) {
      for (const to of IMAGE_MEMBER_STATUSES) {
        expect(imageMemberMachine.next(from, imageMemberEventFor(to))).toBe(to);
      }
    }
  });

  it('knows only the three statuses Glance accepts', () => {
    expect(IMAGE_MEMBER_STATUSES.every(isImageMemberStatus)).toBe(true);
    for (const value of ['Accepted', 'invalid-status', '', null, 1, undefined]) {
      expect(isImageMemberStatus(value)).toBe(false);
    }
  });
});
