/**
 * Issue 9, item 5 — security of `camprint serve` and the CLI, as an attacker would try it
 * (docs/threat-model.md lists each threat with its control and this test):
 *  - security headers (CSP with frame-ancestors 'none', nosniff, frame options, no HSTS on plain
 *    HTTP, no x-powered-by) on the page, static files, the API and its error answers;
 *  - every /api route but the health check refuses a missing, wrong or malformed token (401);
 *  - a token brute force hits the rate limit (429), the wrong tokens counted;
 *  - decompression bombs: a PNG declaring 50,000×50,000 and a 2 KB JPEG claiming 48 MP are
 *    refused (413, 400; CLI exit 2) without the memory or time a decode would take; oversized
 *    files and bodies are 413; no temporary upload is left behind;
 *  - path traversal in every route that takes a folder or a name (`..`, encoded, absolute,
 *    backslashes, NUL), in uploaded file names, and in static-file paths sent verbatim;
 *  - the token (and a database password) never appear in the server's log at level info, in
 *    its output, or in an answer; no answer carries a stack trace.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { deflateSync, crc32 } from 'node:zlib';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import { startServer } from '../server/index.js';
import { closePool } from '../pool/index.js';
import { simulate } from '../sim/index.js';
import { datasetInput } from '../store/contract-data.js';
import { jpegSegments } from './mutate.js';
import { assertCliError, camprint, fingerprintNpy, freePort, MB, startServe } from './harness.js';
import { callApi, type Answer, type CallOptions } from '../testing/http.js';

const TOKEN = 'sec-token-7f3a9c0e51b24d68a0c4e2f19b7d3a55';
let work: string;
let dataDir: string;
let inputs: string;
let app: FastifyInstance;
let base: string;
let photo: string;

/** One API call over HTTP (this test's server unless `url` says another), the token unless told otherwise. */
function api(method: string, path: string, opts: CallOptions & { url?: string } = {}): Promise<Answer> {
  return callApi(method, `${opts.url ?? base}${path}`, {
    ...opts,
    token: opts.token === undefined ? TOKEN : opts.token,
  });
}

/** An error answer as docs/api.md promises it: the status, `{"error"}` on one line, no stack, no server path. */
function assertError(r: Answer, status: number | number[], pattern?: RegExp, what = ''): void {
  const ok = Array.isArray(status) ? status : [status];
  assert.ok(ok.includes(r.status), `${what}: ${r.status} ${r.text.slice(0, 300)}`);
  assert.deepEqual(Object.keys(r.json ?? {}), ['error'], `${what}: ${r.text.slice(0, 300)}`);
  assert.ok(!r.json.error.includes('\n'), `${what}: one line`);
  assert.ok(!/\bat .*\.(js|ts):\d+|node:internal/.test(r.text), `${what}: no stack trace: ${r.text}`);
  // Only the roots, which GET /api/folders shows anyway, may be named; no other server path.
  assert.ok(!r.text.includes(dataDir), `${what}: no path of the data directory in ${r.text}`);
  if (pattern) assert.match(r.json.error, pattern, what);
}

async function healthy(url = base): Promise<void> {
  const r = await fetch(`${url}/api/health`);
  assert.equal(r.status, 200);
}

function form(files: [string, string, Uint8Array][], fields: Record<string, string> = {}): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  for (const [field, name, bytes] of files) f.append(field, new Blob([bytes]), name);
  return f;
}

/** A raw GET with the path sent exactly as written (fetch would normalise `..`). */
function rawGet(path: string, url = base): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method: 'GET', path }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A PNG whose header declares width × height, followed by a few deflated rows of zeros. */
function pngDeclaring(width: number, height: number, rows = 4): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(rows * (1 + 3 * width)), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A real JPEG (a few kilobytes) whose frame header is changed to claim width × height. */
function jpegClaiming(bytes: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(bytes);
  const sof = jpegSegments(out).find((s) => s.marker === 0xc0 || s.marker === 0xc2);
  assert.ok(sof, 'a frame header');
  out.writeUInt16BE(height, sof.at + 5);
  out.writeUInt16BE(width, sof.at + 7);
  return out;
}

/** Every file under `dir` (relative paths). */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'camprint-security-'));
  dataDir = join(work, 'data');
  inputs = join(work, 'inputs');
  const sim = await simulate({
    dir: join(inputs, 'sim'),
    models: 1,
    devices: 1,
    images: 1,
    flat: 0,
    width: 256,
    height: 192,
    seed: 4,
  });
  photo = sim.cameras[0].natural[0];
  writeFileSync(join(work, 'k.npy'), fingerprintNpy(256, 192, 3));
  assert.equal(
    camprint(['--data-dir', dataDir, 'fingerprint', 'import', join(work, 'k.npy'), '--camera', 'cam-k']).code,
    0,
  );
  // A built app, and secrets beside it that no request may read.
  const web = join(work, 'web');
  mkdirSync(join(web, 'assets'), { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html><html><body><div id="app"></div></body></html>');
  writeFileSync(join(web, 'assets', 'app-1.js'), 'console.log(1)');
  writeFileSync(join(work, 'secret.txt'), 'TOP-SECRET-CASE-FILE');
  const started = await startServer({
    dataDir,
    databaseUrl: null,
    port: 0,
    roots: [inputs],
    token: TOKEN,
    webDir: web,
    maxUploadBytes: 2 * MB,
    maxPixels: 100_000_000,
    rateLimit: false,
  });
  app = started.app;
  base = started.url.replace(/\/$/, '');
  assert.equal((await api('POST', '/api/cases', { json: { name: 'c1' } })).status, 201);
  // A data set record (its folder need not exist): training requests get as far as their settings.
  await app.camprint.store.putDataset(datasetInput('ds', 1, { path: join(work, 'no-such-dataset') }));
});

after(async () => {
  await app?.close();
  await closePool();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('security', () => {
  test('security headers on the page, static files, the API and its error answers', async () => {
    const checks: [string, Promise<Response>][] = [
      ['page', fetch(`${base}/`)],
      ['deep link', fetch(`${base}/cases/c1`)],
      ['asset', fetch(`${base}/assets/app-1.js`)],
      ['health', fetch(`${base}/api/health`)],
      ['API', fetch(`${base}/api/cameras`, { headers: { authorization: `Bearer ${TOKEN}` } })],
      ['401', fetch(`${base}/api/cameras`)],
      ['404', fetch(`${base}/api/nope`, { headers: { authorization: `Bearer ${TOKEN}` } })],
      [
        '400',
        fetch(`${base}/api/cases`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: '{"name": "../x"}',
        }),
      ],
      ['missing file', fetch(`${base}/assets/gone.js`)],
    ];
    for (const [what, pending] of checks) {
      const r = await pending;
      await r.arrayBuffer();
      const csp = r.headers.get('content-security-policy') ?? '';
      for (const d of [
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
      ])
        assert.ok(csp.includes(d), `${what} (${r.status}): CSP has ${d}: ${csp}`);
      assert.ok(
        !/script-src[^;]*'unsafe-(inline|eval)'/.test(csp),
        `${what}: no inline or eval scripts: ${csp}`,
      );
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', what);
      assert.match(r.headers.get('x-frame-options') ?? '', /^(DENY|SAMEORIGIN)$/, what);
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer', what);
      assert.equal(r.headers.get('cross-origin-opener-policy'), 'same-origin', what);
      assert.equal(r.headers.get('x-powered-by'), null, what);
      assert.equal(r.headers.get('strict-transport-security'), null, `${what}: no HSTS on plain HTTP`);
      if (what !== 'page' && what !== 'deep link' && what !== 'asset')
        assert.match(r.headers.get('content-type') ?? '', /^application\/json/, what);
    }
  });

  test('every /api route but the health check needs the token: missing, wrong or malformed → 401', async () => {
    const doc = await api('GET', '/api/openapi.json');
    assert.equal(doc.status, 200);
    let routes = 0;
    for (const [path, methods] of Object.entries(doc.json.paths as Record<string, Record<string, unknown>>)) {
      const url = path.replace(/\{[^}]+\}/g, 'x');
      for (const method of Object.keys(methods)) {
        if (path === '/api/health') continue;
        routes++;
        for (const [label, authorization] of [
          ['no token', undefined],
          ['wrong token', `Bearer ${TOKEN.slice(0, -1)}0`],
          ['prefix of the token', `Bearer ${TOKEN.slice(0, 8)}`],
          ['token as Basic', `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`],
          ['bare token', TOKEN],
          ['empty bearer', 'Bearer '],
        ] as const) {
          const r = await api(
            method.toUpperCase(),
            url,
            authorization === undefined ? { token: null } : { authorization },
          );
          assertError(r, 401, undefined, `${method.toUpperCase()} ${url} with ${label}`);
          assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
          assert.ok(!r.text.includes(TOKEN.slice(0, 8)), 'the answer never echoes a token');
        }
      }
    }
    assert.ok(routes >= 25, `${routes} routes checked`);
    assertError(await api('GET', '/api/openapi.json', { token: null }), 401);
    await healthy();
    console.log(`security: ${routes} API routes × 6 kinds of bad credentials → 401`);
  });

  test('a token brute force hits the rate limit: wrong tokens are counted, then 429', async () => {
    const s = await startServer({
      dataDir: join(work, 'data-rate'),
      databaseUrl: null,
      port: 0,
      token: TOKEN,
      rateLimit: { max: 30, windowMs: 60_000 },
    });
    try {
      const url = s.url.replace(/\/$/, '');
      const statuses: number[] = [];
      for (let i = 0; i < 60; i++) {
        const r = await api('GET', '/api/cameras', { token: `guess-${i}-${TOKEN.slice(8)}`, url });
        statuses.push(r.status);
        if (r.status === 429) assertError(r, 429, /too many requests/);
      }
      assert.equal(statuses.filter((c) => c === 401).length, 30, statuses.join(' '));
      assert.equal(statuses.filter((c) => c === 429).length, 30, statuses.join(' '));
      // The client stays limited for the window, whatever it sends.
      assert.equal((await api('GET', '/api/cameras', { url })).status, 429);
      console.log('security: 60 guessed tokens → 30 × 401, then 30 × 429 (limit 30 a minute)');
    } finally {
      await s.app.close();
    }
  });

  test('decompression bombs and oversized uploads: 413/400 without the decode’s memory; nothing left behind', async () => {
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const wide = pngDeclaring(50_000, 50_000);
    assert.ok(wide.length < 4096, `${wide.length} bytes declaring 2.5 gigapixels`);
    const giant = await sharp({ create: { width: 12_000, height: 12_000, channels: 3, background: '#000' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    const claim = jpegClaiming(readFileSync(photo), 8000, 6000); // 48 MP claimed, within the 100 MP limit
    assert.ok(claim.length < 64 * 1024);
    const routes: [string, string, Record<string, string>][] = [
      ['/api/identify', 'image', {}],
      ['/api/inspect', 'image', {}],
      ['/api/cases/c1/files', 'files', {}],
      ['/api/cameras', 'images', { camera: 'bomb' }],
    ];
    for (const [route, field, fields] of routes) {
      for (const [name, bytes] of [
        ['wide.png', wide],
        ['giant.png', giant],
      ] as const) {
        assertError(
          await api('POST', route, { form: form([[field, name, bytes]], fields) }),
          413,
          new RegExp(
            `^${name.replace('.', '\\.')}: image too large \\(\\d+×\\d+ = [\\d.]+ MP; this server's limit is 100 MP\\)`,
          ),
          `${name} to ${route}`,
        );
      }
      assertError(
        await api('POST', route, {
          form: form([[field, 'big.jpg', new Uint8Array(3 * MB).fill(9)]], fields),
        }),
        413,
        /^big\.jpg: file too large/,
        `3 MB to ${route}`,
      );
      await healthy();
    }
    const t = performance.now();
    assertError(
      await api('POST', '/api/identify', { form: form([['image', 'claim.jpg', claim]]) }),
      400,
      /^claim\.jpg: corrupt or truncated image \(.*premature end of data segment/,
      'a 48 MP claim in a small JPEG',
    );
    const claimMs = performance.now() - t;
    assertError(
      await api('POST', '/api/cases', { json: JSON.stringify({ name: 'x', question: 'q'.repeat(2 * MB) }) }),
      413,
      undefined,
      'a 2 MB JSON body',
    );
    const grown = process.memoryUsage().rss - rss0;
    assert.ok(grown < 600 * MB, `memory grew by ${(grown / MB).toFixed(0)} MB`);
    assert.deepEqual(
      readdirSync(join(dataDir, 'uploads')).filter((n) => n.startsWith('.incoming')),
      [],
      'no temporary upload left',
    );
    await healthy();
    // The CLI refuses the same files (exit 2, one line), in well under the time a decode would take.
    writeFileSync(join(work, 'wide.png'), wide);
    writeFileSync(join(work, 'claim.jpg'), claim);
    const c0 = performance.now();
    assertCliError(
      camprint(['--data-dir', dataDir, 'match', join(work, 'wide.png'), '--camera', 'cam-k']),
      2,
      /wide\.png: image too large \(50000×50000/,
    );
    assertCliError(
      camprint(['--data-dir', dataDir, 'identify', join(work, 'claim.jpg')]),
      2,
      /claim\.jpg: corrupt or truncated image/,
    );
    assertCliError(
      camprint(['--data-dir', dataDir, 'residual', join(work, 'claim.jpg'), '--out', join(work, 'r.npy')]),
      2,
      /claim\.jpg/,
    );
    const cliMs = (performance.now() - c0) / 3;
    assert.ok(!existsSync(join(work, 'r.npy')));
    console.log(
      `security: bombs (PNG declaring 50000×50000 in ${wide.length} B, a ${(giant.length / 1024).toFixed(0)} KB PNG of 144 MP, ${claim.length} B JPEG claiming 48 MP) and 3 MB files ` +
        `to 4 upload routes → 413/400 in ${((performance.now() - t0) / 1000).toFixed(1)} s (the 48 MP claim refused in ${claimMs.toFixed(0)} ms); ` +
        `server RSS +${(grown / MB).toFixed(0)} MB; CLI exit 2 in ${cliMs.toFixed(0)} ms each`,
    );
  });

  test('path traversal: every route that takes a folder or a name, uploaded file names, static paths', async () => {
    const outsideDirs = [
      '..',
      '../..',
      '/etc',
      '/',
      join(inputs, '..'),
      'sim/../../..',
      '..\\..',
      '%2e%2e/%2e%2e',
      '\u0000',
      `sim/\u0000/../..`,
    ];
    let tried = 0;
    for (const folder of outsideDirs) {
      for (const [method, path, body] of [
        ['GET', `/api/folders?path=${encodeURIComponent(folder)}`, undefined],
        ['POST', '/api/cameras', { camera: 'c', folder }],
        ['POST', '/api/datasets', { name: 'd', folder }],
      ] as const) {
        tried++;
        const r = await api(method, path, body ? { json: body } : {});
        if (folder === '%2e%2e/%2e%2e' || folder === '..\\..') {
          // Taken literally: a folder of that name under the root, which does not exist.
          assertError(r, 400, /no such folder|outside the folders/, `${method} ${path} ${folder}`);
        } else
          assertError(
            r,
            400,
            /outside the folders|expected a folder path|no such folder/,
            `${method} ${path} ${JSON.stringify(folder)}`,
          );
      }
    }
    const badNames = ['..', '.', '../x', '../../etc/passwd', 'a/b', 'a\\b', '..\\x', 'x\u0000', ' x', 'x\n'];
    for (const name of badNames) {
      for (const [method, path, body] of [
        ['POST', '/api/cameras', { camera: name, folder: 'sim' }],
        ['POST', '/api/datasets', { name, folder: 'sim' }],
        ['POST', '/api/models', { name, dataset: 'ds' }],
        ['POST', '/api/models', { name: 'm', dataset: name }],
        ['POST', '/api/cases', { name }],
        ['POST', '/api/cases', { name: 'c2', cameras: [name] }],
      ] as const) {
        tried++;
        assertError(
          await api(method, path, { json: body }),
          400,
          /body\.\w+/,
          `${path} ${JSON.stringify(body)}`,
        );
      }
      for (const path of [
        `/api/cameras/${encodeURIComponent(name)}`,
        `/api/cameras/${encodeURIComponent(name)}/fingerprint.png`,
        `/api/datasets/${encodeURIComponent(name)}`,
        `/api/datasets/${encodeURIComponent(name)}/examples.png`,
        `/api/models/${encodeURIComponent(name)}`,
        `/api/cases/${encodeURIComponent(name)}`,
        `/api/cases/${encodeURIComponent(name)}/report.html`,
      ]) {
        tried++;
        assertError(await api('GET', path), [400, 404], undefined, `GET ${path}`);
      }
      for (const path of [
        `/api/models/${encodeURIComponent(name)}/stop`,
        `/api/cases/${encodeURIComponent(name)}/notes`,
      ]) {
        tried++;
        assertError(await api('POST', path, { json: { text: 'x' } }), [400, 404], undefined, `POST ${path}`);
      }
    }
    for (const settings of [{ out: '/tmp/evil' }, { dataset: '/etc' }, { network: '../x' }]) {
      tried++;
      assertError(
        await api('POST', '/api/models', { json: { name: 'm', dataset: 'ds', settings } }),
        400,
        /settings/,
      );
    }
    tried++;
    assertError(
      await api('POST', '/api/models', { json: { name: 'm', dataset: 'ds', network: '../x' } }),
      400,
      /body\.network/,
    );
    assertError(await api('GET', '/api/datasets/ds/examples.png?class=..%2F..%2Fetc'), [400, 404]);
    assertError(await api('GET', '/api/jobs/..%2F..%2Fetc%2Fpasswd'), 404);
    // Uploaded file names: kept by their last component inside the case's folder, nowhere else.
    const jpeg = readFileSync(photo);
    const names = [
      '../../evil-1.jpg',
      '..\\..\\evil-2.jpg',
      '/etc/evil-3.jpg',
      '....//evil-4.jpg',
      '..',
      '.hidden.jpg',
      'evil\u0000-5.jpg',
    ];
    for (const name of names) {
      tried++;
      const r = await api('POST', '/api/cases/c1/files', { form: form([['files', name, jpeg]]) });
      assert.equal(r.status, 200, `${JSON.stringify(name)}: ${r.text}`);
      const kept = r.json.files[0].path as string;
      assert.ok(
        kept.startsWith(join(dataDir, 'cases', 'c1') + '/'),
        `${JSON.stringify(name)} kept at ${kept}`,
      );
    }
    const everywhere = tree(work).filter((p) => /evil/.test(p));
    assert.ok(
      everywhere.every((p) => p.startsWith(join('data', 'cases', 'c1') + '/')),
      `uploaded names stay in the case folder: ${everywhere.join(', ')}`,
    );
    for (const p of everywhere) assert.ok(!/\.\./.test(p), p);
    // Static files: paths sent verbatim never reach a file outside the app's folder.
    for (const path of [
      '/../secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/assets/../../secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..%5csecret.txt',
      '/assets/..%5c..%5csecret.txt',
      '//etc/passwd',
      '/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/index.html%00.js',
      '/%00',
    ]) {
      tried++;
      const r = await rawGet(path);
      assert.ok(!r.body.includes('TOP-SECRET'), `${path}: ${r.status} served the secret`);
      assert.ok(!/root:.*:0:0:/.test(r.body), `${path}: ${r.status} served /etc/passwd`);
      assert.ok([200, 400, 403, 404].includes(r.status), `${path}: ${r.status}`);
      if (r.status === 200) assert.match(r.body, /id="app"/, `${path}: only the app's page`);
    }
    await healthy();
    console.log(
      `security: ${tried} traversal attempts (folders, names, upload names, static paths) → 400/404 or kept inside; nothing outside read or written`,
    );
  });

  test('the token and a database password never reach the log, the output or an answer; no stack traces', async () => {
    const dir = join(work, 'logged');
    const serve = await startServe(dir, ['--rate-limit', '0'], {
      CAMPRINT_TOKEN: TOKEN,
      CAMPRINT_LOG_LEVEL: 'info',
    });
    const wrong = 'wrong-9d8c7b6a5f4e3d2c1b0a';
    try {
      const url = serve.url;
      assert.equal((await api('GET', '/api/cameras', { url })).status, 200);
      assert.equal((await api('GET', '/api/cameras', { url, token: wrong })).status, 401);
      assert.equal((await api('GET', `/api/cameras?token=${wrong}`, { url, token: null })).status, 401);
      assert.equal((await api('POST', '/api/cases', { url, json: { name: '../x' } })).status, 400);
      assert.equal(
        (await api('POST', '/api/identify', { url, form: form([['image', 'x.jpg', new Uint8Array(10)]]) }))
          .status,
        400,
      );
      assert.equal((await api('GET', '/api/nope', { url })).status, 404);
      const events = await fetch(`${url}/api/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
      await events.body?.cancel();
    } finally {
      const r = await serve.stop();
      const out = r.stdout + r.stderr;
      assert.ok(
        /incoming request|request completed/.test(out),
        `info-level request log present: ${out.slice(0, 500)}`,
      );
      assert.ok(!out.includes(TOKEN), 'the token is not in the log or the output');
      assert.ok(!out.includes(TOKEN.slice(4, 20)), 'nor any part of it');
      assert.ok(
        !/"authorization"|Bearer (?!<CAMPRINT_TOKEN>)/i.test(out),
        'no authorization header in the log',
      );
      assert.ok(!/\n\s+at .*\.js:\d+/.test(out), `no stack trace in the log:\n${out.slice(-2000)}`);
      assert.equal(JSON.parse(r.stdout).token, true, 'serve --json says a token is set, not which');
      console.log(
        `security: camprint serve at log level info, ${out.split('\n').length} lines of output: no token, no authorization header, no stack trace`,
      );
    }
    // A PostgreSQL URL's password: never in a message (nothing listens on that port).
    const port = await freePort();
    const password = 'Pg-Secret-3141592653';
    const env = { CAMPRINT_DATABASE_URL: `postgresql://camprint:${password}@127.0.0.1:${port}/lab` };
    for (const args of [
      ['fingerprint', 'list'],
      ['serve', '--port', '0'],
    ]) {
      const r = camprint(['--data-dir', join(work, 'pg'), ...args], env, 60_000);
      assertCliError(r, 2, /127\.0\.0\.1/, args.join(' '));
      assert.ok(!(r.stdout + r.stderr).includes(password), `${args.join(' ')}: the password is not shown`);
    }
  });
});
