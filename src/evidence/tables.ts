/**
 * The table library: what quantisation tables a camera writes, learnt from the user's own
 * reference images, and how a photo's tables compare with every stored set.
 *
 * A camera's firmware picks its tables (one per quality setting, or, like Nikon's, adapted to
 * each scene), so identical tables are consistent with that camera, and different tables at the
 * same quality point to another encoder. Tables are shared by every camera that uses the same
 * firmware or library (all libjpeg software at one quality writes the same ones): a match never
 * identifies a device, and re-saving an image replaces them.
 */
import type { JpegTablesRecord } from '../store/index.js';
import type { JpegStructure } from './jpeg.js';

/** What the library keeps of a file's tables (plain JSON: the store hashes it canonically). */
export interface TableSignature {
  /** The quantisation tables in natural order, in the order the frame's components use them. */
  quant: number[][];
  subsampling: string | null;
  huffman: JpegStructure['huffman'];
  [key: string]: unknown;
}

export type TableVerdict = 'identical' | 'same-quality' | 'different';

export interface TableComparison {
  camera: string;
  model?: string;
  tablesSha256: string;
  /** identical: every quantisation table equal; same-quality: same estimated IJG quality, other tables. */
  verdict: TableVerdict;
  /** The stored set's estimated quality. */
  quality: number | null;
  /** Whether the chroma subsampling is the same too. */
  sameSubsampling: boolean;
  /** Reference images that showed the stored set. */
  images: number;
}

/** The tables of a parsed JPEG as the library keeps them; null without quantisation tables. */
export function tableSignature(jpeg: JpegStructure): TableSignature | null {
  if (jpeg.quantTables.length === 0) return null;
  const order: number[] = [];
  for (const c of jpeg.frame?.components ?? []) if (!order.includes(c.quantTable)) order.push(c.quantTable);
  for (const t of [...jpeg.quantTables].sort((a, b) => a.id - b.id))
    if (!order.includes(t.id)) order.push(t.id);
  const quant: number[][] = [];
  for (const id of order) {
    const t = jpeg.quantTables.find((x) => x.id === id);
    if (t) quant.push([...t.values]);
  }
  return { quant, subsampling: jpeg.subsampling, huffman: jpeg.huffman };
}

function sameQuant(a: readonly number[][], b: unknown): boolean {
  if (!Array.isArray(b) || a.length !== b.length) return false;
  return a.every((t, i) => {
    const u: unknown = b[i];
    return Array.isArray(u) && u.length === t.length && t.every((v, k) => v === u[k]);
  });
}

/**
 * Compares a photo's tables with every stored set, best verdict first (identical, then same
 * quality, then different; ties by camera name).
 */
export function compareTables(
  photo: TableSignature,
  quality: number | null,
  library: readonly JpegTablesRecord[],
): TableComparison[] {
  const rank: Record<TableVerdict, number> = { identical: 0, 'same-quality': 1, different: 2 };
  return library
    .map((r): TableComparison => {
      const verdict: TableVerdict = sameQuant(photo.quant, r.tables.quant)
        ? 'identical'
        : quality !== null && r.quality === quality
          ? 'same-quality'
          : 'different';
      const c: TableComparison = {
        camera: r.camera,
        tablesSha256: r.tablesSha256,
        verdict,
        quality: r.quality,
        sameSubsampling: r.tables.subsampling === photo.subsampling,
        images: r.images,
      };
      if (r.model !== undefined) c.model = r.model;
      return c;
    })
    .sort(
      (a, b) => rank[a.verdict] - rank[b.verdict] || (a.camera < b.camera ? -1 : a.camera > b.camera ? 1 : 0),
    );
}

/** Per camera, its best verdict: which cameras' libraries hold these exact tables, or this quality. */
export function summariseComparisons(list: readonly TableComparison[]): {
  identical: string[];
  sameQuality: string[];
} {
  const identical = [...new Set(list.filter((c) => c.verdict === 'identical').map((c) => c.camera))];
  const sameQuality = [
    ...new Set(
      list.filter((c) => c.verdict === 'same-quality' && !identical.includes(c.camera)).map((c) => c.camera),
    ),
  ];
  return { identical, sameQuality };
}
