/**
 * A Vega-Lite chart rendered to SVG by vega-embed (loaded on first use: the charting library is
 * most of the app's weight). Expressions go through vega's interpreter (`ast: true`), so the
 * charts work under a Content-Security-Policy without 'unsafe-eval'. `label` names the chart for
 * assistive technology; `points` is put on the element as data-points (what the tests count).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { VisualizationSpec } from 'vega-embed';

type Embed = typeof import('vega-embed').default;
let loading: Promise<Embed> | null = null;
function loadEmbed(): Promise<Embed> {
  loading ??= import('vega-embed').then((m) => m.default);
  return loading;
}

const CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  background: 'transparent',
  axis: {
    labelColor: '#334155',
    titleColor: '#1e293b',
    gridColor: '#e2e8f0',
    domainColor: '#94a3b8',
    tickColor: '#94a3b8',
  },
  legend: { labelColor: '#334155', titleColor: '#1e293b', orient: 'bottom' },
  title: { color: '#0f172a', fontSize: 13, fontWeight: 600, anchor: 'start' },
  view: { stroke: '#cbd5e1' },
  range: { category: ['#2563eb', '#ea580c', '#16a34a', '#9333ea', '#0891b2', '#ca8a04'] },
};

interface Props {
  spec: VisualizationSpec;
  label: string;
  points?: number;
  class?: string;
}

export function Chart({ spec, label, points, class: cls }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string>();
  useEffect(() => {
    let cancelled = false;
    let finalize: (() => void) | undefined;
    loadEmbed()
      .then(async (embed) => {
        if (cancelled || !ref.current) return;
        const result = await embed(ref.current, spec, {
          renderer: 'svg',
          actions: false,
          ast: true,
          config: CONFIG as never,
          tooltip: true,
        });
        if (cancelled) result.finalize();
        else finalize = () => result.finalize();
        const svg = ref.current?.querySelector('svg');
        if (svg) {
          svg.setAttribute('role', 'img');
          svg.setAttribute('aria-label', label);
        }
      })
      .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
      finalize?.();
    };
  }, [JSON.stringify(spec)]);
  return (
    <figure class={`chart ${cls ?? ''}`} data-points={points}>
      <div ref={ref} class="chart-body" />
      {error && (
        <figcaption class="field-error" role="alert">
          Chart failed: {error}
        </figcaption>
      )}
    </figure>
  );
}
