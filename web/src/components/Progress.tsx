/** A labelled progress bar (role progressbar, 0–100). */
export function ProgressBar({ value, label, tone }: { value: number; label: string; tone?: string }) {
  const pct = Math.max(0, Math.min(100, Math.round(value * 100)));
  return (
    <div class="progress-row">
      <div
        class={`progress ${tone ? `progress-${tone}` : ''}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
      >
        <div class="progress-fill" style={{ width: `${pct}%` }} />
      </div>
      <span class="progress-text">{pct} %</span>
    </div>
  );
}
