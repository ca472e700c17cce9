// Fires N volume creates (default 500, 50 in flight) at a running cinderflow and prints
// volumes/s and the p50/p95/p99 time from POST to `available`. Start the system first (npm start).
//
//   npm run bench:create -- [--count 500] [--concurrency 50] [--size 1] [--url http://127.0.0.1:8776]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '50' },
    size: { type: 'string', default: '1' },
    url: { type: 'string', default: 'http://127.0.0.1:8776' },
    keep: { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const project = randomBytes(16).toString('hex'); // a project of its own: lists show only ours
const base = `${values.url}/v3/${project}`;
const headers = { 'X-Auth-Token': `bench:${project}`, 'Content-Type': 'application/json' };

async function api(method, path, body) {
  const res = await fetch(`${base}/${path}`, {
    method,
    headers,
    body: body && JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

async function pool(items, limit, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

try {
  await fetch(`${values.url}/`);
} catch {
  console.error(`Nothing answers at ${values.url}: start the system first (npm start).`);
  process.exit(1);
}

// Cinder's default quota (10 volumes) would stop the bench: its project is unlimited.
await api('PUT', `os-quota-sets/${project}`, { quota_set: { volumes: -1, gigabytes: -1 } });

console.log(`Creating ${count} volumes of ${values.size} GiB, ${concurrency} in flight...`);
const sentAt = new Map();
const started = Date.now();
await pool([...Array(count).keys()], concurrency, async (i) => {
  const t = Date.now();
  const { volume } = await api('POST', 'volumes', {
    volume: { size: Number(values.size), name: `bench-${i}` },
  });
  sentAt.set(volume.id, t);
});
const posted = Date.now();

// Each volume's updated_at is when it became available (same machine, same clock).
const done = new Map();
let errors = 0;
while (done.size + errors < count) {
  const { volumes } = await api('GET', 'volumes/detail?limit=1000');
  errors = 0;
  for (const v of volumes) {
    if (v.status === 'available' && !done.has(v.id)) done.set(v.id, Date.parse(`${v.updated_at}Z`));
    if (v.status === 'error') errors++;
  }
  if (Date.now() - started > 600_000) throw new Error('gave up after 10 minutes');
  if (done.size + errors < count) await new Promise((r) => setTimeout(r, 100));
}
const finished = Math.max(...done.values());

const latencies = [...done].map(([id, at]) => at - sentAt.get(id)).sort((a, b) => a - b);
const seconds = (finished - started) / 1000;
console.log(`\nvolumes:            ${count} (${done.size} available, ${errors} error)`);
console.log(`POSTs accepted in:  ${((posted - started) / 1000).toFixed(2)} s`);
console.log(`all available in:   ${seconds.toFixed(2)} s`);
console.log(`throughput:         ${(done.size / seconds).toFixed(1)} volumes/s`);
console.log(
  `POST → available:   p50 ${percentile(latencies, 50)} ms  p95 ${percentile(latencies, 95)} ms  p99 ${percentile(latencies, 99)} ms`,
);

if (!values.keep) {
  const { volumes } = await api('GET', 'volumes?limit=1000');
  await pool(volumes, concurrency, (v) => api('DELETE', `volumes/${v.id}`));
  console.log(`\nDeleted the ${volumes.length} volumes again.`);
}
