/**
 * The seed files the fuzz tests mutate (not part of camprint's interface): one simulated photo
 * (camprint's simulator, 128×96, with its EXIF) re-encoded by sharp as JPEG with EXIF and GPS
 * (baseline and progressive), PNG (8-bit RGB, 16-bit, grey with alpha, palette), TIFF (LZW,
 * uncompressed) and WebP (lossless, lossy), a portrait copy; and, when ../shared holds the
 * Dresden photos, a small JPEG carrying a real Nikon D70's EXIF block (maker notes, thumbnail).
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { simulate } from '../sim/index.js';
import { sharedPath } from '../testing/shared.js';
import { jpegSegments, type FuzzFormat } from './mutate.js';

export interface SeedFile {
  name: string;
  format: FuzzFormat;
  file: string;
  width: number;
  height: number;
}

export const CORPUS_WIDTH = 128;
export const CORPUS_HEIGHT = 96;

const EXIF = {
  IFD0: { Make: 'FuzzMake', Model: 'FuzzCam 9', Software: 'fw 1.2', DateTime: '2024:05:01 10:00:00' },
  IFD2: { DateTimeOriginal: '2024:05:01 10:00:00', ExposureTime: '1/60', FNumber: '28/10' },
  IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 3/1 0/1', GPSLongitudeRef: 'E' },
};

/** The first Dresden JPEG under ../shared, or undefined when the data is absent. */
export function dresdenPhoto(): string | undefined {
  const root = sharedPath('data', 'dresden-nikon', 'natural');
  if (!root) return undefined;
  for (const device of readdirSync(root).sort()) {
    const files = readdirSync(join(root, device))
      .filter((f) => /\.jpe?g$/i.test(f))
      .sort();
    if (files.length > 0) return join(root, device, files[0]);
  }
  return undefined;
}

/**
 * A small JPEG of `pixels` whose APP segments are those of `donor` (a camera's EXIF block and
 * whatever else it carries): real metadata, cheap pixels.
 */
export async function withDonorHeader(pixels: Sharp, donor: Buffer): Promise<Buffer> {
  const small = await pixels.jpeg({ quality: 90 }).toBuffer();
  const app = jpegSegments(donor).filter((s) => s.marker >= 0xe0 && s.marker <= 0xef);
  const own = jpegSegments(small);
  const firstNonApp = own.find((s) => s.marker < 0xe0 || s.marker > 0xef);
  if (!firstNonApp) throw new Error('sharp wrote a JPEG without tables');
  return Buffer.concat([
    small.subarray(0, 2),
    ...app.map((s) => donor.subarray(s.at, s.at + 2 + s.length)),
    small.subarray(firstNonApp.at),
  ]);
}

/** Writes the seed files into `dir`; `dresden` adds the one with a real camera's EXIF. */
export async function makeCorpus(dir: string, options: { dresden?: string } = {}): Promise<SeedFile[]> {
  const w = CORPUS_WIDTH;
  const h = CORPUS_HEIGHT;
  const sim = await simulate({
    dir: join(dir, 'sim'),
    models: 1,
    devices: 1,
    images: 1,
    flat: 0,
    width: w,
    height: h,
    seed: 11,
    threads: 0,
  });
  const simFile = sim.cameras[0].natural[0];
  const raw = await sharp(simFile).raw().toBuffer();
  const px = (): Sharp => sharp(raw, { raw: { width: w, height: h, channels: 3 } });
  const seeds: SeedFile[] = [{ name: 'sim.jpg', format: 'jpeg', file: simFile, width: w, height: h }];
  const add = async (name: string, format: FuzzFormat, bytes: Buffer | Promise<Buffer>, size = [w, h]) => {
    const file = join(dir, name);
    writeFileSync(file, await bytes);
    seeds.push({ name, format, file, width: size[0], height: size[1] });
  };
  await add('exif.jpg', 'jpeg', px().jpeg({ quality: 85 }).withExif(EXIF).toBuffer());
  await add(
    'progressive.jpg',
    'jpeg',
    px().jpeg({ quality: 75, progressive: true }).withExif(EXIF).toBuffer(),
  );
  await add('rgb.png', 'png', px().png().toBuffer());
  await add('deep.png', 'png', px().toColourspace('rgb16').png().toBuffer());
  await add('grey-alpha.png', 'png', px().greyscale().ensureAlpha(0.5).png().toBuffer());
  await add('palette.png', 'png', px().png({ palette: true, colours: 64 }).toBuffer());
  await add('lzw.tif', 'tiff', px().tiff({ compression: 'lzw' }).toBuffer());
  await add('plain.tif', 'tiff', px().tiff({ compression: 'none' }).toBuffer());
  await add('lossless.webp', 'webp', px().webp({ lossless: true }).toBuffer());
  await add('lossy.webp', 'webp', px().webp({ quality: 80 }).toBuffer());
  await add('portrait.png', 'png', px().rotate(90).png().toBuffer(), [h, w]);
  if (options.dresden)
    await add('dresden-exif.jpg', 'jpeg', withDonorHeader(px(), readFileSync(options.dresden)));
  return seeds;
}
