/**
 * EXIF with exifr (JPEG, TIFF, PNG, WebP, HEIC): the fields an examiner reads first. Dates are
 * kept as the file writes them ("YYYY:MM:DD HH:MM:SS", no time zone): converting them would
 * invent one. A malformed block gives a warning and what could be read, never an exception.
 */
import exifr from 'exifr';

export interface ExifSummary {
  /** True when the file holds an EXIF (TIFF IFD0) block at all. */
  present: boolean;
  make: string | null;
  model: string | null;
  /** Body serial numbers as written (SerialNumber, BodySerialNumber, InternalSerialNumber). */
  serialNumbers: string[];
  lensSerialNumber: string | null;
  software: string | null;
  /** When the photo was taken (DateTimeOriginal), digitised (CreateDate) and last changed (ModifyDate). */
  dateTimeOriginal: string | null;
  createDate: string | null;
  modifyDate: string | null;
  /** Orientation tag 1–8, null when absent. */
  orientation: number | null;
  lens: string | null;
  gps: { present: boolean };
  /** The pixel size the EXIF block states (ExifImageWidth/Height). */
  width: number | null;
  height: number | null;
  /** IFD1 (the thumbnail's directory) is there. */
  ifd1: boolean;
  warnings: string[];
}

type Block = Record<string, unknown>;

const text = (v: unknown): string | null => {
  if (typeof v === 'string') {
    // eslint-disable-next-line no-control-regex
    const s = v.replace(/[\u0000-\u001f\u007f]/g, '').trim();
    return s.length > 0 ? s.slice(0, 500) : null;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
};

const int = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);

/** Reads the EXIF summary of a file's bytes. Never throws. */
export async function readExif(bytes: Uint8Array): Promise<ExifSummary> {
  const out: ExifSummary = {
    present: false,
    make: null,
    model: null,
    serialNumbers: [],
    lensSerialNumber: null,
    software: null,
    dateTimeOriginal: null,
    createDate: null,
    modifyDate: null,
    orientation: null,
    lens: null,
    gps: { present: false },
    width: null,
    height: null,
    ifd1: false,
    warnings: [],
  };
  let parsed: Record<string, Block | undefined> | undefined;
  try {
    parsed = (await exifr.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      tiff: true,
      ifd0: {},
      exif: true,
      gps: true,
      ifd1: true,
      interop: false,
      makerNote: false,
      userComment: false,
      xmp: false,
      icc: false,
      iptc: false,
      jfif: false,
      ihdr: false,
      translateKeys: true,
      translateValues: false,
      reviveValues: false,
      sanitize: true,
      mergeOutput: false,
    })) as Record<string, Block | undefined> | undefined;
  } catch (err) {
    out.warnings.push(`EXIF unreadable (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    return out;
  }
  if (parsed === undefined || parsed === null || typeof parsed !== 'object') return out;
  const ifd0: Block = parsed.ifd0 ?? {};
  const exif: Block = parsed.exif ?? {};
  const gps: Block = parsed.gps ?? {};
  out.present = Object.keys(ifd0).length > 0 || Object.keys(exif).length > 0;
  out.make = text(ifd0.Make);
  out.model = text(ifd0.Model);
  for (const v of [exif.BodySerialNumber, ifd0.SerialNumber, exif.SerialNumber, ifd0.InternalSerialNumber]) {
    const s = text(v);
    if (s !== null && !out.serialNumbers.includes(s)) out.serialNumbers.push(s);
  }
  out.lensSerialNumber = text(exif.LensSerialNumber);
  out.software = text(ifd0.Software);
  out.dateTimeOriginal = text(exif.DateTimeOriginal);
  out.createDate = text(exif.CreateDate);
  out.modifyDate = text(ifd0.ModifyDate);
  const o = int(ifd0.Orientation);
  out.orientation = o !== null && o >= 1 && o <= 8 ? o : null;
  if (ifd0.Orientation !== undefined && out.orientation === null)
    out.warnings.push(`EXIF orientation ${String(ifd0.Orientation)} is not 1–8`);
  const lensParts = [text(exif.LensMake), text(exif.LensModel)].filter((s): s is string => s !== null);
  out.lens = lensParts.length > 0 ? lensParts.join(' ') : null;
  out.gps.present = Object.keys(gps).some((k) => /^GPS(Latitude|Longitude)$/.test(k));
  out.width = int(exif.ExifImageWidth);
  out.height = int(exif.ExifImageHeight);
  out.ifd1 = parsed.ifd1 !== undefined && Object.keys(parsed.ifd1).length > 0;
  return out;
}
