/**
 * The report as one self-contained HTML document: inline CSS, inline SVG figures, no script, no
 * link, no font or image fetched from anywhere. Printable on A4 (print CSS, each main section on
 * a new page). Every figure it states comes from ReportData; the words around them are here.
 */
import { DETECT_DEFAULTS, GREY_WEIGHTS, log10NormalTail } from '../prnu/index.js';
import { DEFAULT_DIGEST_SIZE, DIGEST_PIXELS_PER_VALUE } from '../search/digest.js';
import type {
  FingerprintUsed,
  QuestionedResult,
  ReportComparison,
  ReportData,
  ReportFile,
} from './collect.js';
import { esc } from './escape.js';
import { explanations } from './text.js';

export { esc };

const MINUS = '\u2212';

/** A PCE for people. */
export function fmtPce(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '—';
  if (Math.abs(x) >= 1e5) return sci(x, Math.log10(Math.abs(x)), x < 0);
  return x.toFixed(1).replace('-', MINUS);
}

/** a × 10^b from a value's log10, as HTML. */
function sci(x: number, log10: number, negative = false): string {
  const exponent = Math.floor(log10);
  let mantissa = 10 ** (log10 - exponent);
  let e = exponent;
  if (Number(mantissa.toFixed(1)) >= 10) {
    mantissa /= 10;
    e += 1;
  }
  const sign = negative ? MINUS : '';
  return `${sign}${mantissa.toFixed(1)}&#8239;×&#8239;10<sup>${String(e).replace('-', MINUS)}</sup>`;
}

/** A probability given with its log10 (finite even where the probability underflows), as HTML. */
export function fmtProb(p: number | null, log10: number | null): string {
  if (p === null || log10 === null) return '—';
  if (log10 >= -3) return p.toPrecision(2);
  return sci(p, log10);
}

function fmtNum(x: number | null | undefined, digits: number): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return x.toFixed(digits).replace('-', MINUS);
}

/** An ISO time as `YYYY-MM-DD HH:MM:SS UTC` (milliseconds dropped for reading; the store keeps them). */
function time(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?Z$/.exec(iso);
  return m ? `<span class="nw">${m[1]}</span> <span class="nw">${m[2]} UTC</span>` : esc(iso);
}

function bytes(n: number): string {
  return `${n.toLocaleString('en-GB')} bytes`;
}

function decisionLabel(r: ReportComparison): string {
  if (!r.comparable) return '<span class="nc">not comparable</span>';
  return r.match ? '<span class="yes">MATCH</span>' : '<span class="no">no match</span>';
}

function kv(rows: [string, string][], cls = 'kv'): string {
  return `<table class="${cls}"><tbody>${rows
    .map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${v}</td></tr>`)
    .join('')}</tbody></table>`;
}

function hash(sha: string): string {
  return `<span class="hash">${esc(sha)}</span>`;
}

/** Parameters as `key = value` pairs. */
function params(obj: Record<string, unknown>): string {
  return Object.entries(obj)
    .map(([k, v]) => `${esc(k)}&nbsp;=&nbsp;${esc(typeof v === 'object' ? JSON.stringify(v) : String(v))}`)
    .join('; ');
}

/** The best comparable result of a photo, and whether any camera matched. */
function best(q: QuestionedResult): ReportComparison | undefined {
  return q.results.find((r) => r.comparable);
}

/** A match whose PCE is below this multiple of the threshold is said to be near it. */
export const NEAR_THRESHOLD = 2;

/** One plain sentence per questioned photo: what was found. */
export function finding(q: QuestionedResult, threshold: number): string {
  const f = q.file;
  const matches = q.results.filter((r) => r.comparable && r.match);
  const top = best(q);
  const who = `${f.label} (${esc(f.name)})`;
  if (q.results.length === 0 || top === undefined) {
    const reason = q.results[0]?.reason ?? 'no stored fingerprint has its size in any orientation';
    return `${who} could not be compared with any fingerprint: ${esc(reason)}.`;
  }
  if (matches.length === 0) {
    return (
      `${who}: no camera compared reaches the decision threshold (highest PCE ${fmtPce(top.pce)}, ` +
      `${esc(top.camera)}; τ = ${threshold}). This result is inconclusive: it does not show that another ` +
      'camera took the photo.'
    );
  }
  const parts = matches.map(
    (m) =>
      `the sensor pattern of <b>${esc(m.camera)}</b> is present (PCE ${fmtPce(m.pce)} &gt; τ = ${threshold}; ` +
      `false-alarm probability ${fmtProb(m.pFalseAlarm, m.log10PFalseAlarm)}${
        (m.pce ?? 0) < NEAR_THRESHOLD * threshold
          ? `; the PCE is within a factor ${NEAR_THRESHOLD} of the threshold, where the false-alarm probability is least reliable (section 6.1)`
          : ''
      })`,
  );
  const others = q.results.filter((r) => r.comparable && !r.match);
  const rest =
    others.length === 0
      ? ''
      : ` The other ${others.length === 1 ? 'camera' : `${others.length} cameras`} compared ` +
        `stay below the threshold (highest PCE ${fmtPce(others[0].pce)}, ${esc(others[0].camera)}).`;
  return `${who}: ${parts.join('; ')}.${rest}`;
}

function fileRow(f: ReportFile): string {
  return `<tr>
    <td>${esc(f.label)}</td>
    <td>${esc(f.role)}</td>
    <td><b>${esc(f.name)}</b><div class="path">${esc(f.path)}</div>${hash(f.sha256)}</td>
    <td class="num">${f.width}×${f.height}<div class="small">${esc(f.format)}<br>${bytes(f.bytes)}</div></td>
    <td class="small">${f.addedAt ? `added ${time(f.addedAt)}<br>` : ''}file modified ${time(f.modified)}</td>
  </tr>`;
}

function resultsTable(q: QuestionedResult): string {
  const identify = q.method === 'identify';
  const head = [
    'camera',
    ...(identify ? ['digest z'] : []),
    'PCE',
    'NCC',
    'P<sub>FA</sub>',
    'peak shift (row, col)',
    'rotation',
    'tests m',
    'decision',
    'record',
  ];
  const rows = q.results.map(
    (r) => `<tr${r.comparable && r.match ? ' class="hit"' : ''}>
      <td>${esc(r.camera)}</td>
      ${identify ? `<td class="num">${fmtNum(r.digestScore ?? null, 1)}</td>` : ''}
      <td class="num">${fmtPce(r.pce)}</td>
      <td class="num">${fmtNum(r.ncc, 4)}</td>
      <td class="num">${fmtProb(r.pFalseAlarm, r.log10PFalseAlarm)}</td>
      <td class="num">${r.shift ? `${r.shift[0]}, ${r.shift[1]}` : '—'}</td>
      <td class="num">${r.rotation === null ? '—' : `${r.rotation}°`}</td>
      <td class="num">${r.tests ?? '—'}</td>
      <td>${decisionLabel(r)}${r.comparable ? '' : `<div class="path">${esc(r.reason)}</div>`}</td>
      <td class="num">#${r.recordId}</td>
    </tr>`,
  );
  return `<table class="results"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead>
    <tbody>${rows.join('')}</tbody></table>`;
}

function exifTable(f: ReportFile): string {
  const e = f.evidence.exif;
  if (!e.present) return '<p>No EXIF metadata in the file.</p>';
  return kv([
    ['Make / model', esc([e.make, e.model].filter(Boolean).join(' ') || '—')],
    ['Serial number(s)', esc(e.serialNumbers.join(', ') || '—')],
    ['Software', esc(e.software ?? '—')],
    ['DateTimeOriginal', esc(e.dateTimeOriginal ?? '—')],
    ['CreateDate / ModifyDate', esc(`${e.createDate ?? '—'} / ${e.modifyDate ?? '—'}`)],
    ['Orientation', esc(e.orientation ?? '—')],
    ['Lens', esc(e.lens ?? '—')],
    ['GPS', e.gps.present ? 'present' : 'absent'],
    ['Size stated in EXIF', e.width !== null ? `${e.width}×${e.height}` : '—'],
    ['Thumbnail directory (IFD1)', e.ifd1 ? 'present' : 'absent'],
  ]);
}

function jpegTable(f: ReportFile): string {
  const j = f.evidence.jpeg;
  if (!j.isJpeg) return `<p>Not a JPEG file (${esc(f.format)}): no quantisation tables to compare.</p>`;
  const q = j.qualityEstimate;
  const app = Object.entries(j.app)
    .filter(([k, v]) => k !== 'xmpCreatorTool' && v === true)
    .map(([k]) => k.toUpperCase());
  return kv([
    [
      'Quality (IJG scale)',
      j.quality === null
        ? '—'
        : `${j.quality} ${q?.exact ? '(the tables are exactly libjpeg’s)' : `(nearest libjpeg tables; mean |Δ| ${fmtNum(q?.meanAbsDifference ?? null, 2)})`}`,
    ],
    ['Chroma subsampling', esc(j.subsampling ?? '—')],
    ['Process / Huffman tables', esc(`${j.process ?? '—'} / ${j.huffman}`)],
    ['Markers', `<span class="small">${esc(j.markers.join(' '))}</span>`],
    ['Segments present', esc(app.join(', ') || 'none')],
    [
      'Embedded thumbnail',
      j.thumbnail.present ? esc(`${j.thumbnail.source} (${j.thumbnail.bytes ?? '?'} bytes)`) : 'none',
    ],
    ['Bytes after end of image', String(j.trailingBytes)],
    ['Comments', esc(j.comments.join(' | ') || '—')],
  ]);
}

function tablesVerdict(f: ReportFile): string {
  const t = f.evidence.tables;
  if (!f.evidence.jpeg.isJpeg) return '';
  if (t === null || t.comparisons.length === 0) {
    return '<p>The table library holds no reference tables (<code>camprint tables add</code>): not compared.</p>';
  }
  const n = t.comparisons.length;
  const library = `the library’s ${n} reference set${n === 1 ? '' : 's'} of tables`;
  if (t.identical.length === 0 && t.sameQuality.length === 0) {
    return `<p>The quantisation tables are neither identical to, nor of the same estimated quality as, any of
      ${library}.</p>`;
  }
  return `<p>Against ${library}: ${
    t.identical.length
      ? `identical to the tables of <b>${esc(t.identical.join(', '))}</b>`
      : 'identical to none'
  }${t.sameQuality.length ? `; of the same estimated quality as ${esc(t.sameQuality.join(', '))}` : ''}.</p>`;
}

function defectsBlock(f: ReportFile): string {
  const d = f.evidence.defects;
  if (d.length === 0) return '<p>No defective-pixel map of this image size is stored: not compared.</p>';
  const empty = d.filter((x) => x.mapDefects === 0).map((x) => x.camera);
  const tested = d.filter((x) => x.mapDefects > 0);
  const note =
    empty.length === 0
      ? ''
      : empty.length === 1
        ? `<p>The stored map of ${esc(empty[0])} holds no defective pixel (none was found in its frames):
           nothing to compare.</p>`
        : `<p>The stored maps of ${esc(empty.join(', '))} hold no defective pixel (none was found in their
           frames): nothing to compare.</p>`;
  if (tested.length === 0) return note;
  return `<table><thead><tr><th>camera map</th><th>defects seen / tested</th><th>expected by chance</th>
    <th>P(coincidence)</th><th>decision</th></tr></thead><tbody>${tested
      .map(
        (x) => `<tr><td>${esc(x.camera)}</td><td class="num">${x.hits} / ${x.tested}</td>
        <td class="num">${fmtNum(x.expectedByChance, 2)}</td>
        <td class="num">${fmtProb(x.pCoincidence, x.log10PCoincidence)}</td>
        <td>${x.match ? '<span class="yes">match</span>' : 'no match'}</td></tr>`,
      )
      .join('')}</tbody></table>${note}`;
}

function signsBlock(f: ReportFile): string {
  const s = f.evidence.signs;
  const w = f.evidence.warnings;
  return `${
    s.length === 0
      ? '<p>Signs of editing or stripped metadata: none of those checked.</p>'
      : `<p>Signs to look closer at (not findings):</p><ul>${s.map((x) => `<li>${esc(x.detail)}</li>`).join('')}</ul>`
  }${w.length ? `<p>Reading warnings:</p><ul>${w.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : ''}`;
}

function cnnBlock(q: QuestionedResult, data: ReportData): string {
  if (q.cnn === null || data.model === null) return '';
  const first = q.cnn.top[0]?.class;
  const prnu = q.results.filter((r) => r.comparable && r.match).map((r) => r.camera);
  const agreement =
    prnu.length === 0 || first === undefined
      ? ''
      : prnu.includes(first)
        ? `<p class="small">The network’s first class, ${esc(first)}, is the camera the PRNU comparison matched.</p>`
        : data.model.classes.some((c) => prnu.includes(c))
          ? `<p class="small"><b>The network’s first class (${esc(first)}) is not the camera the PRNU comparison
             matched (${esc(prnu.join(', '))}).</b> The PRNU result, which tests the individual sensor with a
             stated false-alarm probability, is the stronger evidence; the disagreement is reported, not
             resolved (section 6.6).</p>`
          : '';
  return `<div class="keep"><h4>Convolutional network: top-${q.cnn.top.length}</h4>
    <table class="cnn"><thead><tr>${q.cnn.top.map((_, i) => `<th>${i + 1}</th>`).join('')}</tr></thead>
    <tbody><tr>${q.cnn.top
      .map((t) => `<td>${esc(t.class)}<br><b>${(t.probability * 100).toFixed(1)}%</b></td>`)
      .join('')}</tr></tbody></table>
    ${agreement}
    <p class="small">${esc(data.model.network)} (${esc(data.model.path)}): the softmax averaged over
    ${q.cnn.crops} crops of ${data.model.crop}×${data.model.crop} pixels. The classes are what the network was
    trained on, not the fingerprints above; section 6.6 says what these scores are worth.</p></div>`;
}

function questionedSection(
  q: QuestionedResult,
  data: ReportData,
  n: number,
  svg: string | undefined,
): string {
  const f = q.file;
  const threshold = data.settings.threshold;
  const search = q.search
    ? `<p>Search of the whole database: ${q.search.fingerprints} fingerprint(s); ${q.search.scanned} ranked by
       their digest, the best ${q.search.reranked} re-tested with the full detector${
         q.search.cropTested ? `, and ${q.search.cropTested} larger than the photo tested in full` : ''
       }${q.search.notComparable ? `; ${q.search.notComparable} of another size not comparable` : ''}.
       Only the cameras re-tested are listed.</p>`
    : '';
  const tpfa = q.thresholdPfa
    ? `<p>Decision threshold τ = ${threshold}. For the best result, m = ${q.thresholdPfa.tests} shift position(s) ×
       rotation(s) were searched; the probability that a photo from another camera reaches τ there is
       ${fmtProb(q.thresholdPfa.p, q.thresholdPfa.log10)} (the decision rule’s own false-alarm rate).</p>`
    : '';
  const figure = svg
    ? `<figure>${svg}<figcaption>Figure ${n}. Correlation of ${esc(f.label)} with each fingerprint in the
       ${2 * data.settings.surfaceRadius + 1}×${2 * data.settings.surfaceRadius + 1} pixels around its
       peak, in units of σ (the RMS correlation away from the peak), on one colour scale; the centre value
       is √PCE. A match is a single bright cell at the centre of a dark field; a non-match is a field of
       like values. Below: the row through each peak, with the threshold √τ (dashed).</figcaption></figure>`
    : '';
  return `<section class="page" id="${esc(f.label)}">
    <h2>3.${n} ${esc(f.label)} — ${esc(f.name)}</h2>
    ${kv([
      ['SHA-256', hash(f.sha256)],
      [
        'File',
        `<span class="path">${esc(f.path)}</span><br><span class="small">${f.width}×${f.height} ${esc(f.format)}, ${bytes(f.bytes)}; file modified ${time(f.modified)}</span>`,
      ],
      ['Finding', finding(q, threshold)],
    ])}
    <h3>PRNU comparison (${q.method === 'match' ? 'with the cameras named in the case' : 'search of the database'})</h3>
    ${search}
    ${q.results.length ? resultsTable(q) : '<p>No fingerprint could be compared.</p>'}
    ${tpfa}
    ${figure}
    ${cnnBlock(q, data)}
    <div class="keep">
      <h3>Header and sensor-defect evidence</h3>
      <div class="cols">
        <div><h4>EXIF</h4>${exifTable(f)}</div>
        <div><h4>JPEG structure</h4>${jpegTable(f)}</div>
      </div>
    </div>
    <h4>JPEG tables against the library</h4>${tablesVerdict(f)}
    <h4>Defective pixels</h4>${defectsBlock(f)}
    <h4>Signs of editing, warnings</h4>${signsBlock(f)}
  </section>`;
}

function fingerprintBlock(fp: FingerprintUsed): string {
  const r = fp.record;
  const q = r.quality;
  const num = (v: unknown, d: number) => (typeof v === 'number' ? fmtNum(v, d) : '—');
  return `<div class="keep"><h3>${esc(r.camera)}</h3>${kv([
    ['Model / device', esc(`${r.model ?? '—'} / ${r.device ?? '—'}`)],
    ['Size', `${r.width}×${r.height} pixels`],
    ['Images', `${r.images} (their SHA-256 in Appendix A)`],
    [
      'Quality',
      `mean leave-one-out PCE ${num(q.meanPce, 1)}, lowest ${num(q.minPce, 1)}; PRNU energy (mean K²) ${
        typeof q.prnuEnergy === 'number' ? q.prnuEnergy.toExponential(3) : '—'
      }`,
    ],
    ['Estimation parameters', `<span class="small">${params(r.params)}</span>`],
    ['Data SHA-256 (float32, row-major)', hash(r.dataSha256)],
    ['Stored', esc(r.createdAt)],
  ])}</div>`;
}

/** A model's stored evaluation (`camprint evaluate`: {split: {top1, top5, images}}) in words. */
function measured(metrics: Record<string, unknown> | null): string {
  if (metrics === null) return '; not evaluated on held-out photos';
  const parts: string[] = [];
  for (const [split, v] of Object.entries(metrics)) {
    const m = v as { top1?: unknown; top5?: unknown; images?: unknown };
    if (typeof m !== 'object' || m === null || typeof m.top1 !== 'number') continue;
    parts.push(
      `${esc(split)} split${typeof m.images === 'number' ? ` (${m.images} photos)` : ''}: top-1 ${(m.top1 * 100).toFixed(1)}%` +
        (typeof m.top5 === 'number' ? `, top-5 ${(m.top5 * 100).toFixed(1)}%` : ''),
    );
  }
  return parts.length ? `; measured on the ${parts.join('; ')}` : '; not evaluated on held-out photos';
}

function methods(data: ReportData): string {
  const s = data.settings;
  const res = s.residual;
  const ex = s.detector.exclusionRadius;
  const wienerSigma =
    typeof res.wienerSigma === 'number' && res.wienerSigma > 0
      ? `σ = ${res.wienerSigma}`
      : 'σ the residual’s own standard deviation';
  const q60 = log10NormalTail(Math.sqrt(s.threshold));
  const rows: [string, string][] = [
    [
      'Noise residual',
      `W = I − F(I) per colour channel: ${esc(res.levels)}-level ${esc(res.wavelet)} wavelet decomposition; detail
       sub-bands shrunk by an adaptive Wiener filter (local variance the least over windows
       ${esc((res.wienerWindows as number[]).join(', '))}; noise σ = ${esc(res.sigma)} on the 0–255 scale); the
       approximation zeroed. Channels combined to grey with weights ${GREY_WEIGHTS.map((w) => w.toFixed(4)).join(', ')};
       zero mean over the rows and columns of each 2×2 colour-filter lattice (${esc(res.zeroMean)}); Wiener
       filtering in the Fourier domain (${wienerSigma}).`,
    ],
    [
      'Fingerprint',
      'K = Σ W·I / Σ I² over the reference images (maximum-likelihood estimate), saturated pixels masked, then the same zero-mean and Fourier-domain Wiener steps. Each fingerprint’s own parameters are listed in section 4.',
    ],
    [
      'Correlation',
      `The cross-correlation of I·K with W (I: the photo’s grey intensity) at every shift, by FFT. Shifts searched:
       ${s.detector.maxShift === 0 ? 'none for a photo of the sensor’s size (aligned)' : `±${s.detector.maxShift} pixels for a photo of the sensor’s size`};
       every position for a smaller photo (a crop). Rotations: ${
         s.detector.rotations ? '0°, 90°, 180° and 270° where the size fits (portrait shots)' : '0° only'
       }${s.detector.stopAtMatch && s.detector.rotations ? ', stopping at the first above the threshold' : ''}.`,
    ],
    [
      'PCE',
      `Peak-to-correlation energy: PCE = sign(c<sub>peak</sub>)·c<sub>peak</sub>² / mean(c²) over every shift outside the
       ${2 * ex + 1}×${2 * ex + 1} neighbourhood of the peak. NCC: the normalised correlation of I·K with W at the peak.`,
    ],
    [
      'False-alarm probability',
      `P<sub>FA</sub> = 1 − (1 − Q(√PCE))<sup>m</sup>, Q the upper tail of the standard normal distribution and m the
       number of shift positions × rotations searched (column m): the probability that a photo from another
       camera reaches this PCE, if the correlation of unrelated noise is Gaussian. For the threshold itself,
       Q(√τ) = ${sci(10 ** q60, q60)} per position.`,
    ],
    [
      'Decision',
      `Match when PCE &gt; τ = ${s.threshold}${
        s.threshold === DETECT_DEFAULTS.threshold
          ? ' (camprint’s default, the customary threshold)'
          : ' (set for this report)'
      }; otherwise no match (inconclusive).`,
    ],
    [
      'Cameras compared',
      s.cameras === null
        ? `Every fingerprint in the database, ranked by a compact digest (by default the largest-magnitude values of each fingerprint, one in ${DIGEST_PIXELS_PER_VALUE} and at least ${DEFAULT_DIGEST_SIZE.toLocaleString('en-GB')}); the best re-tested with the full detector.`
        : esc(s.cameras.join(', ')),
    ],
    [
      'Header evidence',
      'EXIF read with exifr as written (no time zone added); JPEG markers and tables parsed by camprint; quality as the nearest IJG (libjpeg) scale; tables compared with the library of reference tables; defective pixels scored against each stored map of the same size (hypergeometric probability of coincidence).',
    ],
  ];
  if (data.model !== null) {
    const m = data.model;
    rows.push([
      'Convolutional network',
      `${esc(m.network)} trained on ${esc(m.dataset ?? 'an unnamed data set')} (${m.classes.length} classes,
       input ${esc(m.input)}, ${m.crop}×${m.crop} crops${m.epochs !== null ? `, ${m.epochs} epochs` : ''}${
         m.bestValAccuracy !== null
           ? `, best validation accuracy ${(m.bestValAccuracy * 100).toFixed(1)}%`
           : ''
       }${measured(m.metrics)}); run with onnxruntime; the photo’s score is the softmax averaged over its crops.`,
    ]);
  }
  return `<section class="page" id="methods"><h2>5. Methods and parameters</h2>
    ${kv(rows, 'kv wide')}
    <p class="small">References: J. Lukáš, J. Fridrich, M. Goljan, “Digital camera identification from sensor pattern
    noise”, IEEE TIFS 1(2), 2006; M. Chen, J. Fridrich, M. Goljan, J. Lukáš, “Determining image origin and integrity
    using sensor noise”, IEEE TIFS 3(1), 2008; M. Goljan, J. Fridrich, T. Filler, “Large scale test of sensor
    fingerprint camera identification”, Proc. SPIE 7254, 2009. The residual and fingerprint steps are checked
    against the open reference implementation prnu-python (polimi-ispl) by a known-answer test.</p>
  </section>`;
}

function integrity(data: ReportData): string {
  const a = data.audit;
  const ids = data.questioned.flatMap((q) => q.results.map((r) => r.recordId));
  const range = ids.length ? `#${Math.min(...ids)}–#${Math.max(...ids)}` : 'none';
  const auditLine = a.ok
    ? `intact: ${a.entries} entries, the hash chain recomputed from the first entry to the last`
    : `<span class="alarm">BROKEN at entry ${a.firstBadSeq}: ${esc(a.reason)}</span> — the log’s records cannot be relied on; this must be resolved before the report is used`;
  return `<section id="integrity"><h2>8. Integrity and reproducibility</h2>
    ${kv([
      ['Report generated (UTC)', esc(data.generatedAt)],
      [
        'Software',
        `${esc(data.software.name)} ${esc(data.software.version)}; Node.js ${esc(data.software.node)}; ${esc(data.software.platform)}; host ${esc(data.software.host)}`,
      ],
      [
        'Store',
        `${esc(data.store.backend)} at ${esc(data.store.location)}, schema version ${data.store.schemaVersion}`,
      ],
      ['Audit log at generation', auditLine],
      ['Audit log head hash', a.headHash ? hash(a.headHash) : '— (empty log)'],
      [
        'Comparisons recorded',
        `match records ${range} in the store (${ids.length} in all), each with an audit entry`,
      ],
    ])}
    <p>Every file listed in section 2 was read again and hashed with SHA-256 when this report was generated, and
    ${data.kind === 'case' ? 'every hash equals the one recorded when the file was added to the case' : 'the figures refer to the file with the hash shown'}.
    The comparisons above were recorded in the store as they were made. This report’s own SHA-256 cannot be
    printed in it: it is recorded in the audit log entry that follows the head above (entry ${a.entries + 1},
    action <code>case.report</code>), together with the SHA-256 of the PDF when one was made. Compare them with
    <code>camprint audit list --from ${a.entries + 1}</code> and <code>camprint audit verify</code>; a log that was
    cut short after this report would no longer reach the count and head hash printed here.</p>
    <p>The figures can be reproduced with the same files (by SHA-256), the same fingerprints (by data SHA-256)
    and the parameters of section 5, with camprint ${esc(data.software.version)}.</p>
  </section>`;
}

function appendix(data: ReportData): string {
  if (data.fingerprints.length === 0) return '';
  const block = (fp: FingerprintUsed): string => {
    const dirs = new Set(fp.sources.map((s) => s.path.replace(/[\\/][^\\/]*$/, '')));
    const common = dirs.size === 1 ? [...dirs][0] : null;
    const rows = fp.sources
      .map((s, i) => {
        const name = s.path.split(/[\\/]/).pop() ?? s.path;
        return `<tr><td class="num">${i + 1}</td><td>${esc(name)}${
          common === null ? `<div class="path">${esc(s.path)}</div>` : ''
        }</td><td>${hash(s.sha256)}</td></tr>`;
      })
      .join('');
    return `<h3>${esc(fp.record.camera)} (${fp.sources.length} images)</h3>
      ${common !== null ? `<p class="small">Folder when the fingerprint was made: <span class="path">${esc(common)}</span></p>` : ''}
      <table class="sources"><colgroup><col style="width:5%"><col style="width:37%"><col style="width:58%"></colgroup>
      <thead><tr><th>#</th><th>file</th><th>SHA-256</th></tr></thead><tbody>${rows}</tbody></table>`;
  };
  return `<section class="page" id="appendix"><h2>Appendix A. Images the fingerprints were estimated from</h2>
    <p class="small">Sorted by SHA-256. These images define what each fingerprint identifies: the device that took them.</p>
    ${data.fingerprints.map(block).join('')}
  </section>`;
}

const CSS = `
@page { size: A4; margin: 16mm 15mm 18mm 15mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font: 9.5pt/1.38 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #111; margin: 0 auto; max-width: 180mm; }
h1 { font-size: 17pt; margin: 4pt 0 10pt; }
h2 { font-size: 13pt; border-bottom: 1.2pt solid #333; padding-bottom: 2pt; margin: 14pt 0 6pt; }
h3 { font-size: 10.5pt; margin: 10pt 0 4pt; }
h4 { font-size: 9.5pt; margin: 8pt 0 3pt; }
h2, h3, h4 { break-after: avoid; }
p { margin: 3pt 0 6pt; }
ul { margin: 2pt 0 6pt; padding-left: 16pt; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; }
section.page { break-before: page; }
table { border-collapse: collapse; width: 100%; margin: 3pt 0 8pt; font-size: 8.3pt; }
th, td { border: 0.5pt solid #aaa; padding: 2pt 4pt; text-align: left; vertical-align: top; }
thead th { background: #e8e8e8; }
tr { break-inside: avoid; }
table.kv th { width: 30%; background: #f2f2f2; font-weight: 600; }
table.kv.wide th { width: 21%; }
table.cnn td { width: 20%; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.hit td { background: #eaf5ea; }
.hash { font-family: "DejaVu Sans Mono", monospace; font-size: 7.4pt; word-break: break-all; }
.small { font-size: 7.6pt; color: #444; }
.nw { white-space: nowrap; }
.keep { break-inside: avoid; }
.path { font-size: 7.6pt; color: #444; word-break: break-all; }
.yes { color: #0a5a0a; font-weight: 700; }
.no { color: #333; }
.nc { color: #8a5a00; }
.alarm { color: #b00; font-weight: 700; }
.kicker { font-size: 8.5pt; text-transform: uppercase; letter-spacing: 0.06em; color: #555; border-bottom: 0.6pt solid #999; padding-bottom: 3pt; }
.box { border: 0.8pt solid #555; padding: 5pt 8pt; margin: 6pt 0 10pt; background: #fafafa; }
.box p { margin: 2pt 0 4pt; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 8pt; }
.cols table.kv th { width: 42%; }
figure { margin: 6pt 0 10pt; break-inside: avoid; }
figure svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { font-size: 7.8pt; color: #333; margin-top: 3pt; }
.interp h3 { margin-top: 8pt; }
.interp p, .interp li { text-align: justify; }
@media screen { body { padding: 12mm 0; } section.page { border-top: 2px dashed #ccc; margin-top: 14mm; padding-top: 6mm; } }
`;

/** The report as HTML. `figures` maps a questioned file's label to its inline SVG. */
export function renderHtml(data: ReportData, figures: ReadonlyMap<string, string>): string {
  const threshold = data.settings.threshold;
  const caseRows: [string, string][] = [];
  if (data.case !== null) caseRows.push(['Case', esc(data.case.name)]);
  caseRows.push(['Examiner', esc(data.examiner || '— (not recorded)')]);
  caseRows.push([
    'Question',
    data.question
      ? esc(data.question).replace(/\n/g, '<br>')
      : `<i>No question is recorded${data.case ? ' in the case' : ''}. This report answers: ${
          data.settings.cameras === null
            ? 'which camera in the database, if any, took the questioned photo(s)?'
            : `were the questioned photo(s) taken with ${esc(data.settings.cameras.join(' or '))}?`
        }</i>`,
  ]);
  caseRows.push(['Report generated (UTC)', esc(data.generatedAt)]);
  caseRows.push(['Software', `${esc(data.software.name)} ${esc(data.software.version)}`]);
  caseRows.push([
    'Audit log',
    `${data.audit.entries} entries, ${data.audit.ok ? 'chain intact' : '<span class="alarm">chain BROKEN</span>'}; head ${
      data.audit.headHash ? hash(data.audit.headHash) : '—'
    }`,
  ]);

  const summaryRows = data.questioned
    .map((q) => {
      const b = best(q);
      return `<tr${b?.match ? ' class="hit"' : ''}><td>${esc(q.file.label)}</td><td>${esc(q.file.name)}<div>${hash(q.file.sha256)}</div></td><td>${esc(b?.camera ?? '—')}</td><td class="num">${fmtPce(b?.pce ?? null)}</td><td class="num">${
        b ? fmtProb(b.pFalseAlarm, b.log10PFalseAlarm) : '—'
      }</td><td>${b ? decisionLabel(b) : '<span class="nc">not comparable</span>'}</td></tr>`;
    })
    .join('');
  const questioned = data.files.filter((f) => f.role === 'questioned');
  const reference = data.files.filter((f) => f.role === 'reference');
  const t = explanations(data);

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="${esc(data.software.name)} ${esc(data.software.version)}">
<title>${esc(data.title)} — camera identification report</title>
<style>${CSS}</style>
</head>
<body>
<header>
  <div class="kicker">Forensic examination report · source camera identification (PRNU)</div>
  <h1>${esc(data.title)}</h1>
  ${kv(caseRows)}
</header>

<section id="summary">
  <h2>1. Summary of findings</h2>
  <table><thead><tr><th>item</th><th>questioned file</th><th>best camera</th><th>PCE</th><th>P<sub>FA</sub></th><th>decision (τ = ${threshold})</th></tr></thead>
  <tbody>${summaryRows}</tbody></table>
  <div class="box">${data.questioned.map((q) => `<p>${finding(q, threshold)}</p>`).join('')}</div>
  <p class="small">PCE: peak-to-correlation energy of the photo’s noise residual against a camera’s sensor
  fingerprint; P<sub>FA</sub>: the probability that a photo from another camera reaches that PCE. Section 6
  states what these figures show and what they do not; it is part of the findings.</p>
</section>

<section class="page" id="files">
  <h2>2. Items examined</h2>
  <table><colgroup><col style="width:6%"><col style="width:10%"><col style="width:49%"><col style="width:13%"><col style="width:22%"></colgroup>
  <thead><tr><th>item</th><th>role</th><th>file and SHA-256</th><th>pixels</th><th>dates</th></tr></thead>
  <tbody>${[...questioned, ...reference].map(fileRow).join('')}</tbody></table>
  <p class="small">Questioned: photos whose source is asked. Reference: known material supplied with the case.
  The fingerprints compared with are described in section 4, with the SHA-256 of each image they were
  estimated from in Appendix A.</p>
  ${
    reference.length
      ? `<h3>Reference files: what their headers say</h3><table><thead><tr><th>item</th><th>EXIF make / model</th><th>serial</th><th>DateTimeOriginal</th><th>JPEG quality</th></tr></thead><tbody>${reference
          .map(
            (f) =>
              `<tr><td>${esc(f.label)}</td><td>${esc([f.evidence.exif.make, f.evidence.exif.model].filter(Boolean).join(' ') || '—')}</td><td>${esc(
                f.evidence.exif.serialNumbers.join(', ') || '—',
              )}</td><td>${esc(f.evidence.exif.dateTimeOriginal ?? '—')}</td><td class="num">${esc(f.evidence.jpeg.quality ?? '—')}</td></tr>`,
          )
          .join('')}</tbody></table>`
      : ''
  }
</section>

${data.questioned.map((q, i) => questionedSection(q, data, i + 1, figures.get(q.file.label))).join('\n')}

<section class="page" id="reference">
  <h2>4. Reference material: the fingerprints compared with</h2>
  ${data.fingerprints.length ? data.fingerprints.map(fingerprintBlock).join('') : '<p>No fingerprint was compared.</p>'}
</section>

${methods(data)}

<section class="page interp" id="interpretation">
  <h2>6. What the figures show and what they do not</h2>
  ${t}
</section>

<section id="notes">
  <h2>7. Case notes</h2>
  ${
    data.notes.length
      ? `<table><thead><tr><th>#</th><th>time (UTC)</th><th>by</th><th>note</th></tr></thead><tbody>${data.notes
          .map(
            (n) =>
              `<tr><td class="num">${n.id}</td><td class="small">${esc(n.createdAt)}</td><td>${esc(n.actor)}</td><td>${esc(n.text).replace(/\n/g, '<br>')}</td></tr>`,
          )
          .join('')}</tbody></table>`
      : '<p>No notes are recorded.</p>'
  }
  ${data.warnings.length ? `<h3>Warnings while reading the files</h3><ul>${data.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : ''}
</section>

${integrity(data)}

${appendix(data)}
</body>
</html>
`;
}
