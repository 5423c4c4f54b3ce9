/**
 * `inspect`: the header and sensor-defect evidence of one image. SHA-256 of the bytes; EXIF
 * (exifr); the JPEG structure (jpeg.ts) and its tables against the library; the image's
 * defective pixels against every stored map of its size; signs of editing or stripped metadata.
 *
 * A malformed header gives warnings and what could be read. Only a file that cannot be read, or
 * that is neither a JPEG nor an image sharp can open, is an InputError.
 */
import { resolve } from 'node:path';
import sharp from 'sharp';
import type { DefectMapRecord, ImageInput, JpegTablesRecord } from '../store/index.js';
import { DEFAULT_MAX_PIXELS } from '../image/index.js';
import { InputError } from '../util/errors.js';
import { matchDefects, type DefectMatch } from './defects.js';
import { readExif, type ExifSummary } from './exif.js';
import { scoreFrame } from './intake.js';
import { isJpeg, parseJpeg, type JpegStructure, type QualityEstimate, type QuantTable } from './jpeg.js';
import { editingSigns, type Sign } from './signs.js';
import {
  compareTables,
  summariseComparisons,
  tableSignature,
  type TableComparison,
  type TableSignature,
} from './tables.js';

export interface InspectOptions {
  /** The table library to compare with (store.listJpegTables()); no comparison when absent. */
  library?: readonly JpegTablesRecord[];
  /** Defect maps to compare with (store.listDefectMaps()); those of the image's size are used. */
  defectMaps?: readonly DefectMapRecord[];
  maxPixels?: number;
}

export interface DefectComparison extends Omit<DefectMatch, 'matched'> {
  camera: string;
  /** The map's size in defects. */
  mapDefects: number;
  matched: DefectMatch['matched'];
}

export interface InspectResult {
  file: string;
  sha256: string;
  bytes: number;
  /** As sharp reads the file (jpeg, png, tiff, webp, …); null when it cannot. */
  format: string | null;
  width: number | null;
  height: number | null;
  exif: ExifSummary;
  jpeg: {
    isJpeg: boolean;
    /** Estimated IJG quality (1–100); null without quantisation tables. */
    quality: number | null;
    qualityEstimate: QualityEstimate | null;
    quantTables: QuantTable[];
    subsampling: string | null;
    huffman: JpegStructure['huffman'];
    huffmanTables: { class: 'dc' | 'ac'; id: number; standard: string | null }[];
    markers: string[];
    process: string | null;
    thumbnail: JpegStructure['thumbnail'];
    app: JpegStructure['app'];
    comments: string[];
    trailingBytes: number;
    /** What the library keeps of these tables. */
    signature: TableSignature | null;
  };
  /** The tables against the library: every stored set, best first; null when not compared. */
  tables: { comparisons: TableComparison[]; identical: string[]; sameQuality: string[] } | null;
  /** The image's defects against every stored map of its size. */
  defects: DefectComparison[];
  signs: Sign[];
  warnings: string[];
}

/** Inspects one image file (see the module comment). */
export async function inspectImage(
  file: string,
  bytes: Buffer,
  sha256: string,
  options: InspectOptions = {},
): Promise<InspectResult> {
  const warnings: string[] = [];
  const jpegFile = isJpeg(bytes);
  let format: string | null = null;
  let width: number | null = null;
  let height: number | null = null;
  try {
    const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    format = meta.format ?? null;
    width = meta.width ?? null;
    height = meta.height ?? null;
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    if (!jpegFile) throw new InputError(`${file}: not a readable image (${why})`);
    warnings.push(`the image decoder cannot read this file (${why}); the header analysis below is partial`);
  }
  const exif = await readExif(bytes);
  warnings.push(...exif.warnings);
  const structure = jpegFile ? parseJpeg(bytes) : null;
  if (structure) warnings.push(...structure.warnings.map((w) => `JPEG: ${w}`));
  const signature = structure ? tableSignature(structure) : null;
  const quality = structure?.quality ?? null;

  let tables: InspectResult['tables'] = null;
  if (options.library !== undefined && signature !== null) {
    const comparisons = compareTables(signature, quality?.quality ?? null, options.library);
    tables = { comparisons, ...summariseComparisons(comparisons) };
  }

  const defects: DefectComparison[] = [];
  const maps = (options.defectMaps ?? []).filter((m) => m.width === width && m.height === height);
  if (maps.length > 0) {
    try {
      const frame = await scoreFrame(file, {
        radius: 3,
        maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS,
      });
      for (const map of maps) {
        const radius = typeof map.params.radius === 'number' ? map.params.radius : 3;
        const threshold = typeof map.params.threshold === 'number' ? map.params.threshold : undefined;
        const r = matchDefects(frame.z, frame.width, frame.height, map.defects, { radius, threshold });
        defects.push({ camera: map.camera, mapDefects: map.defects.length, ...r });
      }
    } catch (err) {
      warnings.push(`defective pixels not compared (${err instanceof Error ? err.message : String(err)})`);
    }
  }

  return {
    file,
    sha256,
    bytes: bytes.length,
    format,
    width,
    height,
    exif,
    jpeg: {
      isJpeg: jpegFile,
      quality: quality?.quality ?? null,
      qualityEstimate: quality,
      quantTables: structure?.quantTables ?? [],
      subsampling: structure?.subsampling ?? null,
      huffman: structure?.huffman ?? 'none',
      huffmanTables: (structure?.huffmanTables ?? []).map((t) => ({
        class: t.class,
        id: t.id,
        standard: t.standard,
      })),
      markers: structure?.markers ?? [],
      process: structure?.frame?.process ?? null,
      thumbnail: structure?.thumbnail ?? { present: false, source: null, bytes: null },
      app: structure?.app ?? {
        jfif: false,
        exif: false,
        xmp: false,
        icc: false,
        photoshop: false,
        adobe: false,
        xmpCreatorTool: null,
      },
      comments: structure?.comments ?? [],
      trailingBytes: structure?.trailingBytes ?? 0,
      signature,
    },
    tables,
    defects,
    signs: editingSigns(exif, structure, format, width, height),
    warnings,
  };
}

/** The image as the store records it at intake (the decoder's size, or 1×1 when it has none). */
export function intakeImage(r: InspectResult): ImageInput {
  const image: ImageInput = {
    sha256: r.sha256,
    path: resolve(r.file),
    width: side(r.width ?? r.exif.width),
    height: side(r.height ?? r.exif.height),
    format: r.format ?? (r.jpeg.isJpeg ? 'jpeg' : 'unknown'),
  };
  if (r.exif.orientation !== null) image.orientation = r.exif.orientation;
  const exif: Record<string, unknown> = {};
  for (const [k, v] of Object.entries({
    make: r.exif.make,
    model: r.exif.model,
    serialNumbers: r.exif.serialNumbers.length ? r.exif.serialNumbers : null,
    software: r.exif.software,
    dateTimeOriginal: r.exif.dateTimeOriginal,
  }))
    if (v !== null) exif[k] = v;
  if (Object.keys(exif).length > 0) image.exif = exif;
  return image;
}

/** A side the store accepts (1–1 000 000 pixels), 1 when unknown or absurd. */
function side(v: number | null): number {
  return v !== null && Number.isInteger(v) && v >= 1 && v <= 1_000_000 ? v : 1;
}
