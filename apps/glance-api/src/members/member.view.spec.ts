import type { ImageMemberEntity } from '@cinderflow/persistence';
import { memberSchema, membersSchema } from './member.schemas';
import { membersView, memberView } from './member.view';

const member = {
  id: 7,
  image_id: 'a96be11e-8536-4910-92cb-de50aa19dfe6',
  member: '8989447062e04a818baf9e073fd04fa7',
  can_share: false,
  status: 'pending',
  created_at: new Date('2013-09-20T19:22:19.123456Z'),
  updated_at: new Date('2013-09-20T19:25:31Z'),
  deleted_at: null,
  deleted: false,
} as ImageMemberEntity;

describe('memberView (_format_image_member)', () => {
  it("shows the api-ref's fields, in Glance's order, times to the second", () => {
    const view = memberView(member);
    expect(view).toEqual({
      created_at: '2013-09-20T19:22:19Z',
      image_id: 'a96be11e-8536-4910-92cb-de50aa19dfe6',
      member_id: '8989447062e04a818baf9e073fd04fa7',
      schema: '/v2/schemas/member',
      status: 'pending',
      updated_at: '2013-09-20T19:25:31Z',
    });
    expect(Object.keys(view)).toEqual([
      'member_id',
      'image_id',
      'status',
      'created_at',
      'updated_at',
      'schema',
    ]);
  });

  it('lists members with the collection schema', () => {
    expect(membersView([member])).toEqual({
      members: [memberView(member)],
      schema: '/v2/schemas/members',
    });
  });
});

describe('member schemas', () => {
  it('are the minimal schemas of the api-ref samples', () => {
    const schema = memberSchema();
    expect(Object.keys(schema)).toEqual(['name', 'properties']);
    expect(Object.keys(schema.properties as object).sort()).toEqual([
      'created_at',
      'image_id',
      'member_id',
      'schema',
      'status',
      'updated_at',
    ]);
    expect((schema.properties as Record<string, { enum?: string[] }>).status.enum).toEqual([
      'pending',
      'accepted',
      'rejected',
    ]);
    expect(membersSchema()).toEqual({
      name: 'members',
      properties: {
        members: { type: 'array', items: schema },
        schema: { type: 'string' },
      },
      links: [{ rel: 'describedby', href: '{schema}' }],
    });
  });
});
