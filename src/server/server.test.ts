/**
 * `camprint serve` end to end over HTTP on a temporary data directory with real data: two
 * simulated cameras get their fingerprints through POST /api/cameras (a server folder, and
 * uploaded photos), their jobs followed on the event stream; a photo of camera A is identified
 * (A first, a match); a data set is made, a tiny network trains while its epoch points stream,
 * is stopped and resumed, evaluated and used to classify. The security rules: the token (401),
 * a public address without a token (refused), upload and pixel limits (413), folders outside the
 * roots (400: `..`, elsewhere, symlinks out), corrupt images (400 naming the file, no stack), the
 * rate limit (429) — and the server keeps answering after each.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import { simulate, type SimulatedCamera } from '../sim/index.js';
import { closePool } from '../pool/index.js';
import { pythonPath } from '../dl/engine.js';
import { CLI } from '../testing/shared.js';
import { callApi, type Answer, type CallOptions, type Json } from '../testing/http.js';
import { createServer, isLoopback, startServer } from './index.js';

const TOKEN = 'test-token-0123456789abcdef';
const torch = spawnSync(pythonPath(), ['-c', 'import torch'], { encoding: 'utf8' });
const noTorch = torch.status === 0 ? false : `needs ${pythonPath()} with PyTorch (npm run setup)`;

let dir: string;
let inputs: string;
let outside: string;
let app: FastifyInstance;
let base: string;
let cameras: SimulatedCamera[];
const A = (): SimulatedCamera => cameras[0];
const B = (): SimulatedCamera => cameras[1];

/** One API call over HTTP: JSON or multipart body, the token unless told otherwise. */
function api(method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
  return callApi(method, `${base}${path}`, { ...opts, token: opts.token === undefined ? TOKEN : opts.token });
}

/** A multipart form of files (read from disk or given as bytes) and fields. */
function form(files: [string, string, Uint8Array?][], fields: Record<string, string> = {}): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  for (const [field, file, bytes] of files)
    f.append(field, new Blob([bytes ?? readFileSync(file)]), basename(file));
  return f;
}

/** An error answer as the API promises it: that status, JSON {error}, one line, no stack. */
function assertError(r: Answer, status: number, pattern?: RegExp): void {
  assert.equal(r.status, status, r.text);
  assert.deepEqual(Object.keys(r.json), ['error'], r.text);
  assert.equal(typeof r.json.error, 'string');
  assert.ok(!r.json.error.includes('\n'), 'one line');
  assert.ok(!/\bat .*\.(js|ts):\d+/.test(r.text), `no stack trace: ${r.text}`);
  if (pattern) assert.match(r.json.error, pattern);
}

async function healthy(): Promise<void> {
  const r = await api('GET', '/api/health', { token: null });
  assert.equal(r.status, 200);
  assert.equal(r.json.ok, true);
}

/** The event stream, read with fetch (bearer header) as the app reads it. */
class EventStream {
  readonly events: { event: string; data: Json }[] = [];
  private waiters: { match: (e: { event: string; data: Json }) => boolean; resolve: () => void }[] = [];
  private readonly abort = new AbortController();
  readonly ready: Promise<void>;

  constructor() {
    this.ready = this.run();
  }

  private async run(): Promise<void> {
    const r = await fetch(`${base}/api/events`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      signal: this.abort.signal,
    });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = r.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let first = true;
    const pump = async (): Promise<void> => {
      for (;;) {
        let chunk;
        try {
          chunk = await reader.read();
        } catch {
          return; // aborted
        }
        if (chunk.done) return;
        buffer += decoder.decode(chunk.value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (!event || data === undefined) continue;
          const e = { event, data: JSON.parse(data) };
          this.events.push(e);
          for (const w of [...this.waiters]) {
            if (w.match(e)) {
              this.waiters = this.waiters.filter((x) => x !== w);
              w.resolve();
            }
          }
        }
        if (first) first = false;
      }
    };
    void pump();
    // Subscribed once the first ping came.
    await this.wait((e) => e.event === 'ping', 10_000, true);
  }

  /** Resolves on the first event (seen already, or to come) that matches. */
  wait(
    match: (e: { event: string; data: Json }) => boolean,
    timeoutMs = 60_000,
    seenOk = true,
  ): Promise<void> {
    if (seenOk && this.events.some(match)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no such event in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Waits for a job to end (done, failed or cancelled) and returns its final event. */
  async jobEnd(id: string, timeoutMs = 60_000): Promise<Json> {
    const end = (e: { event: string; data: Json }) =>
      e.event === 'job' && e.data.id === id && ['done', 'failed', 'cancelled'].includes(e.data.type);
    await this.wait(end, timeoutMs);
    return this.events.find(end)!.data;
  }

  close(): void {
    this.abort.abort();
  }
}

let events: EventStream;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'camprint-server-'));
  inputs = join(dir, 'inputs');
  outside = join(dir, 'outside');
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'secret.jpg'), 'not for the server');
  // Two models, one unit each; strong PRNU so that a 384×256 photo is decidable.
  ({ cameras } = await simulate({
    dir: join(inputs, 'sim'),
    models: 2,
    devices: 1,
    images: 4,
    flat: 6,
    width: 384,
    height: 256,
    prnuScale: 1,
    jpegQuality: 90,
    seed: 3,
  }));
  const started = await startServer({
    dataDir: join(dir, 'data'),
    databaseUrl: null,
    port: 0,
    roots: [inputs],
    token: TOKEN,
    maxUploadBytes: 2 * 1048576,
    maxPixels: 1_000_000,
    rateLimit: false,
    pingMs: 1000,
  });
  app = started.app;
  base = started.url.replace(/\/$/, '');
  events = new EventStream();
  await events.ready;
});

after(async () => {
  events?.close();
  await app?.close();
  await closePool();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('token, exposure, page', () => {
  test('health needs no token; the API needs the right one (401 otherwise)', async () => {
    await healthy();
    assertError(await api('GET', '/api/cameras', { token: null }), 401, /token/);
    assertError(await api('GET', '/api/cameras', { token: 'wrong' }), 401, /wrong token/);
    assertError(await api('GET', '/api/openapi.json', { token: null }), 401);
    const r = await fetch(`${base}/api/cameras`, { headers: { authorization: 'Basic abc' } });
    assert.equal(r.status, 401);
    assert.equal((await api('GET', '/api/cameras')).status, 200);
    await healthy();
  });

  test('a non-loopback host without a token is refused (createServer and the CLI)', async () => {
    assert.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost'));
    assert.ok(!isLoopback('0.0.0.0') && !isLoopback('192.168.1.5') && !isLoopback('::'));
    await assert.rejects(
      createServer({ dataDir: join(dir, 'refused'), host: '0.0.0.0', token: '' }),
      /not a loopback address: set CAMPRINT_TOKEN/,
    );
    assert.ok(!existsSync(join(dir, 'refused')), 'refused before anything is written');
    const env = { ...process.env };
    delete env.CAMPRINT_TOKEN;
    const r = spawnSync(
      process.execPath,
      [CLI, '--data-dir', join(dir, 'refused'), 'serve', '--host', '0.0.0.0', '--port', '0'],
      { encoding: 'utf8', env, timeout: 30_000 },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /0\.0\.0\.0 is not a loopback address/);
  });

  test('the OpenAPI document lists every route with its schemas', async () => {
    const r = await api('GET', '/api/openapi.json');
    assert.equal(r.status, 200);
    assert.match(r.json.openapi, /^3\./);
    const paths = Object.keys(r.json.paths);
    for (const p of [
      '/api/health',
      '/api/events',
      '/api/jobs',
      '/api/jobs/{id}',
      '/api/jobs/{id}/cancel',
      '/api/cameras',
      '/api/cameras/{name}',
      '/api/cameras/{name}/fingerprint.png',
      '/api/identify',
      '/api/inspect',
      '/api/folders',
      '/api/datasets',
      '/api/datasets/{name}',
      '/api/datasets/{name}/examples.png',
      '/api/networks',
      '/api/models',
      '/api/models/{name}',
      '/api/models/{name}/stop',
      '/api/models/{name}/resume',
      '/api/models/{name}/evaluate',
      '/api/models/{name}/classify',
    ])
      assert.ok(paths.includes(p), `${p} documented`);
    const identify = r.json.paths['/api/identify'].post;
    assert.ok(identify.requestBody.content['multipart/form-data'].schema.properties.image);
    assert.ok(r.json.paths['/api/datasets'].post.requestBody.content['application/json']);
  });

  test('security headers (CSP for the app) and the page when the app is not built', async () => {
    const r = await fetch(`${base}/`);
    assert.equal(r.status, 200);
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /img-src 'self' data: blob:/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    // dist/web may or may not be built where the tests run: either the app or the notice.
    assert.match(await r.text(), /<html/i);
    assertError(await api('GET', '/api/no-such-route'), 404, /no route/);
  });

  test('the built app is served with a fallback to index.html for its own paths', async () => {
    const web = join(dir, 'web');
    mkdirSync(join(web, 'assets'), { recursive: true });
    writeFileSync(join(web, 'index.html'), '<!doctype html><html><body><div id="app"></div></body></html>');
    writeFileSync(join(web, 'assets', 'app-1234.js'), 'console.log(1)');
    const s = await createServer({ dataDir: join(dir, 'data-web'), webDir: web, token: '' });
    try {
      const page = await s.inject({ method: 'GET', url: '/' });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /id="app"/);
      const deep = await s.inject({ method: 'GET', url: '/cameras/A' });
      assert.equal(deep.statusCode, 200);
      assert.match(deep.body, /id="app"/);
      const asset = await s.inject({ method: 'GET', url: '/assets/app-1234.js' });
      assert.equal(asset.statusCode, 200);
      assert.match(String(asset.headers['cache-control']), /immutable/);
      assert.equal((await s.inject({ method: 'GET', url: '/assets/gone-999.js' })).statusCode, 404);
      const api404 = await s.inject({ method: 'GET', url: '/api/nothing' });
      assert.equal(api404.statusCode, 404);
      assert.deepEqual(Object.keys(api404.json()), ['error']);
      const notBuilt = await createServer({
        dataDir: join(dir, 'data-web'),
        webDir: join(dir, 'none'),
        token: '',
      });
      const r = await notBuilt.inject({ method: 'GET', url: '/' });
      assert.match(r.body, /npm run build/);
      await notBuilt.close();
    } finally {
      await s.close();
    }
  });

  test('an internal error is 500 with a generic message (the detail only in the log), and the server goes on', async () => {
    const logged: string[] = [];
    const broken = new Proxy(
      {},
      {
        get: (_t, prop) =>
          prop === 'then'
            ? undefined
            : async () => {
                throw new Error(`database on fire (${String(prop)})`);
              },
      },
    );
    const s = await createServer({
      dataDir: join(dir, 'data-broken'),
      token: '',
      store: broken as never,
      logger: { level: 'error', stream: { write: (line: string) => void logged.push(line) } },
    });
    try {
      const r = await s.inject({ method: 'GET', url: '/api/cameras' });
      assert.equal(r.statusCode, 500);
      assert.deepEqual(Object.keys(r.json()), ['error']);
      assert.match(r.json().error, /^internal error \(request .*\)/);
      assert.ok(!r.body.includes('on fire') && !r.body.includes('.js:'), r.body);
      assert.ok(
        logged.some((l) => l.includes('database on fire')),
        'the detail is logged',
      );
      assert.equal((await s.inject({ method: 'GET', url: '/api/health' })).statusCode, 200);
    } finally {
      await s.close();
    }
  });

  test('an event-stream client is dropped when it disconnects', async () => {
    const hub = app.camprint.events;
    const before = hub.size;
    const extra = new EventStream();
    await extra.ready;
    assert.equal(hub.size, before + 1);
    extra.close();
    for (let i = 0; i < 50 && hub.size > before; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(hub.size, before);
  });

  test('the rate limit answers 429 as JSON', async () => {
    const s = await createServer({
      dataDir: join(dir, 'data-rate'),
      token: '',
      rateLimit: { max: 3, windowMs: 60_000 },
    });
    try {
      for (let i = 0; i < 3; i++)
        assert.equal((await s.inject({ method: 'GET', url: '/api/health' })).statusCode, 200);
      const r = await s.inject({ method: 'GET', url: '/api/health' });
      assert.equal(r.statusCode, 429);
      assert.match(r.json().error, /too many requests/);
    } finally {
      await s.close();
    }
  });
});

describe('cameras, identify, inspect', () => {
  let jobA: string;
  let jobB: string;

  test('fingerprints built by jobs: A from a server folder, B from uploads; progress on the event stream', async () => {
    const a = await api('POST', '/api/cameras', {
      json: {
        camera: 'A',
        model: 'SimCam',
        device: 'unit-a',
        folder: relative(inputs, dirname(A().flat[0])),
      },
    });
    assert.equal(a.status, 202, a.text);
    jobA = a.json.job;
    const b = await api('POST', '/api/cameras', {
      form: form(
        B().flat.map((f) => ['images', f] as [string, string]),
        { camera: 'B' },
      ),
    });
    assert.equal(b.status, 202, b.text);
    jobB = b.json.job;
    const dup = await api('POST', '/api/cameras', {
      json: { camera: 'A', folder: relative(inputs, dirname(A().flat[0])) },
    });
    if (dup.status !== 202) assertError(dup, 409, /being built/);
    const [endA, endB] = [await events.jobEnd(jobA), await events.jobEnd(jobB)];
    assert.equal(endA.type, 'done', JSON.stringify(endA));
    assert.equal(endB.type, 'done', JSON.stringify(endB));
    assert.ok(events.events.some((e) => e.event === 'job' && e.data.id === jobA && e.data.type === 'active'));
    assert.ok(
      events.events.some((e) => e.event === 'job' && e.data.id === jobA && e.data.type === 'progress'),
    );
    const info = await api('GET', `/api/jobs/${jobA}`);
    assert.equal(info.json.status, 'done');
    assert.equal(info.json.result.images, 6);
    const list = await api('GET', '/api/jobs?kind=fingerprint-build');
    assert.ok(list.json.jobs.length >= 2);
    assert.ok(list.json.jobs[0].createdAt >= list.json.jobs.at(-1).createdAt, 'newest first');
    assertError(await api('POST', `/api/jobs/${jobA}/cancel`), 409, /already ended/);
    assertError(await api('GET', '/api/jobs/nope'), 404);
  });

  test('cameras: list, one with its sources, the fingerprint as a tile and a spectrum', async () => {
    const list = await api('GET', '/api/cameras');
    assert.deepEqual(
      list.json.cameras.map((c: Json) => c.camera),
      ['A', 'B'],
    );
    const a = list.json.cameras[0];
    assert.equal(a.model, 'SimCam');
    assert.equal(a.width, 384);
    assert.ok(a.meanPce > 60);
    const one = await api('GET', '/api/cameras/A');
    assert.equal(one.json.camera.device, 'unit-a');
    assert.equal(one.json.sources.length, 6);
    assertError(await api('GET', '/api/cameras/Z'), 404);
    for (const view of ['tile', 'spectrum']) {
      const r = await fetch(`${base}/api/cameras/A/fingerprint.png?view=${view}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'image/png');
      const meta = await sharp(Buffer.from(await r.arrayBuffer())).metadata();
      assert.equal(meta.format, 'png');
      assert.equal(meta.width, 256);
    }
    assertError(await api('GET', '/api/cameras/A/fingerprint.png?view=other'), 400, /querystring\.view/);
  });

  test('identify: a photo of A ranks A first with a match; sha256, inspect and the surface come along', async () => {
    const photo = A().natural[0];
    const r = await api('POST', '/api/identify', { form: form([['image', photo]], { top: '2' }) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.file, basename(photo));
    assert.match(r.json.sha256, /^[0-9a-f]{64}$/);
    assert.equal(r.json.candidates[0].camera, 'A');
    assert.equal(r.json.candidates[0].match, true);
    assert.ok(r.json.candidates[0].pce > 60);
    assert.ok(r.json.candidates.length <= 2);
    assert.equal(r.json.inspect.sha256, r.json.sha256);
    assert.equal(r.json.inspect.file, basename(photo));
    assert.ok(r.json.inspect.jpeg.isJpeg);
    assert.equal(r.json.surface.camera, 'A');
    assert.equal(r.json.surface.size, 21);
    assert.equal(r.json.surface.values.length, 21 * 21);
    const centre = r.json.surface.values[10 * 21 + 10];
    assert.ok(
      Math.abs(centre) >= Math.max(...r.json.surface.values.map(Math.abs)) - 1e-6,
      'the peak is in the middle',
    );
    // The same photo again is the same file on the server (content-addressed).
    const again = await api('POST', '/api/identify', { form: form([['image', photo]]) });
    assert.equal(again.json.sha256, r.json.sha256);
    assert.ok(existsSync(join(dir, 'data', 'uploads', `${r.json.sha256}.jpg`)));
  });

  test('inspect an uploaded photo (as inspect --json)', async () => {
    const r = await api('POST', '/api/inspect', { form: form([['image', B().natural[0]]]) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.file, basename(B().natural[0]));
    assert.equal(r.json.width, 384);
    assert.ok(r.json.jpeg.quality > 80);
  });

  test('uploads: too large (413), too many pixels (413), corrupt or not an image (400 naming the file)', async () => {
    const big = new Uint8Array(3 * 1048576).fill(7);
    assertError(
      await api('POST', '/api/identify', { form: form([['image', 'huge.jpg', big]]) }),
      413,
      /huge\.jpg: file too large/,
    );
    await healthy();
    const wide = await sharp({ create: { width: 1200, height: 1000, channels: 3, background: '#777' } })
      .png()
      .toBuffer();
    assertError(
      await api('POST', '/api/identify', { form: form([['image', 'wide.png', wide]]) }),
      413,
      /wide\.png: image too large \(1200×1000/,
    );
    await healthy();
    const random = new Uint8Array(5000).map((_, i) => (i * 7919) % 251);
    assertError(
      await api('POST', '/api/identify', { form: form([['image', 'evil.jpg', random]]) }),
      400,
      /^evil\.jpg: not a readable image/,
    );
    await healthy();
    const jpeg = readFileSync(A().natural[1]);
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 3));
    const t = await api('POST', '/api/identify', { form: form([['image', 'cut.jpg', truncated]]) });
    assertError(t, 400, /^cut\.jpg: /);
    assert.ok(!t.json.error.includes(dir), `no server path in ${t.json.error}`);
    await healthy();
    assertError(
      await api('POST', '/api/cameras', { form: form([['images', 'evil.jpg', random]], { camera: 'C' }) }),
      400,
      /evil\.jpg/,
    );
    assertError(await api('POST', '/api/identify', { json: { image: 'x' } }), 400, /multipart/);
    assertError(await api('POST', '/api/identify', { form: form([], { top: '3' }) }), 400, /image/);
    await healthy();
  });

  test('cases: open, add an uploaded file and a note, show, report (HTML, and PDF where Chromium is)', async () => {
    const c = await api('POST', '/api/cases', {
      json: { name: 'case-1', title: 'Which camera?', examiner: 'E. X.', cameras: ['A', 'B'] },
    });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.json.case.name, 'case-1');
    assertError(await api('POST', '/api/cases', { json: { name: 'case-1' } }), 409);
    const photo = A().natural[3];
    const f = await api('POST', '/api/cases/case-1/files', {
      form: form([['files', photo]], { role: 'questioned' }),
    });
    assert.equal(f.status, 200, f.text);
    assert.equal(f.json.files.length, 1);
    assert.equal(f.json.files[0].role, 'questioned');
    assert.equal(basename(f.json.files[0].path), basename(photo), 'kept under the name the client gave');
    const n = await api('POST', '/api/cases/case-1/notes', { json: { text: 'received by courier' } });
    assert.equal(n.status, 201, n.text);
    const one = await api('GET', '/api/cases/case-1');
    assert.equal(one.json.files.length, 1);
    assert.equal(one.json.notes[0].text, 'received by courier');
    assert.ok(Array.isArray(one.json.matches));
    assert.equal((await api('GET', '/api/cases')).json.cases.length, 1);
    assertError(await api('GET', '/api/cases/nope'), 404);
    assertError(await api('GET', '/api/cases/secret.jpg/report.html'), 404);
    const html = await fetch(`${base}/api/cases/case-1/report.html`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-type') ?? '', /text\/html/);
    const text = await html.text();
    assert.match(text, /case-1/);
    assert.match(text, new RegExp(basename(photo).replace('.', '\\.')));
    if (existsSync('/usr/bin/chromium')) {
      const pdf = await fetch(`${base}/api/cases/case-1/report.pdf`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(pdf.status, 200);
      assert.equal(
        Buffer.from(await pdf.arrayBuffer())
          .subarray(0, 5)
          .toString(),
        '%PDF-',
      );
    }
  });

  test('folders: only under the roots (.., elsewhere, symlinks out → 400)', async () => {
    const list = await api('GET', '/api/folders');
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.json.entries.map((e: Json) => e.name),
      ['sim'],
    );
    assert.equal(list.json.entries[0].dir, true);
    assert.equal(list.json.entries[0].images, 20);
    const sim = await api('GET', `/api/folders?path=${encodeURIComponent(join(inputs, 'sim'))}`);
    assert.equal(sim.json.entries.length, 2);
    symlinkSync(outside, join(inputs, 'escape'));
    mkdirSync(join(inputs, 'inner'));
    symlinkSync(outside, join(inputs, 'inner', 'link'));
    writeFileSync(join(inputs, 'inner', 'x.jpg'), readFileSync(A().flat[0]));
    const after = await api('GET', '/api/folders');
    assert.ok(!after.json.entries.some((e: Json) => e.name === 'escape'), 'links out are not listed');
    for (const folder of [
      '/etc',
      '..',
      '../outside',
      'sim/../../outside',
      join(inputs, '..', 'outside'),
      'escape',
      'inner',
    ]) {
      assertError(
        await api('POST', '/api/cameras', { json: { camera: 'C', folder } }),
        400,
        /folder: .*(outside the folders|link out)/,
      );
      await healthy();
    }
    assertError(await api('GET', '/api/folders?path=/'), 400, /outside the folders/);
    assertError(await api('GET', `/api/folders?path=${encodeURIComponent('sim/../..')}`), 400, /outside/);
    assertError(await api('POST', '/api/datasets', { json: { name: 'x', folder: '/tmp' } }), 400, /outside/);
    assertError(
      await api('POST', '/api/cameras', { json: { camera: 'C', folder: 'nope' } }),
      400,
      /no such folder/,
    );
    assertError(
      await api('POST', '/api/cameras', { json: { camera: 'a/b', folder: 'sim' } }),
      400,
      /body\.camera/,
    );
    rmSync(join(inputs, 'escape'));
    rmSync(join(inputs, 'inner'), { recursive: true });
    await healthy();
  });
});

describe('data sets and models', { skip: noTorch }, () => {
  test('a data set from a server folder: job, record, per-class counts, example crops', async () => {
    const r = await api('POST', '/api/datasets', {
      json: { name: 'ds', folder: 'sim', only: 'natural', crop: 32, cropsPerImage: 6, split: '50/25/25' },
    });
    assert.equal(r.status, 202, r.text);
    const end = await events.jobEnd(r.json.job);
    assert.equal(end.type, 'done', JSON.stringify(end));
    const list = await api('GET', '/api/datasets');
    assert.deepEqual(
      list.json.datasets.map((d: Json) => d.name),
      ['ds'],
    );
    const one = await api('GET', '/api/datasets/ds');
    assert.equal(one.json.perClass.length, 2);
    assert.equal(one.json.perClass[0].train, 12);
    const cls = one.json.dataset.classes[1];
    const png = await fetch(`${base}/api/datasets/ds/examples.png?class=${cls}&n=5`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(png.status, 200);
    const meta = await sharp(Buffer.from(await png.arrayBuffer())).metadata();
    assert.equal(meta.format, 'png');
    assertError(await api('GET', '/api/datasets/ds/examples.png?class=nope'), 400, /not a class/);
    assertError(
      await api('POST', '/api/datasets', { json: { name: 'bad', folder: 'sim', crop: 33 } }),
      400,
      /crop/,
    );
  });

  test('train 2 epochs with the epoch points on the event stream, evaluate, classify', async () => {
    const nets = await api('GET', '/api/networks');
    assert.ok(nets.json.networks.some((n: Json) => n.name === 'camnet'));
    const r = await api('POST', '/api/models', { json: { name: 'm', dataset: 'ds', epochs: 2, batch: 16 } });
    assert.equal(r.status, 202, r.text);
    assertError(await api('POST', '/api/models', { json: { name: 'm', dataset: 'ds' } }), 409);
    const end = await events.jobEnd(r.json.job, 180_000);
    assert.equal(end.type, 'done', JSON.stringify(end));
    const points = events.events.filter((e) => e.event === 'model' && e.data.name === 'm');
    assert.deepEqual(
      points.map((e) => e.data.point.epoch),
      [1, 2],
    );
    assert.equal(typeof points[0].data.point.loss, 'number');
    const m = await api('GET', '/api/models/m');
    assert.equal(m.json.model.status, 'done');
    assert.equal(m.json.model.curves.length, 2);
    const models = await api('GET', '/api/models');
    assert.ok(!('curves' in models.json.models[0]));
    const ev = await api('POST', '/api/models/m/evaluate', { json: { split: 'test' } });
    assert.equal(ev.status, 202, ev.text);
    const evEnd = await events.jobEnd(ev.json.job);
    assert.equal(evEnd.type, 'done', JSON.stringify(evEnd));
    const after = await api('GET', '/api/models/m');
    assert.equal(after.json.model.metrics.test.confusion.length, 2);
    assert.ok(after.json.model.metrics.test.top1 >= 0);
    const c = await api('POST', '/api/models/m/classify', {
      form: form([
        ['images', A().natural[0]],
        ['images', B().natural[0]],
      ]),
    });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.results.length, 2);
    assert.equal(c.json.results[0].file, basename(A().natural[0]));
    assert.equal(c.json.results[0].top.length, 2);
    const id = await api('POST', '/api/identify', {
      form: form([['image', A().natural[2]]], { model: 'm' }),
    });
    assert.equal(id.status, 200, id.text);
    assert.equal(id.json.classification.model, 'm');
    assert.equal(id.json.classification.top.length, 2);
  });

  test('stop keeps the checkpoint (status stopped); resume finishes', async () => {
    const r = await api('POST', '/api/models', {
      json: { name: 'r', dataset: 'ds', epochs: 40, batch: 8, checkpointEvery: 100 },
    });
    assert.equal(r.status, 202, r.text);
    await events.wait((e) => e.event === 'model' && e.data.name === 'r', 120_000);
    const stop = await api('POST', '/api/models/r/stop');
    assert.equal(stop.status, 200, stop.text);
    const end = await events.jobEnd(r.json.job, 120_000);
    assert.equal(end.type, 'cancelled', JSON.stringify(end));
    const m = await api('GET', '/api/models/r');
    assert.equal(m.json.model.status, 'stopped');
    assert.ok(m.json.model.epochs >= 1 && m.json.model.epochs < 40);
    assert.ok(existsSync(join(m.json.model.path, 'checkpoints', 'last.pt')));
    assertError(await api('POST', '/api/models/r/stop'), 409, /not training/);
    const again = await api('POST', '/api/models/r/resume', { json: { epochs: m.json.model.epochs + 1 } });
    assert.equal(again.status, 202, again.text);
    const done = await events.jobEnd(again.json.job, 120_000);
    assert.equal(done.type, 'done', JSON.stringify(done));
    const after = await api('GET', '/api/models/r');
    assert.equal(after.json.model.status, 'done');
    assert.equal(after.json.model.epochs, m.json.model.epochs + 1);
    assert.equal(after.json.model.curves.length, m.json.model.epochs + 1);
    await healthy();
  });
});
