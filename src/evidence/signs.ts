/**
 * Signs that a file is not as the camera wrote it: editing software, stripped or partial
 * metadata, re-encoding. Each is a reason to look closer, not proof: some cameras and phones
 * optimise their Huffman tables or use libjpeg's tables, and some transfers strip metadata.
 */
import type { ExifSummary } from './exif.js';
import type { JpegStructure } from './jpeg.js';

export interface Sign {
  /** A short stable key (for scripts). */
  sign: string;
  /** What was seen, for people. */
  detail: string;
}

/** Software names that are editors or converters, not camera firmware. */
const EDITORS =
  /photoshop|lightroom|gimp|paint\.net|picasa|snapseed|acdsee|affinity|pixelmator|capture one|darktable|rawtherapee|irfanview|xnview|imagemagick|graphicsmagick|photoscape|luminar|fotor|canva|windows photo|photos \d|instagram|facebook|whatsapp|skitch|preview/i;

export function editingSigns(
  exif: ExifSummary,
  jpeg: JpegStructure | null,
  format: string | null,
  width: number | null,
  height: number | null,
): Sign[] {
  const signs: Sign[] = [];
  const add = (sign: string, detail: string): void => void signs.push({ sign, detail });
  if (!exif.present) {
    add('no-exif', 'no EXIF metadata: never written, or stripped (messengers, web uploads, privacy tools)');
  } else {
    if (exif.make === null && exif.model === null)
      add('no-camera-in-exif', 'EXIF present but names no camera make or model');
    if (exif.dateTimeOriginal === null) add('no-original-date', 'EXIF present but has no DateTimeOriginal');
    if (jpeg !== null && !exif.ifd1 && !jpeg.thumbnail.present)
      add(
        'no-thumbnail',
        'EXIF without a thumbnail: cameras write one; many tools drop it when they re-save',
      );
  }
  if (exif.software !== null && EDITORS.test(exif.software))
    add('editor-software', `EXIF Software names an editor: "${exif.software}"`);
  if (exif.modifyDate !== null && exif.dateTimeOriginal !== null && exif.modifyDate !== exif.dateTimeOriginal)
    add(
      'modified-later',
      `EXIF ModifyDate ${exif.modifyDate} differs from DateTimeOriginal ${exif.dateTimeOriginal}`,
    );
  if (exif.width !== null && exif.height !== null && width !== null && height !== null) {
    const same =
      (exif.width === width && exif.height === height) || (exif.width === height && exif.height === width);
    if (!same)
      add(
        'size-mismatch',
        `EXIF says ${exif.width}×${exif.height} but the image is ${width}×${height} (resized or cropped?)`,
      );
  }
  if (jpeg !== null) {
    if (jpeg.app.xmpCreatorTool !== null)
      add('xmp-creator-tool', `XMP CreatorTool: "${jpeg.app.xmpCreatorTool}"`);
    if (jpeg.app.photoshop) add('photoshop-segment', 'APP13 Photoshop image resources are present');
    if (jpeg.app.adobe) add('adobe-segment', 'APP14 Adobe segment is present (written by Adobe software)');
    if (jpeg.app.jfif && jpeg.app.exif)
      add('jfif-and-exif', 'both JFIF (APP0) and Exif (APP1) headers: typical of software re-saves');
    if (jpeg.huffman === 'optimised')
      add(
        'optimised-huffman',
        'optimised Huffman tables: typical of software encoders (most cameras use the standard ones)',
      );
    if (jpeg.quality?.exact)
      add(
        'ijg-tables',
        `quantisation tables are exactly libjpeg's at quality ${jpeg.quality.quality} (software, and some phones)`,
      );
    if (jpeg.frame?.process === 'progressive')
      add(
        'progressive',
        'progressive JPEG: cameras write baseline; web tools often re-encode as progressive',
      );
    if (jpeg.trailingBytes > 0)
      add('trailing-data', `${jpeg.trailingBytes} bytes after the end of the image (EOI)`);
  } else if (format !== null && format !== 'tiff') {
    add('not-jpeg', `a ${format} file: cameras write JPEG (or raw/TIFF); this was converted`);
  }
  return signs;
}
