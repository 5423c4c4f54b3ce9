/** Vega-Lite specifications of the workbench's charts (data in, spec out; no DOM). */
import type { VisualizationSpec } from 'vega-embed';
import type { ClassScore, EpochPoint, PerClassCounts } from './api';

const container = {
  width: 'container' as const,
  autosize: { type: 'fit-x' as const, contains: 'padding' as const },
};

/** Accuracy (train, validation) per epoch, or the two losses, as lines with points. */
export function curveSpec(
  points: readonly EpochPoint[],
  which: 'accuracy' | 'loss',
  planned?: number,
): VisualizationSpec {
  const series =
    which === 'accuracy'
      ? ([
          ['accuracy', 'training accuracy'],
          ['valAccuracy', 'validation accuracy'],
        ] as const)
      : ([
          ['loss', 'training loss'],
          ['valLoss', 'validation loss'],
        ] as const);
  const values: { epoch: number; value: number; series: string }[] = [];
  for (const p of points)
    for (const [key, name] of series) {
      const v = p[key];
      if (typeof v === 'number' && Number.isFinite(v))
        values.push({ epoch: p.epoch, value: v, series: name });
    }
  // The x axis spans the planned epochs, so the curve visibly grows towards the right edge.
  const maxEpoch = Math.max(1, planned ?? 0, ...points.map((p) => p.epoch));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...container,
    height: 220,
    title: which === 'accuracy' ? 'Accuracy per epoch' : 'Loss per epoch',
    data: { values },
    mark: { type: 'line', point: points.length <= 60, strokeWidth: 2 },
    encoding: {
      x: {
        field: 'epoch',
        type: 'quantitative',
        title: 'epoch',
        scale: { domain: [0, maxEpoch], nice: false },
        axis: { tickMinStep: 1, format: 'd' },
      },
      y: {
        field: 'value',
        type: 'quantitative',
        title: which,
        ...(which === 'accuracy'
          ? { scale: { domain: [0, 1] }, axis: { format: '.0%' } }
          : { scale: { zero: true } }),
      },
      color: { field: 'series', type: 'nominal', title: null },
      tooltip: [
        { field: 'series', title: 'series' },
        { field: 'epoch', title: 'epoch' },
        { field: 'value', title: which, format: '.4f' },
      ],
    },
  } as VisualizationSpec;
}

/** Confusion matrix heat map: rows the true class, columns the predicted one, counts in the cells. */
export function confusionSpec(classes: readonly string[], confusion: readonly number[][]): VisualizationSpec {
  const values: { truth: string; predicted: string; count: number; share: number }[] = [];
  confusion.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((count, j) =>
      values.push({ truth: classes[i], predicted: classes[j], count, share: count / total }),
    );
  });
  const cell = Math.max(18, Math.min(56, Math.floor(480 / Math.max(1, classes.length))));
  const text = classes.length <= 20;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values },
    width: { step: cell },
    height: { step: cell },
    encoding: {
      x: {
        field: 'predicted',
        type: 'nominal',
        sort: classes as string[],
        title: 'predicted class',
        axis: { labelAngle: -40 },
      },
      y: { field: 'truth', type: 'nominal', sort: classes as string[], title: 'true class' },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: '#fff', strokeWidth: 1 },
        encoding: {
          color: {
            field: 'share',
            type: 'quantitative',
            title: 'share of row',
            scale: { scheme: 'blues', domain: [0, 1] },
            legend: { format: '.0%', orient: 'right', gradientLength: 120 },
          },
          tooltip: [
            { field: 'truth', title: 'true' },
            { field: 'predicted', title: 'predicted' },
            { field: 'count', title: 'images' },
            { field: 'share', title: 'share of row', format: '.1%' },
          ],
        },
      },
      ...(text
        ? [
            {
              mark: { type: 'text' as const, fontSize: 12 },
              encoding: {
                text: { field: 'count', type: 'quantitative' as const },
                color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: '#0f172a' },
              },
            },
          ]
        : []),
    ],
  } as VisualizationSpec;
}

/** Shares (0–1) per class as horizontal bars; `order` is the classes' order from the top. */
function classBars(
  values: readonly { class: string }[],
  order: string[],
  color: string,
  share: { field: string; title?: string },
  tooltip: { field: string; title?: string; format?: string }[],
): VisualizationSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...container,
    height: { step: 22 },
    data: { values },
    mark: { type: 'bar', color, cornerRadiusEnd: 2 },
    encoding: {
      y: { field: 'class', type: 'nominal', title: null, sort: order, axis: { labelLimit: 220 } },
      x: { ...share, type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
      tooltip,
    },
  } as VisualizationSpec;
}

/** Per-class accuracy as horizontal bars. */
export function perClassSpec(
  rows: { class: string; accuracy: number | null; images: number }[],
): VisualizationSpec {
  return classBars(
    rows.filter((r) => r.accuracy !== null),
    rows.map((r) => r.class),
    '#2563eb',
    { field: 'accuracy', title: 'accuracy' },
    [{ field: 'class' }, { field: 'accuracy', format: '.1%' }, { field: 'images', title: 'images' }],
  );
}

/**
 * The correlation surface around the PCE peak (size×size, row-major; the server gives it in units
 * of the correlation's standard deviation, null outside the image) as a heat map.
 */
export function surfaceSpec(size: number, values: readonly (number | null)[]): VisualizationSpec {
  const half = Math.floor(size / 2);
  const rows: { dx: number; dy: number; value: number | null }[] = [];
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) rows.push({ dx: x - half, dy: y - half, value: values[y * size + x] });
  const cell = Math.max(8, Math.min(14, Math.floor(300 / size)));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: rows },
    width: { step: cell },
    height: { step: cell },
    mark: { type: 'rect' },
    encoding: {
      x: {
        field: 'dx',
        type: 'ordinal',
        title: 'shift x (px from peak)',
        axis: { values: [-half, 0, half], labelAngle: 0 },
      },
      y: { field: 'dy', type: 'ordinal', title: 'shift y (px)', axis: { values: [-half, 0, half] } },
      color: {
        field: 'value',
        type: 'quantitative',
        title: 'σ',
        scale: { scheme: 'viridis' },
        legend: { orient: 'right', gradientLength: 140, format: '.1f' },
      },
      tooltip: [
        { field: 'dx', title: 'dx' },
        { field: 'dy', title: 'dy' },
        { field: 'value', title: 'correlation (σ)', format: '.2f' },
      ],
    },
  } as VisualizationSpec;
}

/** A classifier's top-k as horizontal bars. */
export function topSpec(top: readonly ClassScore[]): VisualizationSpec {
  return classBars(
    top,
    top.map((t) => t.class),
    '#0891b2',
    { field: 'probability' },
    [{ field: 'class' }, { field: 'probability', format: '.2%' }],
  );
}

/** Crops per class and split, stacked bars. */
export function splitSpec(perClass: readonly PerClassCounts[]): VisualizationSpec {
  const values = perClass.flatMap((c) =>
    (['train', 'val', 'test'] as const).map((split, order) => ({
      class: c.class,
      split,
      order,
      crops: c[split],
    })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...container,
    height: { step: 22 },
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'class', type: 'nominal', title: null, axis: { labelLimit: 220 } },
      x: { field: 'crops', type: 'quantitative', title: 'crops', stack: 'zero' },
      color: {
        field: 'split',
        type: 'nominal',
        sort: ['train', 'val', 'test'],
        scale: { domain: ['train', 'val', 'test'], range: ['#2563eb', '#f59e0b', '#16a34a'] },
        title: null,
      },
      order: { field: 'order', type: 'quantitative', sort: 'ascending' },
      tooltip: [{ field: 'class' }, { field: 'split' }, { field: 'crops' }],
    },
  } as VisualizationSpec;
}
