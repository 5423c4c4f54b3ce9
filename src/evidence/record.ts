/**
 * `inspect` for the CLI and the server alike, and its chain of custody: the file as it was read,
 * and what was found, in the audit log.
 */
import type { AuditEntry, Store } from '../store/index.js';
import { inspectImage, intakeImage, type InspectResult } from './inspect.js';
import { readEvidenceFile } from './intake.js';

export function recordInspection(store: Store, r: InspectResult): Promise<AuditEntry> {
  return store.recordEvidence({
    image: intakeImage(r),
    action: 'image.inspect',
    details: {
      bytes: r.bytes,
      quality: r.jpeg.quality,
      tablesIdentical: r.tables?.identical ?? [],
      defects: r.defects.map((d) => ({
        camera: d.camera,
        hits: d.hits,
        tested: d.tested,
        match: d.match,
      })),
      signs: r.signs.map((s) => s.sign),
      warnings: r.warnings.length,
    },
  });
}

/**
 * `inspect` of one file as the examiner's tools do it: read and hashed once, compared with the
 * store's table library and defect maps, and recorded (recordInspection).
 */
export async function inspectAndRecord(
  store: Store,
  file: string,
  options: { maxPixels?: number } = {},
): Promise<InspectResult> {
  const { bytes, sha256 } = await readEvidenceFile(file);
  const r = await inspectImage(file, bytes, sha256, {
    library: await store.listJpegTables(),
    defectMaps: await store.listDefectMaps(),
    maxPixels: options.maxPixels,
  });
  await recordInspection(store, r);
  return r;
}
