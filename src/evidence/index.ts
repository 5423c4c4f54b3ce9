/**
 * evidence/: header and sensor-defect evidence. The JPEG marker parser and quality estimate
 * (jpeg.ts), EXIF (exif.ts, exifr), signs of editing (signs.ts), the table library's comparison
 * (tables.ts), defective-pixel maps and their matching (defects.ts), files at intake (intake.ts)
 * and `inspect` (inspect.ts), which puts them together.
 */
export { parseJpeg, isJpeg, estimateQuality } from './jpeg.js';
export type {
  JpegStructure,
  QuantTable,
  HuffmanTable,
  FrameHeader,
  QualityEstimate,
  ThumbnailInfo,
} from './jpeg.js';
export { ijgTable, STD_LUMINANCE_QUANT, STD_CHROMINANCE_QUANT, ZIGZAG } from './standard-tables.js';
export { readExif } from './exif.js';
export type { ExifSummary } from './exif.js';
export { editingSigns } from './signs.js';
export type { Sign } from './signs.js';
export { tableSignature, compareTables, summariseComparisons } from './tables.js';
export type { TableSignature, TableComparison, TableVerdict } from './tables.js';
export {
  outlierScores,
  DefectAccumulator,
  matchDefects,
  minimumHits,
  lnHypergeometricTail,
  lnBinomialTail,
  DEFECT_DEFAULTS,
} from './defects.js';
export type { DefectEstimate, DefectMatch, DefectMapOptions, DefectMatchOptions } from './defects.js';
export { readEvidenceFile, scoreFrame } from './intake.js';
export type { ScoredFrame } from './intake.js';
export { inspectImage, intakeImage } from './inspect.js';
export type { InspectResult, InspectOptions, DefectComparison } from './inspect.js';
export { inspectAndRecord, recordInspection } from './record.js';
