import { badRequest } from '../common/glance-errors';

/** Glance's REGEX_4BYTE_UNICODE: characters outside the BMP, which its tables cannot hold. */
const FOUR_BYTE_UNICODE = /[\u{10000}-\u{10FFFF}]/u;

/** The member column's width. */
export const MEMBER_ID_MAX_LENGTH = 255;

function requestBody(body: unknown): unknown {
  if (body === undefined) throw badRequest('Body expected in request.');
  return body;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Falsy in Python: what `if not member_id` refuses. */
function isEmpty(value: unknown): boolean {
  if (value === null || value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return isObject(value) && Object.keys(value).length === 0;
}

/** `POST /members` {member}: Glance's RequestDeserializer.create, in its order. */
export function memberToAdd(body: unknown): string {
  const fields = requestBody(body);
  if (!isObject(fields)) throw badRequest('Expected a member in the form: {"member": "image_id"}');
  if (!('member' in fields)) throw badRequest('Member to be added not specified');
  const member = fields.member;
  if (isEmpty(member)) throw badRequest("Member can't be empty");
  // Glance would hand anything else to its database; only a project id can be a member here.
  if (typeof member !== 'string') {
    throw badRequest('Expected a member in the form: {"member": "image_id"}');
  }
  return member;
}

/**
 * Why Glance's database layer (no_4byte_params) or the member column would refuse this id, or
 * null. Checked where Glance checks it: after the quota.
 */
export function memberIdProblem(member: string): string | null {
  if (FOUR_BYTE_UNICODE.test(member)) return "Member can't contain 4 byte unicode characters.";
  if ([...member].length > MEMBER_ID_MAX_LENGTH) {
    return `Member can't be longer than ${MEMBER_ID_MAX_LENGTH} characters.`;
  }
  return null;
}

/** `PUT /members/{member_id}` {status}: RequestDeserializer.update; the value is checked later. */
export function statusToSet(body: unknown): unknown {
  const fields = requestBody(body);
  if (!isObject(fields)) throw badRequest('Expected a status in the form: {"status": "status"}');
  if (!('status' in fields)) throw badRequest('Status not specified');
  return fields.status;
}
