import type { Command } from 'commander';
import { resolve, basename, join } from 'node:path';
import { Context, table, fmt } from '../context.js';
import { simulate } from '../../sim/index.js';
import { buildFingerprint, matchFile } from '../../services/index.js';
import { positiveInt, nonNegativeNumber, size } from '../options.js';

/**
 * The end-to-end demo on cameras camprint simulates itself: cameras → flat-field fingerprints →
 * every natural photo matched against every camera, with decisions and a confusion summary.
 */
export function registerDemo(program: Command, ctx: () => Context): void {
  program
    .command('demo')
    .description('end-to-end demo: simulate cameras, build their fingerprints, match their photos')
    .option('--dir <dir>', 'where the simulated photos go', 'camprint-demo')
    .option('--models <m>', 'camera models', '2')
    .option('--devices <d>', 'devices per model (same model: they differ only by PRNU)', '2')
    .option('--images <n>', 'natural photos per device', '3')
    .option('--flat <f>', 'flat-fields per device for the fingerprint', '8')
    .option('--size <WxH>', 'sensor size', '1024x768')
    .option('--seed <s>', 'random seed', '7')
    .option(
      '--prnu-scale <x>',
      'PRNU strength (simulate --prnu-scale); 1 MP photos need more than 6 MP ones',
      '0.6',
    )
    .action(async (o: Record<string, unknown>) => {
      const base = ctx();
      const dir = resolve(String(o.dir));
      // The demo keeps its own store beside its photos unless --data-dir is given.
      const c = base.global.dataDir ? base : new Context({ ...base.global, dataDir: join(dir, 'store') });
      const [width, height] = size('--size', o.size);
      const t0 = performance.now();
      c.log(`simulating cameras in ${dir} …`);
      const sim = await simulate({
        dir,
        models: positiveInt('--models', o.models),
        devices: positiveInt('--devices', o.devices),
        images: positiveInt('--images', o.images),
        flat: positiveInt('--flat', o.flat),
        width,
        height,
        seed: positiveInt('--seed', o.seed),
        prnuScale: nonNegativeNumber('--prnu-scale', o.prnuScale),
      });
      const store = await c.openStore();
      const fingerprints = [];
      for (const cam of sim.cameras) {
        c.log(`fingerprint ${cam.camera} from ${cam.flat.length} flat-fields …`);
        const built = await buildFingerprint(cam.flat);
        await store.putFingerprint({
          camera: cam.camera,
          model: cam.model,
          device: String(cam.device),
          width: built.width,
          height: built.height,
          images: built.sources.length,
          quality: { ...built.quality },
          params: built.params,
          data: built.fingerprint,
          sources: built.sources.map((s) => ({
            sha256: s.sha256,
            path: s.file,
            width: s.width,
            height: s.height,
            format: s.format,
            orientation: s.orientation,
          })),
        });
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
