/**
 * The web workbench end to end: playwright-core drives Debian's Chromium against a real
 * `camprint serve` on a temporary data directory. Two simulated cameras: their fingerprints are
 * built through the pages (one from a server folder, one from uploaded photos), a photo is
 * identified (camera A ranked first, a match), a data set is made from a server folder, a tiny
 * network trains while its curves grow, its confusion matrix is shown, it classifies two photos,
 * and a case gets a file and a note; a second server with a token makes the page ask for it.
 * Every page is screenshotted at 1280×800 and at 390×844 into test-artifacts/screenshots/; the
 * browser console must stay free of errors, no page may scroll sideways at the narrow width, and
 * the main navigation and the identify flow work by keyboard. The steps run in order, each on
 * what the one before made.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CLI, REPO_ROOT } from '../testing/shared.js';
import { pythonPath } from '../dl/engine.js';

// What the callbacks given to page.evaluate and waitForFunction use: they run in the browser, and
// the root tsconfig has no DOM library (module-scoped declarations, loosely typed).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const location: any;
declare const window: any;
declare const getComputedStyle: any;
declare const sessionStorage: any;
/* eslint-enable @typescript-eslint/no-explicit-any */

const CHROMIUM = '/usr/bin/chromium';
const WEB = join(REPO_ROOT, 'dist', 'web', 'index.html');
const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');
const WIDE = { width: 1280, height: 800 };
const NARROW = { width: 390, height: 844 };
/** Epochs of the tiny training: enough to watch the curves grow (each takes about a second). */
const EPOCHS = 6;

const torch = spawnSync(pythonPath(), ['-c', 'import torch'], { encoding: 'utf8' });
const skip = !existsSync(CHROMIUM)
  ? `needs Debian's Chromium at ${CHROMIUM} (apt-get install chromium)`
  : !existsSync(WEB)
    ? `needs the built web app at ${WEB} (npm run build)`
    : false;
/** The training steps (and what needs a trained model) need the engine's PyTorch. */
const noTorch =
  torch.status === 0
    ? false
    : `needs ${pythonPath()} with PyTorch to train (npm run setup installs python3-torch)`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Serve {
  base: string;
  child: ChildProcess;
  log: () => string;
}

/** `camprint serve` on a free port of 127.0.0.1, answering its health check; a token when given. */
async function serve(dataDir: string, roots: string[], token?: string): Promise<Serve> {
  const env = { ...process.env };
  delete env.CAMPRINT_TOKEN;
  if (token) env.CAMPRINT_TOKEN = token;
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [CLI, '--data-dir', dataDir, 'serve', '--port', String(port), ...roots.flatMap((r) => ['--root', r])],
    { stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  await waitForHealth(base, child, () => log);
  return { base, child, log: () => log };
}

/** SIGTERM (the server stops its jobs and closes), SIGKILL after 5 s. */
async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

async function waitForHealth(base: string, server: ChildProcess, log: () => string): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < 30_000) {
    if (server.exitCode !== null) throw new Error(`camprint serve exited ${server.exitCode}:\n${log()}`);
    try {
      const r = await fetch(`${base}/api/health`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`camprint serve did not answer in 30 s:\n${log()}`);
}

describe('web workbench (Chromium against camprint serve)', { skip }, () => {
  let dir: string;
  let inputs: string;
  let sim: string;
  let server: ChildProcess;
  let serverLog = (): string => '';
  let base: string;
  let browser: Browser;
  let wide: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];
  const shots: string[] = [];
  /** Routes screenshotted at both widths once the tests have filled the database. */
  const routes: [string, string][] = [];

  const watch = (p: Page): void => {
    p.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${p.url()}: ${m.text()}`);
    });
    p.on('pageerror', (e) => consoleErrors.push(`${p.url()}: page error: ${e.message}`));
  };

  const shot = async (p: Page, name: string): Promise<void> => {
    const file = join(SHOTS, `${name}.png`);
    // From the top: a full-page shot of a scrolled page shows the sticky sidebar where it stuck.
    await p.evaluate(() => window.scrollTo(0, 0));
    await p.screenshot({ path: file, fullPage: true });
    shots.push(file);
  };

  /** Goes to a route and waits for its title (and for the loading lines to go). */
  const open = async (p: Page, route: string): Promise<void> => {
    await p.goto(`${base}/#/${route}`);
    await p.locator('main h1').first().waitFor();
    await p.waitForFunction(
      () => document.querySelectorAll('main .loading, main [aria-busy="true"]').length === 0,
    );
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camprint-web-'));
    inputs = join(dir, 'inputs');
    sim = join(inputs, 'sim');
    mkdirSync(SHOTS, { recursive: true });
    for (const f of readdirSync(SHOTS)) if (f.endsWith('.png')) rmSync(join(SHOTS, f));
    // Two cameras (one unit each), strong PRNU so that a 384×256 photo is decidable.
    const s = spawnSync(
      process.execPath,
      [
        CLI,
        'simulate',
        sim,
        '--models',
        '2',
        '--devices',
        '1',
        '--images',
        '6',
        '--flat',
        '6',
        '--size',
        '384x256',
        '--prnu-scale',
        '1',
        '--jpeg-quality',
        '90',
        '--seed',
        '2',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(s.status, 0, s.stderr);
    const s0 = await serve(join(dir, 'data'), [inputs]);
    ({ base, child: server } = s0);
    serverLog = s0.log;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    wide = await browser.newContext({ viewport: WIDE });
    page = await wide.newPage();
    watch(page);
  });

  after(async () => {
    await browser?.close();
    await stop(server);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the main navigation works by keyboard (Tab to a link, Enter)', async () => {
    await open(page, '');
    await shot(page, 'home-empty-1280');
    routes.push(['', 'home'], ['identify', 'identify']);
    await page.locator('body').focus();
    for (const [text, hash] of [
      ['Cameras', '#/cameras'],
      ['Data sets', '#/datasets'],
      ['Jobs', '#/'],
    ]) {
      let found = false;
      for (let i = 0; i < 20 && !found; i++) {
        await page.keyboard.press('Tab');
        found = await page.evaluate(
          (h) =>
            document.activeElement?.closest('nav[aria-label="Main"]') !== null &&
            document.activeElement?.getAttribute('href') === h,
          hash,
        );
      }
      assert.ok(found, `Tab reaches the ${text} link`);
      const ring = await page.evaluate(() => getComputedStyle(document.activeElement!).boxShadow);
      assert.notEqual(ring, 'none', 'the focused link shows a focus ring');
      await page.keyboard.press('Enter');
      await page.waitForFunction((h) => location.hash === h || (h === '#/' && location.hash === ''), hash);
      // The new page's title has the focus, so Tab goes on from the top of the content.
      await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    }
  });

  test('fingerprints built through the page: a server folder and uploaded photos', async () => {
    await open(page, 'cameras');
    // Camera A from a folder on the server, found with the folder browser.
    await page.fill('#build-camera', 'A');
    await page.fill('#build-model', 'SimCam01');
    await page.click('text=Browse…');
    for (const [name, path] of [
      [/^sim$/, /\/sim$/],
      [/^SimCam01_0$/, /\/sim\/SimCam01_0$/],
      [/^flat$/, /\/sim\/SimCam01_0\/flat$/],
    ]) {
      await page.getByRole('button', { name }).click();
      await page.waitForFunction(
        (re) => new RegExp(re).test(document.querySelector('#build-folder').value),
        path.source,
      );
    }
    await page.click('button:has-text("Build fingerprint")');
    await page.locator('.job-watch[data-status="done"]').waitFor({ timeout: 60_000 });
    await page.locator('#camera-table a', { hasText: 'A' }).first().waitFor();

    // Camera B from six uploaded photos.
    await page.fill('#build-camera', 'B');
    await page.fill('#build-model', 'SimCam02');
    await page.check('input[name="build-source"][value="upload"]');
    const flat = join(sim, 'SimCam02_0', 'flat');
    await page.setInputFiles(
      '#build-files',
      readdirSync(flat).map((f) => join(flat, f)),
    );
    await page.click('button:has-text("Build fingerprint")');
    await page.locator('.job-watch[data-status="done"]').waitFor({ timeout: 60_000 });
    await page.locator('#camera-table tbody tr').nth(1).waitFor();
    const names = await page.locator('#camera-table tbody th').allTextContents();
    assert.deepEqual(names.sort(), ['A', 'B']);
    routes.push(['cameras', 'cameras'], ['cameras/A', 'camera']);

    await open(page, 'cameras/A');
    await page.locator('.fingerprint-pictures img').nth(1).waitFor();
  });

  test('identify by keyboard: camera A ranked first, a match', async () => {
    await open(page, 'identify');
    await page.locator('main h1').focus();
    const photo = join(sim, 'SimCam01_0', 'natural', 'SimCam01_0_nat_000.jpg');
    // Tab to the drop zone's file input; Space opens the file chooser (as it presses a button; Enter
    // does too, but headless Chromium does not reliably report that one to playwright).
    let onInput = false;
    for (let i = 0; i < 10 && !onInput; i++) {
      await page.keyboard.press('Tab');
      onInput = await page.evaluate(() => document.activeElement?.id === 'identify-file');
    }
    assert.ok(onInput, 'Tab reaches the photo input');
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser', { timeout: 10_000 }),
      page.keyboard.press('Space'),
    ]);
    await chooser.setFiles(photo);
    let onButton = false;
    for (let i = 0; i < 10 && !onButton; i++) {
      await page.keyboard.press('Tab');
      onButton = await page.evaluate(() => document.activeElement?.textContent?.trim() === 'Identify');
    }
    assert.ok(onButton, 'Tab reaches the Identify button');
    await page.keyboard.press('Enter');
    await page.locator('#ranking tbody tr').first().waitFor({ timeout: 60_000 });
    const first = page.locator('#ranking tbody tr').first();
    assert.equal(await first.getAttribute('data-camera'), 'A');
    assert.equal(await first.locator('.decision').getAttribute('data-decision'), 'match');
    assert.match(await first.locator('.decision').innerText(), /match/);
    const second = page.locator('#ranking tbody tr').nth(1);
    assert.equal(await second.getAttribute('data-camera'), 'B');
    assert.equal(await second.locator('.decision').getAttribute('data-decision'), 'no-match');
    assert.match(await page.locator('.verdict').innerText(), /Match: A/);
    await page.locator('#identify-surface svg').waitFor();
    await page.locator('#identify-evidence').waitFor();
    await shot(page, 'identify-result-1280');
  });

  test('a data set from a server folder', async () => {
    await open(page, 'datasets');
    await page.fill('#ds-name', 'sims');
    await page.fill('#ds-folder', join(sim));
    await page.fill('#ds-crop', '32');
    await page.fill('#ds-crops', '6');
    await page.fill('#ds-split', '50/25/25');
    await page.click('button:has-text("Create data set")');
    // Done: the page moves to the data set's own page.
    await page.waitForFunction(() => location.hash === '#/datasets/sims', null, { timeout: 60_000 });
    await page.locator('#class-counts tbody tr').nth(1).waitFor();
    const classes = await page.locator('#class-counts tbody th').allTextContents();
    assert.deepEqual(classes, ['SimCam01_0', 'SimCam02_0']);
    await page.locator('.examples img').nth(1).waitFor();
    routes.push(['datasets', 'datasets'], ['datasets/sims', 'dataset']);
  });

  test(
    'a tiny model trains and its curves grow while it does',
    { skip: noTorch, timeout: 120_000 },
    async () => {
      await open(page, 'models');
      await page.fill('#model-name', 'tiny');
      await page.selectOption('#model-dataset', 'sims');
      await page.selectOption('#model-network', 'camnet');
      await page.fill('#model-epochs', String(EPOCHS));
      await page.fill('#model-batch', '16');
      await page.fill('#model-lr', '0.002');
      await page.click('button:has-text("Train model")');
      await page.waitForFunction(() => location.hash === '#/models/tiny');
      // Watch the epoch counter as the model trains: it must move through the epochs.
      const seen = new Set<number>();
      let midway = false;
      const t0 = Date.now();
      while (Date.now() - t0 < 100_000) {
        const [n, status] = await page.evaluate(() => [
          Number(document.querySelector('.epoch-counter')?.getAttribute('data-epochs') ?? 0),
          document.querySelector('.model-status .badge')?.textContent ?? '',
        ]);
        seen.add(n);
        if (status === 'done' || status === 'failed') break;
        if (!midway && status === 'training' && n >= 2 && n < EPOCHS) {
          // The curves part-way, as a person watching the training sees them.
          await page.locator('.curve-loss svg').waitFor();
          await shot(page, 'model-training-1280');
          // The home page meanwhile: the training among the running jobs, with its progress bar.
          const home = await wide.newPage();
          watch(home);
          await open(home, '');
          await home.locator('.job-running[data-kind="train"] [role="progressbar"]').waitFor();
          await shot(home, 'home-training-1280');
          await home.close();
          midway = true;
        }
        await page.waitForTimeout(100);
      }
      const status = await page.locator('.model-status .badge').innerText();
      assert.equal(status, 'done', `training ended ${status}:\n${serverLog().slice(-2000)}`);
      const counts = [...seen].sort((a, b) => a - b);
      assert.ok(
        counts.some((n) => n > 0 && n < EPOCHS),
        `the curve was seen part-way, not only at the end: ${counts}`,
      );
      await page.waitForFunction(
        (e) => document.querySelector('.epoch-counter')?.getAttribute('data-epochs') === e,
        String(EPOCHS),
      );
      const points = await page.locator('.curve-accuracy').getAttribute('data-points');
      assert.ok(Number(points) >= 2, `≥ 2 points on the accuracy curve (${points})`);
      assert.ok((await page.locator('.curve-accuracy svg path').count()) > 0, 'the curve is drawn');
      routes.push(['models', 'models'], ['models/tiny', 'model']);
    },
  );

  test('the evaluation page shows the confusion matrix', { skip: noTorch, timeout: 60_000 }, async () => {
    await open(page, 'models/tiny/evaluation');
    await page.click('button:has-text("Evaluate")');
    await page.locator('#confusion-matrix svg').waitFor({ timeout: 45_000 });
    const cells = await page
      .locator(
        '#confusion-matrix svg path[aria-roledescription="rect mark"], #confusion-matrix svg .mark-rect path',
      )
      .count();
    assert.ok(cells >= 4, `a 2×2 heat map (${cells} cells)`);
    assert.deepEqual(await page.locator('.confusion-table tbody th').allTextContents(), [
      'SimCam01_0',
      'SimCam02_0',
    ]);
    await page.locator('#eval-per-class svg').waitFor();
    routes.push(['models/tiny/evaluation', 'evaluation']);
  });

  test('the model classifies two uploaded photos', { skip: noTorch }, async () => {
    await open(page, 'models/tiny');
    await page.setInputFiles('#classify-files', [
      join(sim, 'SimCam01_0', 'natural', 'SimCam01_0_nat_003.jpg'),
      join(sim, 'SimCam02_0', 'natural', 'SimCam02_0_nat_003.jpg'),
    ]);
    await page.click('button:has-text("Classify")');
    await page.locator('#classify-results tbody tr').nth(1).waitFor({ timeout: 30_000 });
    const files = await page.locator('#classify-results tbody td.path').allTextContents();
    assert.deepEqual(files, ['SimCam01_0_nat_003.jpg', 'SimCam02_0_nat_003.jpg']);
    await shot(page, 'model-classified-1280');
  });

  test(
    'a training stopped keeps its epochs; resumed, it goes on',
    { skip: noTorch, timeout: 120_000 },
    async () => {
      const epochs = async (): Promise<number> =>
        Number(
          await page.evaluate(
            () => document.querySelector('.epoch-counter')?.getAttribute('data-epochs') ?? 0,
          ),
        );
      const status = (s: string, timeout = 60_000) =>
        page.waitForFunction((t) => document.querySelector('.model-status .badge')?.textContent === t, s, {
          timeout,
        });
      await open(page, 'models');
      await page.fill('#model-name', 'long');
      await page.selectOption('#model-dataset', 'sims');
      await page.fill('#model-epochs', '200');
      await page.fill('#model-batch', '16');
      await page.click('button:has-text("Train model")');
      await page.waitForFunction(() => location.hash === '#/models/long');
      await page.waitForFunction(
        () => Number(document.querySelector('.epoch-counter')?.getAttribute('data-epochs')) >= 1,
        null,
        {
          timeout: 60_000,
        },
      );
      await page.click('button:has-text("Stop training")');
      await status('stopped');
      const kept = await epochs();
      assert.ok(kept >= 1, `the epochs done are kept (${kept})`);
      await shot(page, 'model-stopped-1280');
      await page.click('button:has-text("Resume training")');
      await status('training');
      await page.waitForFunction(
        (k) => Number(document.querySelector('.epoch-counter')?.getAttribute('data-epochs')) > k,
        kept,
        { timeout: 60_000 },
      );
      await page.click('button:has-text("Stop training")');
      await status('stopped');
    },
  );

  test('a case with an evidence file and a note', async () => {
    await open(page, 'cases');
    await page.fill('#case-name', 'case-001');
    await page.fill('#case-title', 'Questioned photos');
    await page.fill('#case-examiner', 'E2E');
    await page.click('button:has-text("Open case")');
    await page.waitForFunction(() => location.hash === '#/cases/case-001');
    await page.locator('#case-files').waitFor();
    await page.setInputFiles('#case-files', join(sim, 'SimCam01_0', 'natural', 'SimCam01_0_nat_001.jpg'));
    await page.click('button:has-text("Add files")');
    await page.locator('#case-files-table tbody tr').first().waitFor();
    await page.fill('#case-note', 'PCE ranks camera A first.');
    await page.click('button:has-text("Add note")');
    await page.locator('.notes li', { hasText: 'PCE ranks camera A first.' }).waitFor();
    routes.push(['cases', 'cases'], ['cases/case-001', 'case']);
  });

  test('every page at 1280×800 and at 390 px wide, without sideways scrolling', async () => {
    const narrow = await browser.newContext({ viewport: NARROW, isMobile: true, hasTouch: true });
    const p = await narrow.newPage();
    watch(p);
    try {
      for (const [route, name] of routes) {
        await open(page, route);
        await shot(page, `${name}-1280`);
        await open(p, route);
        const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `#/${route} overflows by ${overflow} px at 390 px`);
        await shot(p, `${name}-390`);
      }
      // The identify page with its answer, narrow.
      await open(p, 'identify');
      await p.setInputFiles('#identify-file', join(sim, 'SimCam01_0', 'natural', 'SimCam01_0_nat_002.jpg'));
      // With the trained model: its top classes come with the PCE ranking.
      if (!noTorch) await p.selectOption('#identify-model', 'tiny');
      await p.click('button:has-text("Identify")');
      await p.locator('#ranking tbody tr').first().waitFor({ timeout: 60_000 });
      assert.equal(await p.locator('#ranking tbody tr').first().getAttribute('data-camera'), 'A');
      await p.locator('#identify-surface svg').waitFor();
      if (!noTorch)
        assert.equal(await p.locator('#identify-cnn .top-list li').count(), 2, "the CNN's two classes");
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the identify answer overflows by ${overflow} px at 390 px`);
      await shot(p, 'identify-result-390');
    } finally {
      await narrow.close();
    }
  });

  test('a server with a token: the page asks for it once, then works', async () => {
    const secured = await serve(join(dir, 'data-token'), [inputs], 'e2e-secret-token');
    const ctx = await browser.newContext({ viewport: WIDE });
    try {
      // Not watched: the first calls answer 401 by design (Chromium logs those as errors).
      const p = await ctx.newPage();
      await p.goto(`${secured.base}/#/cameras`);
      const dialog = p.locator('dialog.token-dialog[open]');
      await dialog.waitFor();
      await shot(p, 'token-1280');
      assert.equal(
        await p.evaluate(() => document.activeElement?.id),
        'token-input',
        'the token field has the focus',
      );
      await p.keyboard.type('e2e-secret-token');
      await p.keyboard.press('Enter');
      await dialog.waitFor({ state: 'detached' }).catch(() => dialog.waitFor({ state: 'hidden' }));
      await p.locator('#cameras-list .empty').waitFor();
      assert.equal(await p.evaluate(() => sessionStorage.getItem('camprint.token')), 'e2e-secret-token');
      assert.equal(await p.locator('dialog.token-dialog[open]').count(), 0, 'asked once');
    } finally {
      await ctx.close();
      await stop(secured.child);
    }
  });

  test('no errors in the browser console', () => {
    assert.deepEqual(consoleErrors, []);
    assert.ok(shots.length >= 10, `${shots.length} screenshots in ${SHOTS}`);
  });
});
