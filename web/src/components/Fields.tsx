/** Labelled form fields (every input has its label) and definition lists. */
import type { ComponentChildren } from 'preact';

interface TextProps {
  id: string;
  label: string;
  value: string;
  onInput: (v: string) => void;
  type?: string;
  required?: boolean;
  placeholder?: string;
  hint?: string;
  pattern?: string;
  min?: number;
  max?: number;
  step?: number | 'any';
  inputMode?: string;
}

export function TextField(p: TextProps) {
  return (
    <div class="field">
      <label for={p.id}>
        {p.label}
        {p.required && (
          <span class="required" aria-hidden="true">
            {' '}
            *
          </span>
        )}
      </label>
      <input
        id={p.id}
        type={p.type ?? 'text'}
        value={p.value}
        required={p.required}
        placeholder={p.placeholder}
        pattern={p.pattern}
        min={p.min}
        max={p.max}
        step={p.step}
        autocomplete="off"
        spellcheck={false}
        aria-describedby={p.hint ? `${p.id}-hint` : undefined}
        onInput={(e) => p.onInput((e.currentTarget as HTMLInputElement).value)}
      />
      {p.hint && (
        <small id={`${p.id}-hint`} class="hint">
          {p.hint}
        </small>
      )}
    </div>
  );
}

interface SelectProps {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  options: (string | [string, string])[];
  required?: boolean;
  hint?: string;
}

export function SelectField(p: SelectProps) {
  return (
    <div class="field">
      <label for={p.id}>
        {p.label}
        {p.required && (
          <span class="required" aria-hidden="true">
            {' '}
            *
          </span>
        )}
      </label>
      <select
        id={p.id}
        value={p.value}
        required={p.required}
        aria-describedby={p.hint ? `${p.id}-hint` : undefined}
        onChange={(e) => p.onChange((e.currentTarget as HTMLSelectElement).value)}
      >
        {p.options.map((o) => {
          const [value, text] = typeof o === 'string' ? [o, o] : o;
          return (
            <option key={value} value={value}>
              {text}
            </option>
          );
        })}
      </select>
      {p.hint && (
        <small id={`${p.id}-hint`} class="hint">
          {p.hint}
        </small>
      )}
    </div>
  );
}

/** Key → value pairs as a definition list. */
export function Facts({ items }: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {items.map(([k, v]) => (
        <div key={k} class="fact">
          <dt>{k}</dt>
          <dd>{v === null || v === undefined || v === '' ? '—' : v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A card: a titled section of a page. */
export function Card({
  title,
  id,
  children,
  actions,
}: {
  title: string;
  id?: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  // The section carries the id; its heading `<id>-title` names it.
  const sid = id ?? `card-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  const hid = `${sid}-title`;
  return (
    <section class="card" id={sid} aria-labelledby={hid}>
      <header class="card-head">
        <h2 id={hid}>{title}</h2>
        {actions && <div class="card-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}
