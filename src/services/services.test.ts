/**
 * Simulated cameras end to end through the services: flat-field fingerprints match their own
 * unit's photos and not the other unit of the same model (units of a model differ only by PRNU).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { simulate, type SimulatedCamera } from '../sim/index.js';
import { buildFingerprint, matchFile, type CandidateFingerprint } from './index.js';
import { closePool } from '../pool/index.js';
import { CLI } from '../testing/shared.js';

let dir: string;
let cameras: SimulatedCamera[];
const fingerprints: CandidateFingerprint[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'camprint-services-'));
  // 512×384 photos carry 1/30 of a 6 MP photo's PRNU energy: the PRNU is set strong (prnuScale 1,
  // K std 0.01–0.02) so that every photo is decidable; the realistic default 0.3 is for the demo.
  const sim = await simulate({
    prnuScale: 1,
    dir,
    models: 2,
    devices: 2,
    images: 3,
    flat: 8,
    width: 512,
    height: 384,
    seed: 5,
  });
  cameras = sim.cameras;
});
after(async () => {
  await closePool();
  rmSync(dir, { recursive: true, force: true });
});

test('fingerprints from flat-fields: quality figures, and the same images give the same bits', async () => {
  for (const cam of cameras) {
    const built = await buildFingerprint(cam.flat);
    assert.equal(built.sources.length, 8);
    assert.deepEqual(
      built.sources.map((s) => s.file),
      cam.flat,
      'sources in the order given',
    );
    assert.ok(built.quality.meanPce! > 60, `${cam.camera}: leave-one-out PCE ${built.quality.meanPce}`);
    assert.ok(built.quality.prnuEnergy > 0);
    fingerprints.push({
      camera: cam.camera,
      width: built.width,
      height: built.height,
      data: built.fingerprint,
    });
  }
  const again = await buildFingerprint(cameras[0].flat);
  assert.deepEqual(Buffer.from(again.fingerprint.buffer), Buffer.from(fingerprints[0].data.buffer));
});

test('each natural photo matches its own unit, not the other unit of its model nor another model', async () => {
  for (const cam of cameras) {
    for (const file of cam.natural) {
      const report = await matchFile(file, fingerprints);
      for (const r of report.results) {
        if (r.camera === cam.camera) assert.ok(r.match, `${file} vs own unit: PCE ${r.pce}`);
        else assert.ok(!r.match && r.pce! < 30, `${file} vs ${r.camera}: PCE ${r.pce}`);
      }
    }
  }
});

test('identify via the CLI ranks the true unit first (JSON contract fields)', () => {
  const store = join(dir, 'store');
  for (const cam of cameras) {
    const r = spawnSync(
      process.execPath,
      [
        CLI,
        '--data-dir',
        store,
        '--json',
        'fingerprint',
        'build',
        join(dir, cam.camera, 'flat'),
        '--camera',
        cam.camera,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    for (const key of ['camera', 'images', 'width', 'height', 'seconds']) assert.ok(key in doc, key);
  }
  const photo = cameras[3].natural[0];
  const r = spawnSync(
    process.execPath,
    [CLI, '--data-dir', store, '--json', 'identify', photo, '--top', '2'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.file, photo);
  assert.equal(typeof doc.seconds, 'number');
  assert.equal(doc.candidates.length, 2);
  assert.equal(doc.candidates[0].camera, cameras[3].camera);
  assert.equal(doc.candidates[0].match, true);
  assert.ok(doc.candidates[0].pce > doc.candidates[1].pce);
  const list = JSON.parse(
    spawnSync(process.execPath, [CLI, '--data-dir', store, '--json', 'fingerprint', 'list'], {
      encoding: 'utf8',
    }).stdout,
  );
  assert.deepEqual(
    list.cameras.map((c: { camera: string; images: number }) => [c.camera, c.images]),
    cameras.map((c) => [c.camera, 8]),
  );
});
