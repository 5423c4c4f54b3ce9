import type { Command } from 'commander';
import { resolve, basename, join } from 'node:path';
import { Context, table, fmt } from '../context.js';
import { simulate } from '../../sim/index.js';
import { buildFingerprint, matchFile, saveFingerprint } from '../../services/index.js';
import { addSimulationOptions, simulationOptions } from './simulate.js';

/**
 * The end-to-end demo on cameras camprint simulates itself: cameras → flat-field fingerprints →
 * every natural photo matched against every camera, with decisions and a confusion summary.
 */
export function registerDemo(program: Command, ctx: () => Context): void {
  addSimulationOptions(
    program
      .command('demo')
      .description('end-to-end demo: simulate cameras, build their fingerprints, match their photos')
      .option('--dir <dir>', 'where the simulated photos go', 'camprint-demo'),
    // 1 MP photos carry a sixth of a 6 MP photo's PRNU energy: the demo's PRNU is twice the realistic one.
    { images: '3', flat: '8', seed: '7', prnuScale: '0.6' },
  ).action(async (o: Record<string, unknown>) => {
    const base = ctx();
    const dir = resolve(String(o.dir));
    // The demo keeps its own store beside its photos unless --data-dir is given.
    const c = base.global.dataDir
      ? base
      : new Context({ ...base.global, dataDir: join(dir, 'store'), databaseUrl: null });
    const t0 = performance.now();
    c.log(`simulating cameras in ${dir} …`);
    const sim = await simulate(simulationOptions(dir, o));
    const store = await c.openStore();
    const fingerprints = [];
    for (const cam of sim.cameras) {
      c.log(`fingerprint ${cam.camera} from ${cam.flat.length} flat-fields …`);
      const built = await buildFingerprint(cam.flat);
      await saveFingerprint(store, cam.camera, built, { model: cam.model, device: String(cam.device) });
      fingerprints.push({
        camera: cam.camera,
        width: built.width,
        height: built.height,
        data: built.fingerprint,
        meanPce: built.quality.meanPce,
      });
    }
    const matches: {
      file: string;
      truth: string;
      results: { camera: string; pce: number | null; pFalseAlarm: number | null; match: boolean }[];
    }[] = [];
    const summary = { truePositives: 0, falseNegatives: 0, falsePositives: 0, trueNegatives: 0 };
    for (const cam of sim.cameras) {
      for (const file of cam.natural) {
        c.log(`matching ${basename(file)} …`);
        const report = await matchFile(file, fingerprints);
        const results = report.results.map((r) => ({
          camera: r.camera,
          pce: r.pce,
          pFalseAlarm: r.pFalseAlarm,
          match: r.match,
        }));
        for (const r of results) {
          const same = r.camera === cam.camera;
          if (same && r.match) summary.truePositives++;
          else if (same) summary.falseNegatives++;
          else if (r.match) summary.falsePositives++;
          else summary.trueNegatives++;
        }
        matches.push({ file, truth: cam.camera, results });
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const doc = {
      dir,
      dataDir: c.dataDir,
      cameras: fingerprints.map((f) => ({
        camera: f.camera,
        width: f.width,
        height: f.height,
        meanPce: f.meanPce,
      })),
      matches,
      summary,
      seconds,
    };
    const names = fingerprints.map((f) => f.camera);
    c.output(doc, () =>
      [
        `PCE of each natural photo (rows) against each camera's flat-field fingerprint (columns); * = match (PCE > 60)`,
        table([
          ['photo', 'true camera', ...names],
          ...matches.map((m) => [
            basename(m.file),
            m.truth,
            ...m.results.map((r) => `${fmt(r.pce)}${r.match ? ' *' : ''}`),
          ]),
        ]),
        '',
        `correct matches ${summary.truePositives}/${summary.truePositives + summary.falseNegatives}, ` +
          `false matches ${summary.falsePositives}/${summary.falsePositives + summary.trueNegatives} ` +
          `(same-model units differ only by their PRNU) — ${seconds.toFixed(1)} s`,
        `photos: ${dir}   store: ${c.dataDir}`,
      ].join('\n'),
    );
    if (c !== base) await c.close();
  });
}
