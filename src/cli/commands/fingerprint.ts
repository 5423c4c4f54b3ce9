import type { Command } from 'commander';
import { readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Context } from '../context.js';
import { table, fmt } from '../context.js';
import { buildFingerprint, saveFingerprint } from '../../services/index.js';
import { listImages } from '../../image/index.js';
import { readNpy, readNpyHeader, npyToFloat32, writeNpyFloat32 } from '../../util/npy.js';
import { InputError, UsageError } from '../../util/errors.js';
import { makeDigest } from '../../search/index.js';
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

  fp.command('import <files...>')
    .description(
      'import fingerprints K from float16/32/64 .npy files of shape (height, width) (files or folders of .npy; ' +
        'each is named after its file unless --camera names the one file)',
    )
    .option('--camera <name>', 'name to store the fingerprint under (one file only)')
    .action(async (paths: string[], o: Record<string, unknown>) => {
      const c = ctx();
      const files = listNpy(paths);
      if (o.camera !== undefined && files.length !== 1)
        throw new UsageError(`--camera names one fingerprint, but ${files.length} files were given`);
      // Names and headers of every file are checked before anything is written.
      const plan = files.map((file) => ({
        file,
        camera:
          o.camera !== undefined
            ? cameraName('--camera', o.camera)
            : cameraName(`the name of ${file}`, basename(file, '.npy')),
      }));
      const seen = new Map<string, string>();
      for (const { file, camera } of plan) {
        const other = seen.get(camera);
        if (other) throw new InputError(`${file}: camera name ${camera} is also the name of ${other}`);
        seen.set(camera, file);
        checkFingerprintHeader(file, readNpyHeader(file));
      }
      const store = await c.openStore();
      const t0 = performance.now();
      const bar = c.progress('import', plan.length);
      const imported: { camera: string; width: number; height: number }[] = [];
      try {
        for (const { file, camera } of plan) {
          const arr = readNpy(file);
          const [height, width] = checkFingerprintHeader(file, arr);
          const data = npyToFloat32(arr);
          for (let i = 0; i < data.length; i++) {
            if (!Number.isFinite(data[i]))
              throw new InputError(
                `${file}: value ${data[i]} at index ${i} is not finite` +
                  (imported.length > 0
                    ? ` (the ${imported.length} fingerprints before it were imported)`
                    : ''),
              );
          }
          await store.putFingerprint({
            camera,
            width,
            height,
            images: 0,
            quality: { imported: file },
            params: { method: 'imported', source: resolve(file) },
            data,
            digest: makeDigest(data),
            sources: [],
          });
          imported.push({ camera, width, height });
          bar.tick(imported.length, camera);
        }
      } finally {
        bar.stop();
      }
      const seconds = (performance.now() - t0) / 1000;
      const first = imported[0];
      c.output(
        imported.length === 1 ? { ...first, seconds } : { imported, count: imported.length, seconds },
        () =>
          imported.length === 1
            ? `${first.camera}: imported ${first.width}×${first.height} fingerprint from ${plan[0].file}`
            : `imported ${imported.length} fingerprints in ${seconds.toFixed(1)} s`,
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

/** The .npy files named, folders expanded (sorted); exit 2 when there are none. */
function listNpy(paths: string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new InputError(`${p}: no such file or folder`);
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) if (name.endsWith('.npy')) files.push(join(p, name));
    } else files.push(p);
  }
  if (files.length === 0) throw new InputError(`${paths.join(', ')}: no .npy files found`);
  return files;
}

/** (height, width) of a fingerprint array, or exit 2 naming the file and what is wrong. */
function checkFingerprintHeader(file: string, arr: { shape: number[]; dtype: string }): [number, number] {
  if (arr.shape.length !== 2)
    throw new InputError(
      `${file}: expected a 2-D array (height, width), got shape (${arr.shape.join(', ')})`,
    );
  if (arr.dtype !== '<f4' && arr.dtype !== '<f8' && arr.dtype !== '<f2')
    throw new InputError(`${file}: expected float data (float16/32/64), got ${arr.dtype}`);
  const [height, width] = arr.shape;
  if (height < 16 || width < 16)
    throw new InputError(`${file}: fingerprint ${width}×${height} is too small (16×16 at least)`);
  return [height, width];
}
