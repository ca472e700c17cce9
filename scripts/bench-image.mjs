// Image data throughput against a running glance-api: upload (PUT /v2/images/{id}/file) and
// download (GET .../file) of a 1 GiB image of random bytes, in MB/s, beside a plain copy (cp)
// of the same bytes on this machine's disk, in the same run. The upload's store writes and
// fsyncs its file, so the plain copy is timed with an fsync of the copy too.
//
//   GLANCE_URL=http://127.0.0.1:9292 npm run bench:image -- [--size-mib 1024] [--store ID] [--dir DIR]
//
// With CINDER_URL (cinder-api, e.g. http://127.0.0.1:8776 or .../v3; the services running on
// this machine) it also times the volume flows: a volume created from the image (POST /volumes
// with imageRef until `available`: cinder-volume streams the image from glance-api, hashes it
// and writes it into the volume file; --volume-dir DIR, the backend's VOLUME_DATA_DIR, compares
// the volume's bytes with the image's), and upload-to-image of a 1 GiB volume
// (os-volume_upload_image until the volume is back and the image active) beside a plain copy
// of the volume's file.
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs, promisify } from 'node:util';

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    store: { type: 'string' },
    dir: { type: 'string' },
    'volume-dir': { type: 'string' },
  },
});
const MiB = 1024 * 1024;
const size = Number(values['size-mib']) * MiB;
const glanceUrl = (process.env.GLANCE_URL ?? 'http://127.0.0.1:9292').replace(/\/+$/, '');
// noauth: an admin of a project of its own.
const project = randomBytes(16).toString('hex');
const token = `bench:${project}`;

/** cinder-api's root, whether CINDER_URL names it or its `/v3`. */
function cinderBase(url) {
  return url.replace(/\/+$/, '').replace(/\/v3$/, '');
}

async function timed(fn) {
  const started = process.hrtime.bigint();
  const result = await fn();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, result };
}

/** The MD5 of a file, or of its first `length` bytes. */
async function md5Of(path, length) {
  const hash = createHash('md5');
  const range = length === undefined ? {} : { start: 0, end: length - 1 };
  for await (const chunk of createReadStream(path, { highWaterMark: 8 * MiB, ...range })) {
    hash.update(chunk);
  }
  return hash.digest('hex');
}

async function fsyncFile(path) {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** One request to glance-api; `body` a stream piped as the request body. */
function call(method, path, { headers = {}, body, sink } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(`${glanceUrl}${path}`, {
      method,
      headers: { 'X-Auth-Token': token, ...headers },
    });
    req.on('error', reject);
    req.on('response', async (res) => {
      try {
        if (sink && res.statusCode === 200) {
          await pipeline(res, sink);
          resolve({ status: res.statusCode, headers: res.headers, text: '' });
          return;
        }
        let text = '';
        res.setEncoding('utf8');
        for await (const chunk of res) text += chunk;
        resolve({ status: res.statusCode, headers: res.headers, text });
      } catch (error) {
        reject(error);
      }
    });
    if (body) body.pipe(req);
    else req.end();
  });
}

/**
 * Create from an image: POST /volumes {imageRef, size} on cinder-api, timed until the volume is
 * `available` (polled every 50 ms); the volume is deleted afterwards.
 */
async function benchCreateFromImage(imageId, sourceMd5) {
  const cinderUrl = `${cinderBase(process.env.CINDER_URL)}/v3/${project}`;
  const headers = { 'X-Auth-Token': token, 'Content-Type': 'application/json' };
  const show = async (id) =>
    (await (await fetch(`${cinderUrl}/volumes/${id}`, { headers })).json()).volume;
  let id;
  try {
    return await timed(async () => {
      const res = await fetch(`${cinderUrl}/volumes`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          volume: { size: Math.ceil(size / 1024 ** 3), imageRef: imageId, name: 'bench-image' },
        }),
      });
      if (res.status !== 202) throw new Error(`create: ${res.status} ${await res.text()}`);
      id = (await res.json()).volume.id;
      for (;;) {
        const volume = await show(id);
        if (volume.status === 'error') throw new Error(`volume ${id} ended in error`);
        if (volume.status === 'available') {
          const file = values['volume-dir'] ? join(values['volume-dir'], `volume-${id}`) : null;
          return {
            id,
            checksum: volume.volume_image_metadata?.checksum,
            bytes: file ? (await md5Of(file, size)) === sourceMd5 : undefined,
          };
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });
  } finally {
    if (id)
      await fetch(`${cinderUrl}/volumes/${id}`, { method: 'DELETE', headers }).catch(() => {});
  }
}

const work = await mkdtemp(join(values.dir ?? tmpdir(), 'cinderflow-bench-image-'));
const source = join(work, 'image.raw');
const copy = join(work, 'copy.raw');
const downloaded = join(work, 'downloaded.raw');
let imageId;
try {
  const versions = await fetch(`${glanceUrl}/versions`).catch(() => undefined);
  if (!versions?.ok) {
    throw new Error(`no glance-api answers at ${glanceUrl} (set GLANCE_URL, start it first)`);
  }
  // Random bytes: nothing on the way can make them smaller.
  const file = await open(source, 'w');
  for (let written = 0; written < size; written += 8 * MiB) {
    await file.write(randomBytes(Math.min(8 * MiB, size - written)));
  }
  await file.sync();
  await file.close();
  const sourceMd5 = await md5Of(source);

  const plain = await timed(async () => {
    await promisify(execFile)('cp', [source, copy]);
    await fsyncFile(copy);
  });

  const created = await fetch(`${glanceUrl}/v2/images`, {
    method: 'POST',
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'bench-image', disk_format: 'raw', container_format: 'bare' }),
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${await created.text()}`);
  imageId = (await created.json()).id;

  const upload = await timed(() =>
    call('PUT', `/v2/images/${imageId}/file`, {
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(size),
        ...(values.store ? { 'X-Image-Meta-Store': values.store } : {}),
      },
      body: createReadStream(source, { highWaterMark: MiB }),
    }),
  );
  if (upload.result.status !== 204) {
    throw new Error(`upload: ${upload.result.status} ${upload.result.text}`);
  }
  const image = await (
    await fetch(`${glanceUrl}/v2/images/${imageId}`, { headers: { 'X-Auth-Token': token } })
  ).json();

  const download = await timed(async () => {
    const sink = createWriteStream(downloaded);
    const res = await call('GET', `/v2/images/${imageId}/file`, { sink });
    if (res.status !== 200) throw new Error(`download: ${res.status} ${res.text}`);
    await fsyncFile(downloaded);
    return res;
  });
  const same = (await md5Of(downloaded)) === sourceMd5 && (await stat(downloaded)).size === size;

  const mb = size / 1e6;
  console.log(
    `image: ${size / MiB} MiB of random bytes; glance-api ${glanceUrl}, store ${image.stores ?? '?'}\n`,
  );
  console.log(`${'step'.padEnd(30)} ${'seconds'.padStart(8)} ${'MB/s'.padStart(7)}  vs plain copy`);
  const line = (name, t) =>
    console.log(
      `${name.padEnd(30)} ${t.seconds.toFixed(2).padStart(8)} ${(mb / t.seconds).toFixed(0).padStart(7)}  ` +
        `${(plain.seconds / t.seconds).toFixed(2)}×`,
    );
  line('plain copy (cp + fsync)', plain);
  line('upload (PUT /file, fsync)', upload);
  line('download (GET /file, fsync)', download);
  console.log(
    `\nchecksum ${image.checksum === sourceMd5 ? 'matches' : 'DIFFERS'} (MD5), ` +
      `Content-MD5 ${download.result.headers['content-md5'] === sourceMd5 ? 'matches' : 'DIFFERS'}, ` +
      `downloaded bytes ${same ? 'identical' : 'DIFFER'}`,
  );
  if (image.checksum !== sourceMd5 || !same) process.exitCode = 1;
  if (process.env.CINDER_URL) {
    const fromImage = await benchCreateFromImage(imageId, sourceMd5);
    console.log('');
    line('create volume from image', fromImage);
    console.log(
      `volume ${fromImage.result.id}: checksum in its image metadata ` +
        `${fromImage.result.checksum === sourceMd5 ? 'matches' : 'DIFFERS'}` +
        (fromImage.result.bytes === undefined
          ? ''
          : `, its bytes ${fromImage.result.bytes ? 'identical' : 'DIFFER'}`),
    );
    if (fromImage.result.checksum !== sourceMd5 || fromImage.result.bytes === false) {
      process.exitCode = 1;
    }
  }
} finally {
  if (imageId) {
    // Removes the benchmark's image where glance-api can delete images.
    await fetch(`${glanceUrl}/v2/images/${imageId}`, {
      method: 'DELETE',
      headers: { 'X-Auth-Token': token },
    }).catch(() => undefined);
  }
  await rm(work, { recursive: true, force: true });
}

if (process.env.CINDER_URL) await benchUploadToImage(process.env.CINDER_URL);

/**
 * Issue 12: upload-to-image of a volume of `size` bytes (random, written through an attachment's
 * local path, as a consumer would), timed from the request until the volume is `available`
 * again and the image `active`, beside cp + fsync of the volume's file. The image's checksum
 * must be the file's MD5.
 */
async function benchUploadToImage(cinderUrl) {
  const base = `${cinderBase(cinderUrl)}/v3`;
  const project = randomBytes(16).toString('hex');
  const auth = { 'X-Auth-Token': `bench:${project}`, 'Content-Type': 'application/json' };
  const cinder = async (method, path, body, version = '3.44') => {
    const res = await fetch(`${base}/${project}/${path}`, {
      method,
      headers: { ...auth, 'OpenStack-API-Version': `volume ${version}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  };
  const until = async (what, check, timeoutMs = 600_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
  };
  const volumeStatus = async (id) => (await cinder('GET', `volumes/${id}`)).body.volume?.status;
  const imageOf = async (id) =>
    (
      await fetch(`${glanceUrl}/v2/images/${id}`, {
        headers: { 'X-Auth-Token': auth['X-Auth-Token'] },
      })
    ).json();

  const work = await mkdtemp(join(values.dir ?? tmpdir(), 'cinderflow-bench-upload-'));
  let volumeId;
  let imageId;
  try {
    const created = await cinder('POST', 'volumes', {
      volume: { size: Math.ceil(size / 1024 ** 3), name: 'bench-upload' },
    });
    if (created.status !== 202) throw new Error(`volume create: ${JSON.stringify(created.body)}`);
    volumeId = created.body.volume.id;
    await until('the volume create', async () => (await volumeStatus(volumeId)) === 'available');

    // Random bytes through an attachment: the file driver's connection is the volume's file.
    const attached = await cinder('POST', 'attachments', {
      attachment: {
        volume_uuid: volumeId,
        instance_uuid: randomUUID(),
        connector: { host: 'bench', platform: 'x86_64', os_type: 'linux' },
      },
    });
    if (attached.status !== 200) throw new Error(`attach: ${JSON.stringify(attached.body)}`);
    // Cinder's attachment keeps the connection's data (device_path, ...) as connection_info.
    const devicePath = attached.body.attachment.connection_info?.device_path;
    if (!devicePath) throw new Error('the attachment gave no local device_path');
    const device = await open(devicePath, 'r+');
    for (let written = 0; written < size; written += 8 * MiB) {
      await device.write(randomBytes(Math.min(8 * MiB, size - written)), 0, undefined, written);
    }
    await device.sync();
    await device.close();
    await cinder('DELETE', `attachments/${attached.body.attachment.id}`);
    await until('the detach', async () => (await volumeStatus(volumeId)) === 'available');
    const volumeMd5 = await md5Of(devicePath);

    const copyPath = join(work, 'copy.raw');
    const plain = await timed(async () => {
      await promisify(execFile)('cp', ['--sparse=never', devicePath, copyPath]);
      await fsyncFile(copyPath);
    });

    const upload = await timed(async () => {
      const res = await cinder('POST', `volumes/${volumeId}/action`, {
        'os-volume_upload_image': { image_name: 'bench-upload', disk_format: 'raw' },
      });
      if (res.status !== 202) throw new Error(`upload: ${JSON.stringify(res.body)}`);
      imageId = res.body['os-volume_upload_image'].image_id;
      await until('the upload', async () => (await volumeStatus(volumeId)) === 'available');
      return imageOf(imageId);
    });
    const image = upload.result;
    if (image.status !== 'active') throw new Error(`the image ended ${image.status}`);

    const mb = size / 1e6;
    console.log(
      `\nupload-to-image: a ${size / MiB} MiB volume of random bytes; cinder-api ${base}\n`,
    );
    console.log(
      `${'step'.padEnd(30)} ${'seconds'.padStart(8)} ${'MB/s'.padStart(7)}  vs plain copy`,
    );
    const line = (name, t) =>
      console.log(
        `${name.padEnd(30)} ${t.seconds.toFixed(2).padStart(8)} ${(mb / t.seconds).toFixed(0).padStart(7)}  ` +
          `${(plain.seconds / t.seconds).toFixed(2)}×`,
      );
    line('plain copy (cp + fsync)', plain);
    line('upload-to-image (to active)', upload);
    console.log(`\nimage checksum ${image.checksum === volumeMd5 ? 'matches' : 'DIFFERS'} (MD5)`);
    if (image.checksum !== volumeMd5) process.exitCode = 1;
  } finally {
    if (imageId) {
      await fetch(`${glanceUrl}/v2/images/${imageId}`, {
        method: 'DELETE',
        headers: { 'X-Auth-Token': auth['X-Auth-Token'] },
      }).catch(() => undefined);
    }
    if (volumeId) await cinder('DELETE', `volumes/${volumeId}`).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}
