/**
 * Plots a person can look at (and put in a report): training curves per epoch as in the paper's
 * graphs, and the confusion matrix as a heat map. Vega-Lite specifications rendered to SVG in
 * Node (no browser); PNG through sharp where wanted.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import sharp from 'sharp';

/** Renders a Vega-Lite specification to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** SVG → PNG (for looking at, and for reports). */
export function svgToPng(svg: string, density = 144): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density }).png().toBuffer();
}

export interface EpochPoint {
  epoch: number;
  loss?: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
}

/** Accuracy (train and validation) and loss (train and validation) per epoch, two panels. */
export function curvesSpec(points: readonly EpochPoint[], title: string): TopLevelSpec {
  const rows: { epoch: number; value: number; series: string; panel: string }[] = [];
  for (const p of points) {
    const add = (v: number | undefined, series: string, panel: string) => {
      if (v !== undefined && Number.isFinite(v)) rows.push({ epoch: p.epoch, value: v, series, panel });
    };
    add(p.accuracy, 'train accuracy', 'accuracy');
    add(p.valAccuracy, 'validation accuracy', 'accuracy');
    add(p.loss, 'training loss', 'loss');
    add(p.valLoss, 'validation loss', 'loss');
  }
  const panel = (name: string, yTitle: string, domain?: [number, number]) => ({
    width: 420,
    height: 220,
    transform: [{ filter: `datum.panel === '${name}'` }],
    mark: { type: 'line' as const, point: points.length <= 40 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative' as const, title: 'epoch', axis: { tickMinStep: 1 } },
      y: {
        field: 'value',
        type: 'quantitative' as const,
        title: yTitle,
        ...(domain ? { scale: { domain } } : {}),
      },
      color: { field: 'series', type: 'nominal' as const, title: null },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values: rows },
    hconcat: [panel('accuracy', 'accuracy', [0, 1]), panel('loss', 'loss')],
    config: { font: 'sans-serif' },
  } as TopLevelSpec;
}

/** Confusion matrix heat map (rows true class, columns predicted), counts printed in the cells. */
export function confusionSpec(
  classes: readonly string[],
  confusion: readonly number[][],
  title: string,
): TopLevelSpec {
  const values: { truth: string; predicted: string; count: number; share: number }[] = [];
  confusion.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((count, j) =>
      values.push({ truth: classes[i], predicted: classes[j], count, share: count / total }),
    );
  });
  const side = Math.max(200, Math.min(720, 32 * classes.length));
  const axis = (field: string, t: string) => ({
    field,
    type: 'ordinal' as const,
    sort: [...classes],
    title: t,
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values },
    width: side,
    height: side,
    encoding: { x: axis('predicted', 'predicted class'), y: axis('truth', 'true class') },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            field: 'share',
            type: 'quantitative',
            title: 'share of row',
            scale: { scheme: 'blues', domain: [0, 1] },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: classes.length > 20 ? 7 : 11 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: 'black' },
        },
      },
    ],
    config: { font: 'sans-serif' },
  } as TopLevelSpec;
}
