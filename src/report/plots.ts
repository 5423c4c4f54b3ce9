/**
 * The report's figure: the correlation around the PCE peak of each camera a photo was compared
 * with, as Vega-Lite specifications (rendered to SVG by dl/plots `renderSvg`). Values are in units
 * of σ, the RMS correlation away from the peak (prnu/correlate `surfaceWindow`), on one colour
 * scale for every camera: the peak of a match (√PCE, tens of σ) stands out of a field near 0; a
 * non-match is a field of like values. A line profile through the peak row shows the same with
 * the decision threshold √τ drawn in.
 */
import type { TopLevelSpec } from 'vega-lite';

/** One camera's correlation window (MatchResult.surface) and what to call it. */
export interface SurfacePanel {
  camera: string;
  pce: number;
  match: boolean;
  radius: number;
  /** (2r+1)² values, row-major, centred on the peak, in σ units. */
  values: readonly number[];
}

/** Panels per row of the heat maps. */
const COLUMNS = 4;

/**
 * Heat maps of the correlation windows (one per camera, one shared colour scale) above a profile
 * through each peak's row, with the threshold √τ. `width` is the figure's width in pixels.
 */
export function correlationSpec(
  panels: readonly SurfacePanel[],
  threshold: number,
  width = 640,
): TopLevelSpec {
  const cells: { camera: string; dy: number; dx: number; value: number }[] = [];
  const profile: { camera: string; dx: number; value: number }[] = [];
  let lo = -3;
  let hi = Math.sqrt(threshold);
  // Facet headers on two lines (split at '|'): the camera, then its PCE.
  const label = (p: SurfacePanel) => `${p.camera}|PCE ${p.pce.toFixed(1)}${p.match ? ' — match' : ''}`;
  for (const p of panels) {
    const side = 2 * p.radius + 1;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const value = p.values[y * side + x];
        cells.push({ camera: label(p), dy: y - p.radius, dx: x - p.radius, value });
        if (y === p.radius) profile.push({ camera: label(p), dx: x - p.radius, value });
        lo = Math.min(lo, value);
        hi = Math.max(hi, value);
      }
    }
  }
  const order = panels.map(label);
  const r = Math.max(1, ...panels.map((p) => p.radius));
  const step = r >= 10 ? 5 : r >= 4 ? 2 : 1;
  const ticks = Array.from({ length: 2 * r + 1 }, (_, i) => i - r).filter((v) => v % step === 0);
  const columns = Math.min(COLUMNS, Math.max(1, panels.length));
  // A whole number of pixels per correlation value: no seams between the cells.
  const side = 2 * r + 1;
  const cell = Math.max(side, Math.floor((width - 30 * columns - 100) / columns / side) * side);
  const offsetAxis = (field: string, title: string) => ({
    field,
    type: 'ordinal' as const,
    title,
    axis: { values: ticks, labelAngle: 0, labelFontSize: 8, titleFontSize: 9 },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    vconcat: [
      {
        data: { values: cells },
        facet: {
          field: 'camera',
          type: 'nominal',
          sort: order,
          title: null,
          header: { labelFontSize: 9, labelLimit: cell + 30, labelExpr: "split(datum.value, '|')" },
        },
        columns,
        spec: {
          width: cell,
          height: cell,
          mark: { type: 'rect', strokeWidth: 0 },
          encoding: {
            x: offsetAxis('dx', 'column offset from peak'),
            y: { ...offsetAxis('dy', 'row offset'), sort: 'ascending' },
            color: {
              field: 'value',
              type: 'quantitative',
              title: ['correlation / σ', '(peak = √PCE)'],
              scale: { scheme: 'viridis', domain: [lo, hi] },
              legend: { titleFontSize: 9, labelFontSize: 8, gradientLength: Math.max(60, cell - 20) },
            },
          },
        },
      },
      {
        width: width - 170,
        height: 120,
        title: { text: 'profile through the peak row', fontSize: 10, fontWeight: 'normal', anchor: 'start' },
        layer: [
          {
            data: { values: profile },
            mark: { type: 'line', point: { size: 12 }, strokeWidth: 1.2 },
            encoding: {
              x: {
                field: 'dx',
                type: 'quantitative',
                title: 'column offset from peak (pixels)',
                axis: { titleFontSize: 9, labelFontSize: 8 },
              },
              y: {
                field: 'value',
                type: 'quantitative',
                title: 'correlation / σ',
                scale: { domain: [lo, hi + 0.08 * (hi - lo)], nice: false },
                axis: { titleFontSize: 9, labelFontSize: 8 },
              },
              color: {
                field: 'camera',
                type: 'nominal',
                sort: order,
                title: null,
                legend: {
                  orient: 'right',
                  labelFontSize: 8,
                  labelLimit: 160,
                  labelExpr: "split(datum.label, '|')[0]",
                },
              },
            },
          },
          {
            data: { values: [{ y: Math.sqrt(threshold), text: `threshold √τ = √${threshold}` }] },
            layer: [
              {
                mark: { type: 'rule', strokeDash: [4, 3], color: '#b00' },
                encoding: { y: { field: 'y', type: 'quantitative' } },
              },
              {
                mark: { type: 'text', align: 'left', dx: 4, dy: -6, fontSize: 8, color: '#b00' },
                encoding: {
                  y: { field: 'y', type: 'quantitative' },
                  x: { value: 0 },
                  text: { field: 'text' },
                },
              },
            ],
          },
        ],
      },
    ],
    spacing: 14,
    config: {
      // No per-cell ARIA labels: they would be most of the SVG's bytes (hundreds of cells per camera).
      aria: false,
      font: 'sans-serif',
      view: { stroke: '#999' },
      scale: { bandPaddingInner: 0, bandPaddingOuter: 0 },
    },
  } as TopLevelSpec;
}

/**
 * Gives every id in an SVG document a prefix (and every reference to it), so that several
 * SVGs inlined in one HTML page do not share ids (vega names its clip paths and gradients alike
 * in every figure, and a reference resolves to the first element of that id in the page).
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  const ids = new Set<string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) ids.add(m[1]);
  if (ids.size === 0) return svg;
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (all, a: string, id: string, b: string) => `${a}${prefix}${id}${b}`)
    .replace(/url\(#([^)]+)\)/g, (all, id: string) => (ids.has(id) ? `url(#${prefix}${id})` : all))
    .replace(/(href=")#([^"]+)(")/g, (all, a: string, id: string, b: string) =>
      ids.has(id) ? `${a}#${prefix}${id}${b}` : all,
    );
}
