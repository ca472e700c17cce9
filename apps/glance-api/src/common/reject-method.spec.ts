import { rejectedMethod } from './reject-method';

// glance/api/v2/router.py: the allowed_methods of each path's RejectMethodController.
describe("rejectedMethod (Glance's RejectMethodController)", () => {
  const ID = '4c1ea3e6-b8e3-4d3d-8f8b-0f2a6c9c1a11';
  it.each([
    ['DELETE', '/v2/images', 'GET, POST'],
    ['PUT', `/v2/images/${ID}`, 'GET, PATCH, DELETE'],
    ['GET', `/v2/images/${ID}/actions/deactivate`, 'POST'],
    ['POST', `/v2/images/${ID}/file`, 'GET, PUT'],
    ['GET', `/v2/images/${ID}/tags/blue`, 'PUT, DELETE'],
    ['PUT', `/v2/images/${ID}/members`, 'GET, POST'],
    ['POST', `/v2/images/${ID}/members/p2`, 'GET, PUT, DELETE'],
    ['DELETE', '/v2/tasks', 'GET, POST'],
    ['PUT', `/v2/tasks/${ID}`, 'GET, DELETE'],
    ['POST', '/v2/schemas/image', 'GET'],
    ['DELETE', '/v2/schemas/members', 'GET'],
    ['POST', '/v2/info/stores/detail', 'GET'],
    ['PATCH', '/v2/images/', 'GET, POST'],
  ])('%s %s → 405, Allow: %s', (method, path, allowed) => {
    const error = rejectedMethod(method, path);
    expect(error).toMatchObject({
      status: 405,
      message: `The method ${method} is not allowed for this resource.`,
      headers: { Allow: allowed },
    });
  });

  it('leaves paths that are none of its routes to the 404', () => {
    expect(rejectedMethod('GET', '/v2/bogus')).toBeUndefined();
    expect(rejectedMethod('POST', `/v2/images/${ID}/stage`)).toBeUndefined();
    expect(rejectedMethod('GET', `/v2/images/${ID}/tags`)).toBeUndefined();
  });
});
