/** `camprint tables add|list`: the JPEG table library, from the user's own reference images. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import sharp from 'sharp';
import type { Context } from '../context.js';
import { table } from '../context.js';
import { parseJpeg, readEvidenceFile, tableSignature, type TableSignature } from '../../evidence/index.js';
import { listImages } from '../../image/index.js';
import type { ImageInput, JpegTableSetInput } from '../../store/index.js';
import { InputError } from '../../util/errors.js';
import { cameraName } from '../options.js';

export function registerTables(program: Command, ctx: () => Context): void {
  const cmd = program.command('tables').description('the library of JPEG tables known cameras write');

  cmd
    .command('add <images...>')
    .description("add reference JPEGs' quantisation tables to a camera's library (files or folders)")
    .requiredOption('--camera <name>', 'the camera the reference images come from')
    .option('--model <model>', 'camera model (recorded with the camera)')
    .option('--device <id>', 'device / serial (recorded with the camera)')
    .action(async (paths: string[], o: Record<string, unknown>) => {
      const c = ctx();
      const camera = cameraName('--camera', o.camera);
      const files = listImages(paths);
      if (files.length === 0) throw new InputError(`${paths.join(', ')}: no images found`);
      // Every file is read and checked before anything is written.
      const sets = new Map<string, JpegTableSetInput>();
      for (const file of files) {
        const { bytes, sha256 } = await readEvidenceFile(file);
        const jpeg = parseJpeg(bytes);
        const signature: TableSignature | null = jpeg.markers.length > 1 ? tableSignature(jpeg) : null;
        if (signature === null)
          throw new InputError(
            `${file}: not a JPEG with quantisation tables (${jpeg.warnings[0] ?? 'none found'})`,
          );
        const image: ImageInput = {
          sha256,
          path: resolve(file),
          width: jpeg.frame?.width || 1,
          height: jpeg.frame?.height || 1,
          format: 'jpeg',
        };
        try {
          const meta = await sharp(bytes).metadata();
          if (meta.orientation) image.orientation = meta.orientation;
        } catch (err) {
          throw new InputError(
            `${file}: not a readable image (${err instanceof Error ? err.message : String(err)})`,
          );
        }
        const key = JSON.stringify(signature);
        const set = sets.get(key) ?? {
          quality: jpeg.quality?.quality ?? null,
          tables: signature,
          sources: [],
        };
        set.sources.push(image);
        sets.set(key, set);
      }
      const store = await c.openStore();
      const records = await store.putJpegTables({
        camera,
        model: o.model ? String(o.model) : undefined,
        device: o.device ? String(o.device) : undefined,
        sets: [...sets.values()],
      });
      const doc = {
        camera,
        images: files.length,
        sets: records.map((r) => ({ tablesSha256: r.tablesSha256, quality: r.quality, images: r.images })),
      };
      c.output(
        doc,
        () =>
          `${camera}: ${files.length} images, ${records.length} distinct set${records.length === 1 ? '' : 's'} of tables\n` +
          table([
            ['tables (SHA-256)', 'quality', 'images'],
            ...doc.sets.map((s) => [s.tablesSha256.slice(0, 16), s.quality ?? '—', s.images]),
          ]),
      );
    });

  cmd
    .command('list')
    .description('list the library')
    .option('--camera <name>', 'only this camera')
    .action(async (o: Record<string, unknown>) => {
      const c = ctx();
      const store = await c.openStore();
      const list = await store.listJpegTables(
        o.camera === undefined ? undefined : cameraName('--camera', o.camera),
      );
      const tables = list.map((r) => ({
        camera: r.camera,
        model: r.model ?? null,
        tablesSha256: r.tablesSha256,
        quality: r.quality,
        subsampling: r.tables.subsampling ?? null,
        images: r.images,
        updatedAt: r.updatedAt,
      }));
      c.output({ tables }, () =>
        tables.length === 0
          ? 'the table library is empty (`camprint tables add <images> --camera <name>`)'
          : table([
              ['camera', 'tables (SHA-256)', 'quality', 'subsampling', 'images'],
              ...tables.map((t) => [
                t.camera,
                t.tablesSha256.slice(0, 16),
                t.quality ?? '—',
                String(t.subsampling),
                t.images,
              ]),
            ]),
      );
    });
}
