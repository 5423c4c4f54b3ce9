/**
 * A JPEG marker parser over the file's bytes (ITU-T T.81 B.1): the segments in order, the
 * quantisation tables (DQT) in natural order, the frame header (SOFn) with its sampling factors,
 * the Huffman tables (DHT) compared with the standard ones, the application segments (JFIF, Exif,
 * XMP, ICC, Photoshop, Adobe) and the EXIF thumbnail.
 *
 * Every read is bounds-checked. A malformed segment gives a warning and the parse goes on, or
 * stops with what it has: parseJpeg never throws.
 */
import {
  STD_CHROMINANCE_QUANT,
  STD_LUMINANCE_QUANT,
  ZIGZAG,
  ijgTable,
  sameArray,
  standardHuffmanName,
} from './standard-tables.js';

/** A quantisation table, as the file gives it. */
export interface QuantTable {
  /** Destination id 0–3 (the frame's components name it). */
  id: number;
  /** Bits per entry: 8 (baseline) or 16. */
  precision: 8 | 16;
  /** The 64 divisors in natural (row-major) order. */
  values: number[];
}

/** A Huffman table, as the file gives it. */
export interface HuffmanTable {
  class: 'dc' | 'ac';
  id: number;
  /** Codes per length 1–16. */
  counts: number[];
  symbols: number[];
  /** The name of the Annex K table it equals, or null (an optimised or custom table). */
  standard: string | null;
}

export interface FrameComponent {
  id: number;
  /** Horizontal and vertical sampling factors (1–4). */
  h: number;
  v: number;
  quantTable: number;
}

export interface FrameHeader {
  /** SOF0, SOF1, SOF2, … */
  marker: string;
  process: 'baseline' | 'extended' | 'progressive' | 'lossless' | 'hierarchical' | 'arithmetic';
  precision: number;
  width: number;
  height: number;
  components: FrameComponent[];
}

/** Estimated IJG quality: the q whose libjpeg tables are closest to the file's. */
export interface QualityEstimate {
  /** 1–100. */
  quality: number;
  /** True when the file's tables are exactly libjpeg's at that quality. */
  exact: boolean;
  /** Mean absolute difference per entry between the file's tables and libjpeg's at that quality. */
  meanAbsDifference: number;
}

export interface ThumbnailInfo {
  present: boolean;
  /** Where: the EXIF IFD1, or a JFIF/JFXX APP0 segment. */
  source: 'exif' | 'jfif' | 'jfxx' | null;
  /** Its size in bytes (EXIF JPEG thumbnail) when known. */
  bytes: number | null;
}

export interface JpegStructure {
  /** Marker names in file order (SOI, APP0, APP1, DQT, SOF0, DHT, SOS, EOI, …); RSTn are not listed. */
  markers: string[];
  quantTables: QuantTable[];
  huffmanTables: HuffmanTable[];
  /** 'standard': every table is Annex K's; 'optimised': none is; 'mixed'; 'none': no DHT (e.g. arithmetic). */
  huffman: 'standard' | 'optimised' | 'mixed' | 'none';
  frame: FrameHeader | null;
  /** '4:4:4', '4:2:2', '4:2:0', '4:4:0', '4:1:1', 'grey', or the factors (e.g. '2x2,1x1,1x1'). */
  subsampling: string | null;
  quality: QualityEstimate | null;
  app: {
    jfif: boolean;
    exif: boolean;
    xmp: boolean;
    icc: boolean;
    /** APP13 "Photoshop 3.0" (image resource blocks). */
    photoshop: boolean;
    /** APP14 "Adobe". */
    adobe: boolean;
    /** XMP's CreatorTool, when stated. */
    xmpCreatorTool: string | null;
  };
  comments: string[];
  thumbnail: ThumbnailInfo;
  /** Bytes after EOI (data appended to the file). */
  trailingBytes: number;
  /** What was malformed or missing, for people. */
  warnings: string[];
}

/** Most segments listed (a file made of millions of empty markers is cut short, with a warning). */
const MAX_MARKERS = 10_000;

class Truncated extends Error {}

/** True when the bytes start with a JPEG SOI marker followed by another marker. */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

function markerName(m: number): string {
  if (m === 0xd8) return 'SOI';
  if (m === 0xd9) return 'EOI';
  if (m === 0xda) return 'SOS';
  if (m === 0xdb) return 'DQT';
  if (m === 0xc4) return 'DHT';
  if (m === 0xcc) return 'DAC';
  if (m === 0xdd) return 'DRI';
  if (m === 0xdc) return 'DNL';
  if (m === 0xde) return 'DHP';
  if (m === 0xdf) return 'EXP';
  if (m === 0xfe) return 'COM';
  if (m === 0x01) return 'TEM';
  if (m >= 0xd0 && m <= 0xd7) return `RST${m - 0xd0}`;
  if (m >= 0xe0 && m <= 0xef) return `APP${m - 0xe0}`;
  if (m >= 0xc0 && m <= 0xcf) return `SOF${m - 0xc0}`;
  return `0x${m.toString(16).toUpperCase().padStart(2, '0')}`;
}

const isSof = (m: number): boolean => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function processOf(m: number): FrameHeader['process'] {
  if (m >= 0xc9) return 'arithmetic';
  if (m === 0xc0) return 'baseline';
  if (m === 0xc1) return 'extended';
  if (m === 0xc2 || m === 0xc6) return 'progressive';
  if (m === 0xc3 || m === 0xc7) return 'lossless';
  return 'hierarchical';
}

const ascii = (b: Uint8Array, start: number, end: number): string => {
  let s = '';
  for (let i = start; i < Math.min(end, b.length); i++) s += String.fromCharCode(b[i]);
  return s;
};

/** Parses a JPEG file's structure. Never throws: problems are in `warnings`. */
export function parseJpeg(bytes: Uint8Array): JpegStructure {
  const out: JpegStructure = {
    markers: [],
    quantTables: [],
    huffmanTables: [],
    huffman: 'none',
    frame: null,
    subsampling: null,
    quality: null,
    app: {
      jfif: false,
      exif: false,
      xmp: false,
      icc: false,
      photoshop: false,
      adobe: false,
      xmpCreatorTool: null,
    },
    comments: [],
    thumbnail: { present: false, source: null, bytes: null },
    trailingBytes: 0,
    warnings: [],
  };
  const warn = (w: string): void => {
    if (out.warnings.length < 100) out.warnings.push(w);
  };
  if (!isJpeg(bytes)) {
    warn('not a JPEG file (no SOI marker at the start)');
    return out;
  }
  out.markers.push('SOI');
  let pos = 2;
  let sawEoi = false;
  while (pos < bytes.length) {
    if (out.markers.length >= MAX_MARKERS) {
      warn(`more than ${MAX_MARKERS} segments; the rest was not read`);
      break;
    }
    if (bytes[pos] !== 0xff) {
      const next = bytes.indexOf(0xff, pos);
      warn(
        `garbage at byte ${pos}: expected a marker (0xFF), skipped ${next < 0 ? bytes.length - pos : next - pos} bytes`,
      );
      if (next < 0) break;
      pos = next;
      continue;
    }
    while (pos < bytes.length && bytes[pos] === 0xff) pos++; // fill bytes
    if (pos >= bytes.length) break;
    const m = bytes[pos++];
    const name = markerName(m);
    if (m === 0x00) {
      warn(`stray 0xFF00 at byte ${pos - 2} outside entropy-coded data`);
      continue;
    }
    if (m === 0xd8) {
      warn(`a second SOI at byte ${pos - 2}`);
      out.markers.push(name);
      continue;
    }
    if (m === 0xd9) {
      out.markers.push(name);
      sawEoi = true;
      break;
    }
    if ((m >= 0xd0 && m <= 0xd7) || m === 0x01) continue; // no length; RSTn outside a scan are harmless
    out.markers.push(name);
    if (pos + 2 > bytes.length) {
      warn(`${name} at byte ${pos - 2}: the file ends before its length`);
      break;
    }
    const length = (bytes[pos] << 8) | bytes[pos + 1];
    if (length < 2) {
      warn(`${name} at byte ${pos - 2}: impossible length ${length}`);
      break;
    }
    const start = pos + 2;
    const end = pos + length;
    if (end > bytes.length)
      warn(`${name} at byte ${pos - 2}: length ${length} runs past the end of the file`);
    const body = bytes.subarray(start, Math.min(end, bytes.length));
    try {
      readSegment(m, name, body, out, warn);
    } catch (err) {
      if (!(err instanceof Truncated)) throw err;
      warn(`${name} at byte ${pos - 2}: segment truncated or malformed; partly read`);
    }
    pos = end;
    if (m === 0xda) pos = skipEntropyCoded(bytes, pos);
  }
  if (!sawEoi) warn('no EOI marker: the file is truncated');
  else out.trailingBytes = bytes.length - pos;
  if (!out.markers.includes('SOS')) warn('no SOS marker: the file holds no image data');
  if (out.frame === null) warn('no frame header (SOFn)');
  if (out.quantTables.length === 0 && out.frame?.process !== 'lossless') warn('no quantisation tables (DQT)');

  const standard = out.huffmanTables.filter((t) => t.standard !== null).length;
  out.huffman =
    out.huffmanTables.length === 0
      ? 'none'
      : standard === out.huffmanTables.length
        ? 'standard'
        : standard === 0
          ? 'optimised'
          : 'mixed';
  out.subsampling = subsamplingOf(out.frame);
  out.quality = estimateQuality(out.quantTables, out.frame);
  return out;
}

/** Position of the marker that ends the entropy-coded data starting at `pos`. */
function skipEntropyCoded(b: Uint8Array, pos: number): number {
  let i = pos;
  for (;;) {
    i = b.indexOf(0xff, i);
    if (i < 0 || i + 1 >= b.length) return b.length;
    const next = b[i + 1];
    if (next === 0x00 || next === 0xff || (next >= 0xd0 && next <= 0xd7)) {
      i += next === 0xff ? 1 : 2; // stuffed byte, fill byte or restart marker
      continue;
    }
    return i;
  }
}

function u8(b: Uint8Array, i: number): number {
  if (i >= b.length) throw new Truncated();
  return b[i];
}

function u16(b: Uint8Array, i: number): number {
  return (u8(b, i) << 8) | u8(b, i + 1);
}

function readSegment(
  m: number,
  name: string,
  body: Uint8Array,
  out: JpegStructure,
  warn: (w: string) => void,
): void {
  if (m === 0xdb) readDqt(body, out, warn);
  else if (m === 0xc4) readDht(body, out, warn);
  else if (isSof(m)) {
    if (out.frame !== null) warn(`a second frame header (${name})`);
    else out.frame = readSof(m, name, body, warn);
  } else if (m === 0xfe) {
    if (out.comments.length < 20) out.comments.push(ascii(body, 0, Math.min(body.length, 500)));
  } else if (m >= 0xe0 && m <= 0xef) readApp(m, body, out, warn);
}

function readDqt(body: Uint8Array, out: JpegStructure, warn: (w: string) => void): void {
  let i = 0;
  while (i < body.length) {
    const pq = u8(body, i) >> 4;
    const id = u8(body, i) & 15;
    i++;
    if (pq > 1 || id > 3) {
      warn(`DQT: table with precision code ${pq} and id ${id} is invalid`);
      return;
    }
    const values = new Array<number>(64);
    for (let k = 0; k < 64; k++) {
      values[ZIGZAG[k]] = pq === 0 ? u8(body, i + k) : u16(body, i + 2 * k);
    }
    i += pq === 0 ? 64 : 128;
    if (values.some((v) => v === 0)) warn(`DQT: table ${id} holds a zero divisor`);
    const table: QuantTable = { id, precision: pq === 0 ? 8 : 16, values };
    // A later table with the same id replaces the earlier one (as a decoder would use it).
    const prior = out.quantTables.findIndex((t) => t.id === id);
    if (prior >= 0) out.quantTables[prior] = table;
    else out.quantTables.push(table);
  }
}

function readDht(body: Uint8Array, out: JpegStructure, warn: (w: string) => void): void {
  let i = 0;
  while (i < body.length) {
    const tc = u8(body, i) >> 4;
    const id = u8(body, i) & 15;
    i++;
    if (tc > 1 || id > 3) {
      warn(`DHT: table with class ${tc} and id ${id} is invalid`);
      return;
    }
    const counts: number[] = [];
    for (let k = 0; k < 16; k++) counts.push(u8(body, i + k));
    i += 16;
    const total = counts.reduce((a, b) => a + b, 0);
    if (total > 256) {
      warn(`DHT: table ${tc === 0 ? 'DC' : 'AC'} ${id} declares ${total} codes (256 at most)`);
      return;
    }
    const symbols: number[] = [];
    for (let k = 0; k < total; k++) symbols.push(u8(body, i + k));
    i += total;
    if (out.huffmanTables.length < 64) {
      out.huffmanTables.push({
        class: tc === 0 ? 'dc' : 'ac',
        id,
        counts,
        symbols,
        standard: standardHuffmanName(counts, symbols),
      });
    }
  }
}

function readSof(m: number, name: string, body: Uint8Array, warn: (w: string) => void): FrameHeader {
  const precision = u8(body, 0);
  const height = u16(body, 1);
  const width = u16(body, 3);
  const n = u8(body, 5);
  if (n === 0 || n > 4) warn(`${name}: ${n} components (1–4 expected)`);
  const components: FrameComponent[] = [];
  for (let k = 0; k < Math.min(n, 4); k++) {
    const o = 6 + 3 * k;
    const hv = u8(body, o + 1);
    const c = { id: u8(body, o), h: hv >> 4, v: hv & 15, quantTable: u8(body, o + 2) };
    if (c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4)
      warn(`${name}: component ${c.id} has sampling ${c.h}×${c.v}`);
    components.push(c);
  }
  if (width === 0) warn(`${name}: width 0`);
  return { marker: name, process: processOf(m), precision, width, height, components };
}

function readApp(m: number, body: Uint8Array, out: JpegStructure, warn: (w: string) => void): void {
  const id = ascii(body, 0, 32);
  if (m === 0xe0 && id.startsWith('JFIF\0')) {
    out.app.jfif = true;
    // JFIF 1.02: version (2), units (1), densities (4), then thumbnail width and height.
    if (body.length >= 14 && body[12] > 0 && body[13] > 0)
      out.thumbnail = { present: true, source: 'jfif', bytes: 3 * body[12] * body[13] };
  } else if (m === 0xe0 && id.startsWith('JFXX\0')) {
    out.thumbnail = { present: true, source: 'jfxx', bytes: Math.max(0, body.length - 6) };
  } else if (m === 0xe1 && id.startsWith('Exif\0')) {
    out.app.exif = true;
    const t = exifThumbnail(body.subarray(6), warn);
    if (t !== null && !out.thumbnail.present) out.thumbnail = { present: true, source: 'exif', bytes: t };
  } else if (m === 0xe1 && id.startsWith('http://ns.adobe.com/xap/1.0/')) {
    out.app.xmp = true;
    const text = ascii(body, 0, Math.min(body.length, 65536));
    const tool = /CreatorTool(?:="|>)([^"<]{1,200})/.exec(text);
    if (tool) out.app.xmpCreatorTool = tool[1];
  } else if (m === 0xe2 && id.startsWith('ICC_PROFILE\0')) out.app.icc = true;
  else if (m === 0xed && id.startsWith('Photoshop 3.0')) out.app.photoshop = true;
  else if (m === 0xee && id.startsWith('Adobe')) out.app.adobe = true;
}

/**
 * The size of the JPEG thumbnail an EXIF block's IFD1 points to (tags 0x0201 offset and 0x0202
 * length), or null when there is none or it does not fit in the block.
 * @param tiff the TIFF structure after "Exif\0\0"
 */
function exifThumbnail(tiff: Uint8Array, warn: (w: string) => void): number | null {
  if (tiff.length < 8) {
    warn('Exif: block too short for a TIFF header');
    return null;
  }
  const le = tiff[0] === 0x49 && tiff[1] === 0x49;
  if (!le && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) {
    warn('Exif: bad byte-order mark');
    return null;
  }
  const r16 = (i: number): number => {
    if (i + 2 > tiff.length) throw new Truncated();
    return le ? tiff[i] | (tiff[i + 1] << 8) : (tiff[i] << 8) | tiff[i + 1];
  };
  const r32 = (i: number): number => {
    if (i + 4 > tiff.length) throw new Truncated();
    return le
      ? (tiff[i] | (tiff[i + 1] << 8) | (tiff[i + 2] << 16) | (tiff[i + 3] << 24)) >>> 0
      : ((tiff[i] << 24) | (tiff[i + 1] << 16) | (tiff[i + 2] << 8) | tiff[i + 3]) >>> 0;
  };
  try {
    if (r16(2) !== 42) {
      warn('Exif: TIFF magic number is not 42');
      return null;
    }
    const ifd0 = r32(4);
    const n0 = r16(ifd0);
    const ifd1 = r32(ifd0 + 2 + 12 * n0);
    if (ifd1 === 0) return null;
    if (ifd1 === ifd0) {
      warn('Exif: IFD1 points back at IFD0');
      return null;
    }
    const n1 = r16(ifd1);
    let offset = -1;
    let length = -1;
    for (let k = 0; k < Math.min(n1, 1000); k++) {
      const e = ifd1 + 2 + 12 * k;
      const tag = r16(e);
      if (tag === 0x0201) offset = r32(e + 8);
      if (tag === 0x0202) length = r32(e + 8);
    }
    if (offset < 0 || length <= 0) return null;
    if (offset + length > tiff.length) {
      warn(`Exif: the thumbnail (${length} bytes at ${offset}) runs past the EXIF block`);
      return null;
    }
    if (tiff[offset] !== 0xff || tiff[offset + 1] !== 0xd8)
      warn('Exif: the thumbnail does not start with SOI');
    return length;
  } catch (err) {
    if (!(err instanceof Truncated)) throw err;
    warn('Exif: an IFD points outside the EXIF block');
    return null;
  }
}

/** '4:2:0' etc. from the sampling factors of a three-component (YCbCr) frame. */
function subsamplingOf(frame: FrameHeader | null): string | null {
  if (frame === null || frame.components.length === 0) return null;
  const c = frame.components;
  if (c.length === 1) return 'grey';
  const factors = c.map((x) => `${x.h}x${x.v}`).join(',');
  if (c.length !== 3 || c[1].h !== c[2].h || c[1].v !== c[2].v || c[1].h === 0 || c[1].v === 0)
    return factors;
  const h = c[0].h / c[1].h;
  const v = c[0].v / c[1].v;
  if (h === 1 && v === 1) return '4:4:4';
  if (h === 2 && v === 1) return '4:2:2';
  if (h === 2 && v === 2) return '4:2:0';
  if (h === 1 && v === 2) return '4:4:0';
  if (h === 4 && v === 1) return '4:1:1';
  return factors;
}

/**
 * The IJG quality whose tables are nearest the file's (least total absolute difference), the
 * luminance table (the first component's) compared with K.1 scaled, the others with K.2 scaled.
 * Cameras that use their own tables get the nearest IJG quality and exact = false.
 */
export function estimateQuality(
  tables: readonly QuantTable[],
  frame: FrameHeader | null,
): QualityEstimate | null {
  if (tables.length === 0) return null;
  const lumaId = frame?.components[0]?.quantTable ?? tables[0].id;
  let best: QualityEstimate | null = null;
  let bestDiff = Infinity;
  for (let q = 1; q <= 100; q++) {
    const luma = ijgTable(STD_LUMINANCE_QUANT, q);
    const chroma = ijgTable(STD_CHROMINANCE_QUANT, q);
    let diff = 0;
    let same = true;
    for (const t of tables) {
      const ref = t.id === lumaId ? luma : chroma;
      for (let i = 0; i < 64; i++) diff += Math.abs(t.values[i] - ref[i]);
      if (!sameArray(t.values, ref)) same = false;
    }
    if (diff < bestDiff || (diff === bestDiff && same)) {
      bestDiff = diff;
      best = { quality: q, exact: same, meanAbsDifference: diff / (64 * tables.length) };
    }
  }
  return best;
}
