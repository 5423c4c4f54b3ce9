/** Test pictures for the evidence tests (not part of camprint's interface). */
import sharp, { type JpegOptions } from 'sharp';

/** A 64×48 test picture (a gradient with texture) encoded as JPEG. */
export async function testJpeg(options: JpegOptions = {}, exif = true): Promise<Buffer> {
  const w = 64;
  const h = 48;
  const rgb = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    const x = i % w;
    const y = Math.floor(i / w);
    rgb[3 * i] = (x * 4) & 255;
    rgb[3 * i + 1] = (y * 5 + ((x * y) % 17)) & 255;
    rgb[3 * i + 2] = (128 + 60 * Math.sin(x / 3)) & 255;
  }
  const img = sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).jpeg(options);
  if (exif)
    img.withExif({
      IFD0: {
        Make: 'TestMake',
        Model: 'TestCam 1',
        Software: 'firmware 1.0',
        DateTime: '2024:05:01 10:00:00',
      },
      IFD2: { DateTimeOriginal: '2024:05:01 10:00:00' },
    });
  return img.toBuffer();
}
