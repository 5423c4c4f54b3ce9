import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { Context } from '../context.js';
import { table, fmt } from '../context.js';
import { buildFingerprint, saveFingerprint } from '../../services/index.js';
import { listImages } from '../../image/index.js';
import { readNpy, npyToFloat32, writeNpyFloat32 } from '../../util/npy.js';
import { InputError } from '../../util/errors.js';
import { cameraName } from '../options.js';
import { residualOptions, addResidualOptions } from './shared.js';

export function registerFingerprint(program: Command, ctx: () => Context): void {
  const fp = program.command('fingerprint').description('build, import and list camera fingerprints');

  addResidualOptions(
    fp
      .command('build <paths...>')
      .description('estimate a camera fingerprint from images (files or folders; flat-fields are best)')
      .requiredOption('--camera <name>', 'name to store the fingerprint under')
      .option('--model <model>', 'camera model (recorded with the camera)')
      .option('--device <id>', 'device / serial (recorded with the camera)')
      .option('--out <file.npy>', 'also write K as float32 .npy'),
  ).action(async (paths: string[], o: Record<string, unknown>) => {
    const c = ctx();
    const camera = cameraName('--camera', o.camera);
    const ropts = residualOptions(o);
    const files = listImages(paths);
    if (files.length === 0)
      throw new InputError(`${paths.join(', ')}: no images found (JPEG, PNG, TIFF or WebP)`);
    const t0 = performance.now();
    const bar = c.progress(`fingerprint ${camera}`, files.length);
    const built = await buildFingerprint(files, {
      ...ropts,
      onProgress: (d, _t, f) => bar.tick(d, f),
    }).finally(() => bar.stop());
    if (o.out) await writeNpyFloat32(resolve(String(o.out)), built.fingerprint, [built.height, built.width]);
    const store = await c.openStore();
    await saveFingerprint(store, camera, built, {
      model: o.model ? String(o.model) : undefined,
      device: o.device ? String(o.device) : undefined,
    });
    const seconds = (performance.now() - t0) / 1000;
    const doc = {
      camera,
      images: built.sources.length,
      width: built.width,
      height: built.height,
      seconds,
      quality: {
        meanPce: built.quality.meanPce,
        minPce: built.quality.minPce,
        prnuEnergy: built.quality.prnuEnergy,
        perImagePce: built.quality.perImagePce,
      },
      out: o.out ? String(o.out) : undefined,
    };
    c.output(
      doc,
      () =>
        `${camera}: fingerprint ${built.width}×${built.height} from ${doc.images} images in ${seconds.toFixed(1)} s` +
        `\n  quality: mean leave-one-out PCE ${fmt(built.quality.meanPce)} (min ${fmt(built.quality.minPce)}), PRNU energy ${built.quality.prnuEnergy.toExponential(3)}`,
    );
  });

  fp.command('import <file>')
    .description('import a fingerprint K from a float32/float64 .npy of shape (height, width)')
    .requiredOption('--camera <name>', 'name to store the fingerprint under')
    .action(async (file: string, o: Record<string, unknown>) => {
      const c = ctx();
      const camera = cameraName('--camera', o.camera);
      const arr = readNpy(file);
      if (arr.shape.length !== 2)
        throw new InputError(
          `${file}: expected a 2-D array (height, width), got shape (${arr.shape.join(', ')})`,
        );
      if (arr.dtype !== '<f4' && arr.dtype !== '<f8' && arr.dtype !== '<f2')
        throw new InputError(`${file}: expected float data (float16/32/64), got ${arr.dtype}`);
      const [height, width] = arr.shape;
      if (height < 16 || width < 16)
        throw new InputError(`${file}: fingerprint ${width}×${height} is too small (16×16 at least)`);
      const data = npyToFloat32(arr);
      for (let i = 0; i < data.length; i++) {
        if (!Number.isFinite(data[i]))
          throw new InputError(`${file}: value ${data[i]} at index ${i} is not finite`);
      }
      const store = await c.openStore();
      await store.putFingerprint({
        camera,
        width,
        height,
        images: 0,
        quality: { imported: file },
        params: { method: 'imported', source: resolve(file) },
        data,
        sources: [],
      });
      c.output(
        { camera, width, height },
        () => `${camera}: imported ${width}×${height} fingerprint from ${file}`,
      );
    });

  fp.command('list')
    .description('list the stored fingerprints')
    .action(async () => {
      const c = ctx();
      const store = await c.openStore();
      const list = await store.listFingerprints();
      const cameras = list.map((r) => ({
        camera: r.camera,
        images: r.images,
        width: r.width,
        height: r.height,
        meanPce: (r.quality as { meanPce?: number }).meanPce ?? null,
        createdAt: r.createdAt,
      }));
      c.output({ cameras }, () =>
        cameras.length === 0
          ? `no fingerprints in ${c.dataDir}`
          : table([
              ['camera', 'images', 'size', 'mean PCE', 'created'],
              ...cameras.map((r) => [
                r.camera,
                r.images,
                `${r.width}×${r.height}`,
                fmt(r.meanPce),
                r.createdAt,
              ]),
            ]),
      );
    });
}
