import { Cluster } from '../support/cluster';
import { GlanceClient } from '../support/glance-client';

const PROJECT = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

describe('glance-api: discovery, create and show', () => {
  const cluster = new Cluster([]);
  let glance: GlanceClient;

  beforeAll(async () => {
    await cluster.startGlanceApi();
    glance = new GlanceClient(cluster.glanceUrl, PROJECT);
  });
  afterAll(() => cluster.stop());

  it('lists its versions: 300 at the root, 200 at /versions, v2.17 current', async () => {
    const root = await glance.get('/');
    expect(root.status).toBe(300);
    const versions = await glance.get('/versions');
    expect(versions.status).toBe(200);
    expect(versions.body.versions).toEqual(root.body.versions);
    const current = (versions.body.versions as Array<{ id: string; status: string }>).filter(
      (v) => v.status === 'CURRENT',
    );
    expect(current.map((v) => v.id)).toEqual(['v2.17']);
  });

  it('creates a queued image owned by the caller and shows it', async () => {
    const created = await glance.post('/v2/images', {
      name: 'cirros',
      disk_format: 'raw',
      container_format: 'bare',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'cirros',
      status: 'queued',
      owner: PROJECT,
      visibility: 'shared',
      size: null,
      checksum: null,
      tags: [],
      schema: '/v2/schemas/image',
    });
    expect(created.headers.get('location')).toBe(
      `${cluster.glanceUrl}/v2/images/${created.body.id}`,
    );
    const shown = await glance.get(`/v2/images/${created.body.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual(created.body);
    expect(shown.headers.get('x-openstack-request-id')).toMatch(/^req-/);
  });

  it('answers an unknown image 404 as webob does, and no token 401', async () => {
    const missing = await glance.get('/v2/images/00000000-0000-0000-0000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('text/html');
    expect(missing.text).toContain('No image found with ID 00000000-0000-0000-0000-000000000000');
    const json = await glance.get('/v2/images/nope', { Accept: 'application/json' });
    expect(json.body).toEqual({
      message: 'No image found with ID nope',
      code: '404 Not Found',
      title: 'Not Found',
    });
    const anonymous = await fetch(`${cluster.glanceUrl}/v2/images/nope`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Keystone uri=/);
  });

  it("answers a method a path does not take 405 with Allow, as Glance's router does", async () => {
    const id = '00000000-0000-0000-0000-000000000000';
    for (const [method, path, allowed] of [
      ['DELETE', '/v2/images', 'GET, POST'],
      ['PUT', `/v2/images/${id}`, 'GET, PATCH, DELETE'],
      ['GET', `/v2/images/${id}/actions/deactivate`, 'POST'],
      ['GET', `/v2/images/${id}/tags/blue`, 'PUT, DELETE'],
      ['POST', `/v2/images/${id}/file`, 'GET, PUT'],
      ['POST', '/v2/schemas/image', 'GET'],
      ['PUT', '/v2/info/stores', 'GET'],
    ]) {
      const res = await glance.request(method, path, undefined, { Accept: 'application/json' });
      expect([method, path, res.status, res.headers.get('allow'), res.body]).toEqual([
        method,
        path,
        405,
        allowed,
        {
          message: `The method ${method} is not allowed for this resource.`,
          code: '405 Method Not Allowed',
          title: 'Method Not Allowed',
        },
      ]);
    }
    expect((await glance.get('/v2/bogus')).status).toBe(404);
  });
});
