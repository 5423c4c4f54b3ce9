/** Figures in large type, each with its label: a list, named for assistive technology. */
import type { ComponentChildren } from 'preact';

export interface Stat {
  value: ComponentChildren;
  label: ComponentChildren;
  /** Makes the figure and its label a link. */
  link?: string;
  /** The value is decoration (an arrow): hidden from assistive technology. */
  decorative?: boolean;
}

export function Stats({ label, items }: { label: string; items: Stat[] }) {
  return (
    <ul class="stats" aria-label={label}>
      {items.map((s, i) => {
        const body = (
          <>
            <span class="stat-value" aria-hidden={s.decorative ? 'true' : undefined}>
              {s.value}
            </span>
            <span class="stat-label">{s.label}</span>
          </>
        );
        return <li key={i}>{s.link ? <a href={s.link}>{body}</a> : body}</li>;
      })}
    </ul>
  );
}
