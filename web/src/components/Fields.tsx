/** Labelled form fields (every input has its label), a form's submit row, definition lists and cards. */
import type { ComponentChildren } from 'preact';
import { ErrorBox } from './Notice';

interface FieldProps {
  id: string;
  label: string;
  required?: boolean;
  hint?: string;
}

/** The hint's id, for the control's aria-describedby. */
const hintId = (p: FieldProps) => (p.hint ? `${p.id}-hint` : undefined);

/** A control with its label (a star when required) and its hint. */
function Field({ id, label, required, hint, children }: FieldProps & { children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={id}>
        {label}
        {required && (
          <span class="required" aria-hidden="true">
            {' '}
            *
          </span>
        )}
      </label>
      {children}
      {hint && (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

interface TextProps extends FieldProps {
  value: string;
  onInput: (v: string) => void;
  type?: string;
  placeholder?: string;
  pattern?: string;
  min?: number;
  max?: number;
  step?: number | 'any';
  inputMode?: string;
}

export function TextField(p: TextProps) {
  return (
    <Field {...p}>
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
        aria-describedby={hintId(p)}
        onInput={(e) => p.onInput((e.currentTarget as HTMLInputElement).value)}
      />
    </Field>
  );
}

interface TextAreaProps extends FieldProps {
  value: string;
  onInput: (v: string) => void;
  rows: number;
  placeholder?: string;
}

export function TextAreaField(p: TextAreaProps) {
  return (
    <Field {...p}>
      <textarea
        id={p.id}
        rows={p.rows}
        value={p.value}
        placeholder={p.placeholder}
        aria-describedby={hintId(p)}
        onInput={(e) => p.onInput((e.currentTarget as HTMLTextAreaElement).value)}
      />
    </Field>
  );
}

interface SelectProps extends FieldProps {
  value: string;
  onChange: (v: string) => void;
  options: (string | [string, string])[];
}

export function SelectField(p: SelectProps) {
  return (
    <Field {...p}>
      <select
        id={p.id}
        value={p.value}
        required={p.required}
        aria-describedby={hintId(p)}
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
    </Field>
  );
}

/** A form's end: its error (role alert) and its submit button, which says `busyText` while busy. */
export function Submit({
  text,
  busyText,
  busy,
  disabled,
  error,
}: {
  text: string;
  busyText?: string;
  busy?: boolean;
  /** Disabled besides while busy. */
  disabled?: boolean;
  error?: string;
}) {
  return (
    <>
      <ErrorBox error={error} />
      <div class="actions">
        <button type="submit" class="btn" disabled={busy || disabled}>
          {busy && busyText ? busyText : text}
        </button>
      </div>
    </>
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
