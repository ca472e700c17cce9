import { randomUUID } from 'node:crypto';
import { ApiClient, PROJECT_A } from '../support/api-client';
import { Cluster } from '../support/cluster';

/** Small, so that a list without `limit` is already more than one page. */
const MAX_LIMIT = 3;

interface Page {
  ids: string[];
  /** The query of the `next` link, when there is one. */
  next?: string;
}

/**
 * Follows a list from its first page to its last: by the `<key>_links` next link where the
 * list has one, else (attachments) by the last id as marker while pages are full. Returns the
 * ids in the order they came and how many pages it took; the callers compare them with the
 * database's own order, so that a lost or repeated item fails.
 */
async function pageThrough(
  client: ApiClient,
  path: string,
  key: string,
  limit: number,
  followLinks = true,
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let url: string | undefined = path;
  let pages = 0;
  while (url !== undefined && pages < 50) {
    const res = await client.get(url);
    expect(res.status).toBe(200);
    const page = pageOf(res.body, key);
    expect(page.ids.length).toBeLessThanOrEqual(Math.min(limit, MAX_LIMIT));
    ids.push(...page.ids);
    pages++;
    if (followLinks) {
      url = page.next !== undefined ? `${path.split('?')[0]}?${page.next}` : undefined;
    } else {
      const sep = path.includes('?') ? '&' : '?';
      url =
        page.ids.length === Math.min(limit, MAX_LIMIT)
          ? `${path}${sep}marker=${page.ids[page.ids.length - 1]}`
          : undefined;
    }
  }
  return { ids, pages };
}

function pageOf(body: Record<string, unknown>, key: string): Page {
  const items = body[key] as { id: string }[];
  const links = body[`${key}_links`] as { href: string; rel: string }[] | undefined;
  if (links === undefined) return { ids: items.map((i) => i.id) };
  expect(links).toEqual([{ href: expect.any(String), rel: 'next' }]);
  return { ids: items.map((i) => i.id), next: new URL(links[0].href).search.slice(1) };
}

describe('backups, attachments and messages lists: bounded and paged like volumes', () => {
  const cluster = new Cluster(
    [{ name: 'disk', capacityGb: 20 }],
    {},
    {
      apiEnv: { OSAPI_MAX_LIMIT: String(MAX_LIMIT) },
    },
  );
  let api: ApiClient;
  const volumes: string[] = [];

  async function availableVolume(name: string): Promise<string> {
    const res = await api.post('volumes', { volume: { size: 1, name } });
    expect(res.status).toBe(202);
    const id = res.body.volume.id as string;
    await api.waitForVolume(id, (v) => v?.status === 'available');
    return id;
  }

  /** The ids the database holds for a query, in its order: the truth the pages must match. */
  const idsIn = async (sql: string, params: unknown[] = []) =>
    (await cluster.sql<{ id: string }>(sql, params)).map((r) => r.id);

  beforeAll(async () => {
    await cluster.start();
    api = new ApiClient(cluster.apiUrl, PROJECT_A);
    volumes.push(
      ...(await Promise.all(['v-0', 'v-1', 'v-2', 'v-3', 'v-4'].map((n) => availableVolume(n)))),
    );
  });
  afterAll(() => cluster.stop());

  describe('backups', () => {
    let all: string[];

    beforeAll(async () => {
      // Two share a name, so that sorting by it needs the id to break the tie.
      const names = ['b-c', 'twin', 'b-a', 'twin', 'b-b'];
      for (const [i, volume] of volumes.entries()) {
        const res = await api.post('backups', { backup: { volume_id: volume, name: names[i] } });
        expect(res.status).toBe(202);
      }
      await cluster.waitFor(
        async () =>
          (await cluster.sql("SELECT id FROM backups WHERE status <> 'available'")).length === 0,
        60_000,
        () => 'the backups never finished',
      );
      all = await idsIn('SELECT id FROM backups ORDER BY created_at DESC, id DESC');
      expect(all).toHaveLength(5);
    });

    it('pages newest first by default, following backups_links, each backup once', async () => {
      const { ids, pages } = await pageThrough(api, 'backups?limit=2', 'backups', 2);
      expect(ids).toEqual(all);
      expect(pages).toBe(3);
    });

    it('caps a page at OSAPI_MAX_LIMIT, with or without limit, and links on to the rest', async () => {
      for (const path of ['backups/detail', 'backups/detail?limit=100']) {
        const first = await api.get(path);
        expect(first.body.backups).toHaveLength(MAX_LIMIT);
        const next = new URL(first.body.backups_links[0].href as string);
        // The detail list's link stays on the detail list.
        expect(next.pathname).toBe(`/v3/${PROJECT_A}/backups/detail`);
        expect(next.searchParams.get('limit')).toBe(String(MAX_LIMIT));
        expect(next.searchParams.get('marker')).toBe(all[MAX_LIMIT - 1]);
      }
      const { ids } = await pageThrough(api, 'backups/detail', 'backups', MAX_LIMIT);
      expect(ids).toEqual(all);
    });

    it.each([
      ['sort=name:asc', 'ORDER BY display_name ASC, id ASC', '3.37'],
      ['sort=display_name:desc,size:asc', 'ORDER BY display_name DESC, size ASC, id ASC', '3.0'],
      ['sort_key=volume_id&sort_dir=asc', 'ORDER BY volume_id ASC, id ASC', '3.0'],
      // Set by transitions in microseconds: the marker must keep them to neither repeat nor skip.
      ['sort=updated_at:asc', 'ORDER BY COALESCE(updated_at, created_at) ASC, id ASC', '3.0'],
      ['sort=updated_at', 'ORDER BY COALESCE(updated_at, created_at) DESC, id DESC', '3.0'],
    ])('%s, page by page, is the order of %s', async (sort, order, version) => {
      const expected = await idsIn(`SELECT id FROM backups ${order}`);
      for (const limit of [1, 2]) {
        const { ids } = await pageThrough(
          api.withVersion(version),
          `backups?${sort}&limit=${limit}`,
          'backups',
          limit,
        );
        expect(ids).toEqual(expected);
      }
    });

    it('filters and counts (3.45) across pages', async () => {
      const twins = await idsIn(
        "SELECT id FROM backups WHERE display_name = 'twin' ORDER BY created_at DESC, id DESC",
      );
      const first = await api.withVersion('3.45').get('backups?name=twin&limit=1&with_count=1');
      expect(first.body.count).toBe(2);
      const { ids } = await pageThrough(api, 'backups?name=twin&limit=1', 'backups', 1);
      expect(ids).toEqual(twins);
    });

    it('refuses an unknown marker, sort key or direction, and a bad limit, as Cinder', async () => {
      const marker = randomUUID();
      expect((await api.get(`backups?marker=${marker}`)).body).toEqual({
        itemNotFound: { code: 404, message: `Backup ${marker} could not be found.` },
      });
      expect((await api.get('backups?sort=colour')).body).toEqual({
        badRequest: { code: 400, message: 'Invalid input received: Invalid sort key' },
      });
      // `name` is a backup sort key from 3.37 only.
      expect((await api.withVersion('3.36').get('backups?sort=name')).status).toBe(400);
      expect((await api.get('backups?sort=size:sideways')).status).toBe(400);
      expect((await api.get('backups?limit=-1')).body).toEqual({
        badRequest: { code: 400, message: 'limit param must be positive' },
      });
      expect((await api.withVersion('3.31').get('backups?colour=red')).status).toBe(400);
    });

    it('keeps its place while backups are added: none of the listed ones lost or repeated', async () => {
      const seen: string[] = [];
      const first = await api.get('backups?limit=2');
      seen.push(...pageOf(first.body, 'backups').ids);
      // A new backup sorts first (newest) and so before every page still to come.
      const added = await api.post('backups', { backup: { volume_id: volumes[0], name: 'late' } });
      expect(added.status).toBe(202);
      const rest = await pageThrough(
        api,
        `backups?${pageOf(first.body, 'backups').next as string}`,
        'backups',
        2,
      );
      seen.push(...rest.ids);
      expect(seen).toEqual(all);
      await cluster.waitFor(
        async () =>
          (await cluster.sql("SELECT id FROM backups WHERE status <> 'available'")).length === 0,
        60_000,
        () => 'the late backup never finished',
      );
    });
  });

  describe('attachments (3.27)', () => {
    const v = '3.27';
    let all: string[];

    beforeAll(async () => {
      // One reservation on each volume, and a connected one on a volume of its own.
      for (const volume of volumes) {
        const res = await api.withVersion(v).post('attachments', {
          attachment: { volume_uuid: volume, instance_uuid: randomUUID() },
        });
        expect(res.status).toBe(200);
      }
      const connected = await api.withVersion(v).post('attachments', {
        attachment: {
          volume_uuid: await availableVolume('v-5'),
          instance_uuid: randomUUID(),
          connector: { host: 'compute-1', mountpoint: '/dev/vdb' },
        },
      });
      expect(connected.body.attachment.status).toBe('attaching');
      all = await idsIn(
        'SELECT id FROM volume_attachment WHERE NOT deleted ORDER BY created_at DESC, id DESC',
      );
      expect(all).toHaveLength(6);
    });

    it('pages newest first with limit and marker, each attachment once; no links, as Cinder', async () => {
      for (const limit of [1, 2, 4]) {
        const { ids } = await pageThrough(
          api.withVersion(v),
          `attachments?limit=${limit}`,
          'attachments',
          limit,
          false,
        );
        expect(ids).toEqual(all);
      }
      const first = await api.withVersion(v).get('attachments/detail');
      expect(first.body.attachments).toHaveLength(MAX_LIMIT);
      expect(first.body.attachments_links).toBeUndefined();
    });

    it.each([
      ['sort=attach_status:asc', 'ORDER BY attach_status ASC, id ASC'],
      ['sort=volume_id:desc', 'ORDER BY volume_id DESC, id DESC'],
      ['sort_key=updated_at&sort_dir=asc', 'ORDER BY COALESCE(updated_at, created_at) ASC, id ASC'],
    ])('%s, page by page, is the order of %s', async (sort, order) => {
      const expected = await idsIn(`SELECT id FROM volume_attachment WHERE NOT deleted ${order}`);
      const { ids } = await pageThrough(
        api.withVersion(v),
        `attachments/detail?${sort}&limit=2`,
        'attachments',
        2,
        false,
      );
      expect(ids).toEqual(expected);
    });

    it('filters across pages', async () => {
      const reserved = await idsIn(
        "SELECT id FROM volume_attachment WHERE attach_status = 'reserved' ORDER BY created_at DESC, id DESC",
      );
      expect(reserved).toHaveLength(5);
      const { ids } = await pageThrough(
        api.withVersion(v),
        'attachments?status=reserved&limit=2',
        'attachments',
        2,
        false,
      );
      expect(ids).toEqual(reserved);
    });

    it('refuses an unknown marker or sort key, as Cinder', async () => {
      const marker = randomUUID();
      expect((await api.withVersion(v).get(`attachments?marker=${marker}`)).body).toEqual({
        itemNotFound: {
          code: 404,
          message: `Volume attachment could not be found with filter: attachment_id = ${marker}.`,
        },
      });
      expect((await api.withVersion(v).get('attachments?sort=colour:asc')).status).toBe(400);
    });
  });

  describe('messages (3.3, paged from 3.5)', () => {
    let all: string[];

    beforeAll(async () => {
      // No backend has room for these: each ends in error with a user message.
      for (let i = 0; i < 5; i++) {
        const res = await api.post('volumes', { volume: { size: 50, name: `too-big-${i}` } });
        await api.waitForVolume(res.body.volume.id as string, (x) => x?.status === 'error');
      }
      all = await idsIn('SELECT id FROM messages ORDER BY created_at DESC, id DESC');
      expect(all).toHaveLength(5);
    });

    it('pages newest first from 3.5, following messages_links, each message once', async () => {
      for (const limit of [1, 2, MAX_LIMIT]) {
        const { ids } = await pageThrough(
          api.withVersion('3.5'),
          `messages?limit=${limit}`,
          'messages',
          limit,
        );
        expect(ids).toEqual(all);
      }
      const { ids, pages } = await pageThrough(api.withVersion('3.5'), 'messages', 'messages', 99);
      expect(ids).toEqual(all);
      expect(pages).toBe(2);
    });

    it('before 3.5 reads no paging parameter and lists them all, as Cinder', async () => {
      const res = await api.withVersion('3.3').get('messages?limit=1');
      expect(res.body.messages.map((m: { id: string }) => m.id)).toEqual(all);
      expect(res.body.messages_links).toBeUndefined();
    });

    it.each([
      ['sort=event_id:asc,created_at:asc', 'ORDER BY event_id ASC, created_at ASC, id ASC'],
      ['sort_key=expires_at&sort_dir=asc', 'ORDER BY expires_at ASC, id ASC'],
    ])('%s, page by page, is the order of %s', async (sort, order) => {
      const expected = await idsIn(`SELECT id FROM messages ${order}`);
      const { ids } = await pageThrough(
        api.withVersion('3.5'),
        `messages?${sort}&limit=2`,
        'messages',
        2,
      );
      expect(ids).toEqual(expected);
    });

    it('filters across pages', async () => {
      const { ids } = await pageThrough(
        api.withVersion('3.5'),
        'messages?resource_type=VOLUME&limit=2',
        'messages',
        2,
      );
      expect(ids).toEqual(all);
      const [{ resource_uuid: one }] = await cluster.sql<{ resource_uuid: string }>(
        'SELECT resource_uuid FROM messages LIMIT 1',
      );
      const single = await api.withVersion('3.5').get(`messages?resource_uuid=${one}&limit=1`);
      expect(single.body.messages).toEqual([expect.objectContaining({ resource_uuid: one })]);
      expect(single.body.messages_links).toBeDefined(); // a full page, as Cinder links it
      const none = await api.withVersion('3.5').get('messages?resource_type=BACKUP');
      expect(none.body).toEqual({ messages: [] });
    });

    it('refuses an unknown marker or sort key, as Cinder', async () => {
      const marker = randomUUID();
      expect((await api.withVersion('3.5').get(`messages?marker=${marker}`)).body).toEqual({
        itemNotFound: { code: 404, message: `Message ${marker} could not be found.` },
      });
      expect((await api.withVersion('3.5').get('messages?sort=colour')).status).toBe(400);
    });
  });
});
