/**
 * Seeded mutations of image files for the fuzz tests (not part of camprint's interface). Generic
 * ones (bit flips, byte values, truncation, inserted, deleted and duplicated bytes) and ones that
 * know the formats: JPEG segment lengths, markers and frame headers; PNG chunk lengths and fields
 * with their CRC recomputed (so that the decoder reads on); RIFF (WebP) sizes; and TIFF IFDs — a
 * TIFF file's own, or the EXIF block inside a JPEG's APP1 — whose entry counts, types, value
 * counts, offsets and next-IFD pointers are set to point anywhere (cycles included).
 *
 * Case `i` of a run with seed `s` is always the same bytes: `mutateCase(base, format, s, i)`.
 */
import { crc32 } from 'node:zlib';
import { hashSeed } from '../sim/prng.js';
import { rng } from '../testing/numeric.js';

export { rng };

export type FuzzFormat = 'jpeg' | 'png' | 'tiff' | 'webp';

/** Integers and choices drawn from one generator. */
export class Draw {
  constructor(readonly random: () => number) {}
  /** 0 ≤ n < max. */
  int(max: number): number {
    return Math.floor(this.random() * Math.max(1, max));
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  u32(): number {
    return (this.int(0x10000) * 0x10000 + this.int(0x10000)) >>> 0;
  }
  /** A position, biased to the first `head` bytes (where the headers are) two times in three. */
  at(length: number, head = 2048): number {
    return this.random() < 2 / 3 ? this.int(Math.min(length, head)) : this.int(length);
  }
}

/** Values that break parsers more often than random ones. */
const EDGE16 = [0, 1, 2, 0x7fff, 0x8000, 0xfffe, 0xffff];
const EDGE32 = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

// ── format walkers ────────────────────────────────────────────────────────────

export interface JpegSegment {
  /** Offset of the 0xFF of the marker. */
  at: number;
  marker: number;
  /** The length field's value (it counts itself), or 0 for a marker without one. */
  length: number;
}

/** The header segments of a JPEG, up to and including the first SOS. */
export function jpegSegments(buf: Buffer): JpegSegment[] {
  const out: JpegSegment[] = [];
  let p = 2;
  while (p + 1 < buf.length) {
    if (buf[p] !== 0xff) break;
    while (p + 1 < buf.length && buf[p + 1] === 0xff) p++;
    const marker = buf[p + 1];
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      out.push({ at: p, marker, length: 0 });
      p += 2;
      continue;
    }
    if (p + 4 > buf.length) break;
    const length = buf.readUInt16BE(p + 2);
    out.push({ at: p, marker, length });
    if (marker === 0xda || length < 2) break;
    p += 2 + length;
  }
  return out;
}

/** Where the TIFF structure of a JPEG's EXIF block starts (after "Exif\0\0"), or -1. */
export function exifTiffStart(buf: Buffer): number {
  for (const s of jpegSegments(buf)) {
    if (s.marker === 0xe1 && buf.toString('latin1', s.at + 4, s.at + 10) === 'Exif\0\0') return s.at + 10;
  }
  return -1;
}

export interface TiffLayout {
  start: number;
  little: boolean;
  /** Offsets of each IFD's entry-count field. */
  ifds: number[];
  /** Offsets of the 12-byte entries. */
  entries: number[];
  /** Offsets of the next-IFD pointers. */
  nextPointers: number[];
  /** Offsets of the value fields of entries that point at sub-IFDs (EXIF, GPS, interop, SubIFDs). */
  subIfdPointers: number[];
}

const SUB_IFD_TAGS = new Set([0x8769, 0x8825, 0xa005, 0x014a]);

/** The IFDs and entries of a TIFF structure starting at `start` (a TIFF file: 0). */
export function tiffLayout(buf: Buffer, start: number): TiffLayout | undefined {
  if (start < 0 || start + 8 > buf.length) return undefined;
  const order = buf.toString('latin1', start, start + 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const little = order === 'II';
  const u16 = (p: number) => (little ? buf.readUInt16LE(p) : buf.readUInt16BE(p));
  const u32 = (p: number) => (little ? buf.readUInt32LE(p) : buf.readUInt32BE(p));
  const layout: TiffLayout = { start, little, ifds: [], entries: [], nextPointers: [], subIfdPointers: [] };
  const queue = [u32(start + 4)];
  const seen = new Set<number>();
  while (queue.length > 0 && layout.ifds.length < 32) {
    const off = queue.shift()!;
    const p = start + off;
    if (off === 0 || seen.has(off) || p + 2 > buf.length) continue;
    seen.add(off);
    layout.ifds.push(p);
    const n = u16(p);
    for (let i = 0; i < n && p + 2 + 12 * (i + 1) <= buf.length; i++) {
      const e = p + 2 + 12 * i;
      layout.entries.push(e);
      if (SUB_IFD_TAGS.has(u16(e))) {
        layout.subIfdPointers.push(e + 8);
        queue.push(u32(e + 8));
      }
    }
    const next = p + 2 + 12 * n;
    if (next + 4 <= buf.length) {
      layout.nextPointers.push(next);
      queue.push(u32(next));
    }
  }
  return layout;
}

export interface PngChunk {
  /** Offset of the length field. */
  at: number;
  length: number;
  type: string;
}

export function pngChunks(buf: Buffer): PngChunk[] {
  const out: PngChunk[] = [];
  let p = 8;
  while (p + 12 <= buf.length && out.length < 10_000) {
    const length = buf.readUInt32BE(p);
    out.push({ at: p, length, type: buf.toString('latin1', p + 4, p + 8) });
    p += 12 + length;
  }
  return out;
}

/** Recomputes a PNG chunk's CRC (so a changed chunk passes the check and is parsed). */
export function fixPngCrc(buf: Buffer, chunk: PngChunk): void {
  const end = chunk.at + 8 + chunk.length;
  if (end + 4 > buf.length) return;
  buf.writeUInt32BE(crc32(buf.subarray(chunk.at + 4, end)) >>> 0, end);
}

// ── mutators ─────────────────────────────────────────────────────────────────

type Mutator = (buf: Buffer, d: Draw) => { bytes: Buffer; what: string } | undefined;

const generic: Record<string, Mutator> = {
  flip(buf, d) {
    const out = Buffer.from(buf);
    const n = 1 + d.int(8);
    for (let k = 0; k < n; k++) out[d.at(out.length)] ^= 1 << d.int(8);
    return { bytes: out, what: `${n} bit flips` };
  },
  bytes(buf, d) {
    const out = Buffer.from(buf);
    const n = 1 + d.int(8);
    for (let k = 0; k < n; k++)
      out[d.at(out.length)] = d.random() < 0.5 ? d.int(256) : d.pick([0, 0xff, 0x7f, 0x80]);
    return { bytes: out, what: `${n} bytes set` };
  },
  truncate(buf, d) {
    const at = d.random() < 0.5 ? d.at(buf.length) : d.int(buf.length);
    return { bytes: Buffer.from(buf.subarray(0, at)), what: `truncated at ${at}` };
  },
  insert(buf, d) {
    const at = d.at(buf.length);
    const n = 1 + d.int(64);
    const extra = Buffer.alloc(n);
    for (let i = 0; i < n; i++) extra[i] = d.int(256);
    return {
      bytes: Buffer.concat([buf.subarray(0, at), extra, buf.subarray(at)]),
      what: `${n} bytes in at ${at}`,
    };
  },
  delete(buf, d) {
    const at = d.at(buf.length);
    const n = 1 + d.int(64);
    return {
      bytes: Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(buf.length, at + n))]),
      what: `${n} bytes out at ${at}`,
    };
  },
  duplicate(buf, d) {
    const from = d.int(buf.length);
    const n = 1 + d.int(256);
    const to = d.at(buf.length);
    return {
      bytes: Buffer.concat([buf.subarray(0, to), buf.subarray(from, from + n), buf.subarray(to)]),
      what: `${n} bytes from ${from} copied to ${to}`,
    };
  },
};

/** An IFD mutation at a TIFF structure (EXIF in a JPEG, or a TIFF file itself). */
function ifdMutation(
  buf: Buffer,
  d: Draw,
  start: number,
  label: string,
): { bytes: Buffer; what: string } | undefined {
  const layout = tiffLayout(buf, start);
  if (!layout || layout.entries.length === 0) return undefined;
  const out = Buffer.from(buf);
  const w16 = (p: number, v: number) =>
    layout.little ? out.writeUInt16LE(v & 0xffff, p) : out.writeUInt16BE(v & 0xffff, p);
  const w32 = (p: number, v: number) =>
    layout.little ? out.writeUInt32LE(v >>> 0, p) : out.writeUInt32BE(v >>> 0, p);
  const rel = (p: number) => p - start;
  const anywhere = (): number =>
    d.pick([
      d.u32(),
      d.pick(EDGE32),
      buf.length - start,
      buf.length - start + 1 + d.int(1 << 20),
      rel(d.pick(layout.ifds)), // another IFD: cycles
      d.int(buf.length - start),
    ]);
  const kind = d.int(7);
  switch (kind) {
    case 0: {
      const p = d.pick(layout.ifds);
      const v = d.pick([...EDGE16, d.int(0x10000), d.int(64)]);
      w16(p, v);
      return { bytes: out, what: `${label}: IFD at ${rel(p)} claims ${v} entries` };
    }
    case 1: {
      const e = d.pick(layout.entries);
      const v = d.int(20);
      w16(e + 2, v);
      return { bytes: out, what: `${label}: entry at ${rel(e)} of type ${v}` };
    }
    case 2: {
      const e = d.pick(layout.entries);
      const v = d.pick([...EDGE32, d.u32(), d.int(1 << 16), d.int(64)]);
      w32(e + 4, v);
      return { bytes: out, what: `${label}: entry at ${rel(e)} counts ${v} values` };
    }
    case 3: {
      const e = d.pick(layout.entries);
      const v = anywhere();
      w32(e + 8, v);
      return { bytes: out, what: `${label}: entry at ${rel(e)} points at ${v}` };
    }
    case 4: {
      if (layout.nextPointers.length === 0) return undefined;
      const p = d.pick(layout.nextPointers);
      const v = anywhere();
      w32(p, v);
      return { bytes: out, what: `${label}: next IFD pointer at ${rel(p)} set to ${v}` };
    }
    case 5: {
      const p =
        layout.subIfdPointers.length > 0 && d.random() < 0.7 ? d.pick(layout.subIfdPointers) : start + 4; // the first IFD's offset in the header
      const v = anywhere();
      w32(p, v);
      return { bytes: out, what: `${label}: IFD pointer at ${rel(p)} set to ${v}` };
    }
    default: {
      const e = d.pick(layout.entries);
      const v = d.pick([
        0x8769,
        0x8825,
        0xa005,
        0x014a,
        0x0111,
        0x0117,
        0x0201,
        0x0202,
        0x927c,
        d.int(0x10000),
      ]);
      w16(e, v);
      return { bytes: out, what: `${label}: entry at ${rel(e)} retagged ${v}` };
    }
  }
}

const JPEG_MARKERS = [
  0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc9, 0xcc, 0xd8, 0xd9, 0xda, 0xdb, 0xdd, 0xe0, 0xe1, 0xfe, 0x01,
];

const byFormat: Record<FuzzFormat, Record<string, Mutator>> = {
  jpeg: {
    segmentLength(buf, d) {
      const segs = jpegSegments(buf).filter((s) => s.length > 0);
      if (segs.length === 0) return undefined;
      const s = d.pick(segs);
      const v = d.pick([...EDGE16, s.length + 1, s.length - 1, d.int(0x10000)]);
      const out = Buffer.from(buf);
      out.writeUInt16BE(v, s.at + 2);
      return { bytes: out, what: `JPEG segment ${s.marker.toString(16)} at ${s.at}: length ${v}` };
    },
    marker(buf, d) {
      const segs = jpegSegments(buf);
      if (segs.length === 0) return undefined;
      const s = d.pick(segs);
      const v = d.pick(JPEG_MARKERS);
      const out = Buffer.from(buf);
      out[s.at + 1] = v;
      return { bytes: out, what: `JPEG marker ${s.marker.toString(16)} at ${s.at} became ${v.toString(16)}` };
    },
    frame(buf, d) {
      const sof = jpegSegments(buf).find(
        (s) => s.marker >= 0xc0 && s.marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(s.marker),
      );
      if (!sof || sof.at + 10 > buf.length) return undefined;
      const out = Buffer.from(buf);
      const field = d.int(5);
      const at = [sof.at + 4, sof.at + 5, sof.at + 7, sof.at + 9, sof.at + 11][field];
      if (at + 2 > out.length) return undefined;
      if (field === 1 || field === 2) {
        // height or width: small, edge or random
        const v = d.pick([...EDGE16, d.int(0x10000), 1 + d.int(64), 4000 + d.int(8000)]);
        out.writeUInt16BE(v, at);
        return { bytes: out, what: `JPEG frame ${field === 1 ? 'height' : 'width'} ${v}` };
      }
      out[at] = d.pick([0, 1, 2, 3, 4, 5, 8, 12, 16, 255, d.int(256)]);
      return { bytes: out, what: `JPEG frame byte at ${at - sof.at} set to ${out[at]}` };
    },
    tables(buf, d) {
      const segs = jpegSegments(buf).filter(
        (s) => [0xc4, 0xdb, 0xdd, 0xda].includes(s.marker) && s.length > 2,
      );
      if (segs.length === 0) return undefined;
      const s = d.pick(segs);
      const out = Buffer.from(buf);
      const n = 1 + d.int(6);
      for (let k = 0; k < n; k++) {
        const p = s.at + 4 + d.int(s.length - 2);
        if (p < out.length) out[p] = d.random() < 0.5 ? d.int(256) : d.pick([0, 0xff, 1, 16]);
      }
      return { bytes: out, what: `JPEG ${s.marker.toString(16)} table: ${n} bytes set` };
    },
    exif(buf, d) {
      return ifdMutation(buf, d, exifTiffStart(buf), 'EXIF');
    },
    exif2(buf, d) {
      const first = ifdMutation(buf, d, exifTiffStart(buf), 'EXIF');
      if (!first) return undefined;
      const second = ifdMutation(first.bytes, d, exifTiffStart(first.bytes), 'EXIF');
      return second ? { bytes: second.bytes, what: `${first.what}; ${second.what}` } : first;
    },
  },
  png: {
    chunkLength(buf, d) {
      const chunks = pngChunks(buf);
      if (chunks.length === 0) return undefined;
      const c = d.pick(chunks);
      const v = d.pick([...EDGE32, c.length + 1, Math.max(0, c.length - 1), d.u32(), d.int(1 << 16)]);
      const out = Buffer.from(buf);
      out.writeUInt32BE(v >>> 0, c.at);
      return { bytes: out, what: `PNG ${c.type} length ${v}` };
    },
    header(buf, d) {
      const ihdr = pngChunks(buf).find((c) => c.type === 'IHDR' && c.length === 13);
      if (!ihdr) return undefined;
      const out = Buffer.from(buf);
      const field = d.int(7);
      const p = ihdr.at + 8;
      let what: string;
      if (field < 2) {
        const v = d.pick([...EDGE32, d.u32(), 50_000, 1 + d.int(100_000)]);
        out.writeUInt32BE(v >>> 0, p + 4 * field);
        what = `PNG ${field === 0 ? 'width' : 'height'} ${v}`;
      } else {
        const v = d.pick([0, 1, 2, 3, 4, 6, 7, 8, 16, 255, d.int(256)]);
        out[p + 6 + field] = v;
        what = `PNG header byte ${6 + field} = ${v}`;
      }
      fixPngCrc(out, ihdr);
      return { bytes: out, what: `${what} (CRC fixed)` };
    },
    chunkData(buf, d) {
      const chunks = pngChunks(buf).filter((c) => c.length > 0 && c.at + 12 + c.length <= buf.length);
      if (chunks.length === 0) return undefined;
      const c = d.pick(chunks);
      const out = Buffer.from(buf);
      const n = 1 + d.int(8);
      for (let k = 0; k < n; k++) out[c.at + 8 + d.int(c.length)] = d.int(256);
      fixPngCrc(out, c);
      return { bytes: out, what: `PNG ${c.type}: ${n} data bytes set (CRC fixed)` };
    },
    chunkType(buf, d) {
      const chunks = pngChunks(buf);
      if (chunks.length === 0) return undefined;
      const c = d.pick(chunks);
      const out = Buffer.from(buf);
      out.write(
        d.pick(['IHDR', 'IDAT', 'IEND', 'PLTE', 'tRNS', 'eXIf', 'zTXt', 'iCCP', 'acTL', 'abcd']),
        c.at + 4,
        'latin1',
      );
      fixPngCrc(out, { ...c });
      return {
        bytes: out,
        what: `PNG chunk at ${c.at} renamed ${out.toString('latin1', c.at + 4, c.at + 8)}`,
      };
    },
  },
  tiff: {
    ifd(buf, d) {
      return ifdMutation(buf, d, 0, 'TIFF');
    },
    ifd2(buf, d) {
      const first = ifdMutation(buf, d, 0, 'TIFF');
      if (!first) return undefined;
      const second = ifdMutation(first.bytes, d, 0, 'TIFF');
      return second ? { bytes: second.bytes, what: `${first.what}; ${second.what}` } : first;
    },
  },
  webp: {
    riffSize(buf, d) {
      if (buf.length < 20) return undefined;
      const out = Buffer.from(buf);
      const at = d.pick([4, 16]);
      const v = d.pick([...EDGE32, d.u32(), buf.length, buf.length + 1 + d.int(1000)]);
      out.writeUInt32LE(v >>> 0, at);
      return { bytes: out, what: `RIFF size at ${at} = ${v}` };
    },
  },
};

/**
 * The mutated bytes of case `index` of a run seeded with `seed` (deterministic), and a
 * description of what was done. Format-aware mutations are chosen half of the time; one case in
 * five stacks two mutations.
 */
export function mutateCase(
  base: Buffer,
  format: FuzzFormat,
  seed: number,
  index: number,
): { bytes: Buffer; what: string } {
  const d = new Draw(rng(hashSeed(seed, 'fuzz', index)));
  const one = (buf: Buffer): { bytes: Buffer; what: string } => {
    const own = byFormat[format];
    for (let tries = 0; tries < 4; tries++) {
      const table = d.random() < 0.5 ? own : generic;
      const name = d.pick(Object.keys(table));
      const r = table[name](buf, d);
      if (r && !r.bytes.equals(buf)) return r;
    }
    return generic.flip(buf, d)!;
  };
  const first = one(base);
  if (d.random() >= 0.2) return first;
  const second = one(first.bytes);
  return { bytes: second.bytes, what: `${first.what}; ${second.what}` };
}
