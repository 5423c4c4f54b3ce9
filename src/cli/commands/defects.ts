/** `camprint defects build|match|list`: defective-pixel maps (evidence/defects.ts). */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { table } from '../context.js';
import { DEFECT_DEFAULTS, DefectAccumulator, matchDefects, scoreFrame } from '../../evidence/index.js';
import { listImages } from '../../image/index.js';
import type { ImageInput } from '../../store/index.js';
import { InputError } from '../../util/errors.js';
import { cameraName, positiveInt, positiveNumber } from '../options.js';

export function registerDefects(program: Command, ctx: () => Context): void {
  const cmd = program.command('defects').description('hot, stuck and dead pixel maps of cameras');

  cmd
    .command('build <frames...>')
    .description(
      "estimate a camera's defect map from dark frames, flat-fields or many natural photos (files or folders): " +
        'the pixels that stay outliers across frames',
    )
    .requiredOption('--camera <name>', 'the camera the frames come from')
    .option('--model <model>', 'camera model (recorded with the camera)')
    .option('--device <id>', 'device / serial (recorded with the camera)')
    .option(
      '--threshold <z>',
      'robust z-score above which a pixel is an outlier in one frame',
      String(DEFECT_DEFAULTS.threshold),
    )
    .option(
      '--alpha <a>',
      'false defects allowed per map by the consistency rule',
      String(DEFECT_DEFAULTS.alpha),
    )
    .option('--radius <r>', 'distance of the reference pixels', String(DEFECT_DEFAULTS.radius))
    .option('--max-pixels <n>', 'refuse images larger than this many pixels', '200000000')
    .action(async (paths: string[], o: Record<string, unknown>) => {
      const c = ctx();
      const camera = cameraName('--camera', o.camera);
      const threshold = positiveNumber('--threshold', o.threshold);
      const alpha = positiveNumber('--alpha', o.alpha);
      const radius = positiveInt('--radius', o.radius);
      const maxPixels = positiveInt('--max-pixels', o.maxPixels);
      const files = listImages(paths);
      if (files.length < 2)
        throw new InputError(
          `${paths.join(', ')}: ${files.length} images found; a map needs 2 or more frames`,
        );
      const t0 = performance.now();
      let acc: DefectAccumulator | undefined;
      const sources: ImageInput[] = [];
      const bar = c.progress(`defects ${camera}`, files.length);
      try {
        for (const file of files) {
          const f = await scoreFrame(file, { radius, maxPixels });
          acc ??= new DefectAccumulator(f.width, f.height, { radius, threshold, alpha });
          if (f.width !== acc.width || f.height !== acc.height)
            throw new InputError(
              `${file}: ${f.width}×${f.height}, but the first frame is ${acc.width}×${acc.height}`,
            );
          acc.add(f.z);
          sources.push(f.image);
          bar.tick(sources.length, file);
        }
      } finally {
        bar.stop();
      }
      const est = acc!.result();
      const store = await c.openStore();
      await store.putDefectMap({
        camera,
        model: o.model ? String(o.model) : undefined,
        device: o.device ? String(o.device) : undefined,
        width: acc!.width,
        height: acc!.height,
        frames: est.frames,
        params: { ...est.params, minHits: est.minHits, rates: est.rates },
        defects: est.defects,
        sources,
      });
      const doc = {
        camera,
        frames: est.frames,
        width: acc!.width,
        height: acc!.height,
        minHits: est.minHits,
        rates: est.rates,
        count: est.defects.length,
        defects: est.defects,
        seconds: (performance.now() - t0) / 1000,
      };
      c.output(
        doc,
        () =>
          `${camera}: ${doc.count} defective pixels from ${doc.frames} frames ${doc.width}×${doc.height} ` +
          `(an outlier in ≥ ${doc.minHits} frames; per-frame outlier rate ${(est.rates.bright + est.rates.dark).toExponential(2)})` +
          (doc.count > 0
            ? '\n' +
              table([
                ['x', 'y', 'kind', 'score', 'hits'],
                ...est.defects.slice(0, 50).map((d) => [d.x, d.y, d.kind, d.score, d.hits]),
              ])
            : ''),
      );
    });

  cmd
    .command('match <image>')
    .description(
      "compare a photo's outlier pixels with a camera's defect map: hits and the chance of a coincidence",
    )
    .requiredOption('--camera <name>', 'the camera whose map to compare with')
    .option(
      '--max-p <p>',
      'coincidence probability at or below which it is a match',
      String(DEFECT_DEFAULTS.maxP),
    )
    .option('--max-pixels <n>', 'refuse images larger than this many pixels', '200000000')
    .action(async (image: string, o: Record<string, unknown>) => {
      const c = ctx();
      const camera = cameraName('--camera', o.camera);
      const maxP = positiveNumber('--max-p', o.maxP);
      const store = await c.openStore();
      const map = await store.getDefectMap(camera);
      if (!map)
        throw new InputError(
          `no defect map named ${JSON.stringify(camera)} in the store (see \`camprint defects list\`)`,
        );
      const radius = typeof map.params.radius === 'number' ? map.params.radius : DEFECT_DEFAULTS.radius;
      const threshold =
        typeof map.params.threshold === 'number' ? map.params.threshold : DEFECT_DEFAULTS.threshold;
      const f = await scoreFrame(image, { radius, maxPixels: positiveInt('--max-pixels', o.maxPixels) });
      if (f.width !== map.width || f.height !== map.height)
        throw new InputError(
          `${image}: ${f.width}×${f.height} is not comparable with ${camera}'s ${map.width}×${map.height} defect map (same size, same orientation only)`,
        );
      const r = matchDefects(f.z, f.width, f.height, map.defects, { radius, threshold, maxP });
      await store.recordEvidence({
        image: f.image,
        action: 'defects.match',
        details: {
          camera,
          hits: r.hits,
          tested: r.tested,
          outliers: r.outliers,
          pCoincidence: r.pCoincidence,
          match: r.match,
        },
      });
      const doc = { file: image, sha256: f.image.sha256, camera, ...r };
      c.output(
        doc,
        () =>
          `${image} vs ${camera}: ${r.hits} of ${r.tested} map defects are outliers in the photo ` +
          `(${r.expectedByChance.toFixed(2)} expected by chance; the photo has ${r.outliers} outliers in ${r.pixels} pixels)\n` +
          `  P(coincidence) = ${r.pCoincidence < 1e-4 ? `1e${r.log10PCoincidence.toFixed(1)}` : r.pCoincidence.toPrecision(3)} → ${r.match ? 'match' : 'no match'}`,
      );
    });

  cmd
    .command('list')
    .description('list the stored defect maps')
    .action(async () => {
      const c = ctx();
      const store = await c.openStore();
      const maps = (await store.listDefectMaps()).map((m) => ({
        camera: m.camera,
        width: m.width,
        height: m.height,
        frames: m.frames,
        defects: m.defects.length,
        createdAt: m.createdAt,
      }));
      c.output({ maps }, () =>
        maps.length === 0
          ? 'no defect maps (`camprint defects build <frames> --camera <name>`)'
          : table([
              ['camera', 'size', 'frames', 'defects', 'created'],
              ...maps.map((m) => [m.camera, `${m.width}×${m.height}`, m.frames, m.defects, m.createdAt]),
            ]),
      );
    });
}
