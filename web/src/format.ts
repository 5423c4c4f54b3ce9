/** Numbers and times as a person reads them. */

export function fmtNumber(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function fmtInt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return Math.round(v).toLocaleString('en-GB');
}

export function fmtPercent(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return `${(v * 100).toFixed(digits)} %`;
}

/**
 * A false-alarm probability as mantissa and exponent, from its log10 (which survives underflow);
 * exponent null when the plain number reads better.
 */
export function pfaParts(
  log10: number | null | undefined,
  p?: number | null,
): [string, number | null] | null {
  if (log10 !== null && log10 !== undefined && Number.isFinite(log10)) {
    if (log10 > -3) return [(10 ** log10).toFixed(4), null];
    let e = Math.floor(log10);
    let m = 10 ** (log10 - e);
    if (m >= 9.95) {
      m = 1;
      e += 1;
    }
    return [m.toFixed(1), e];
  }
  if (p === null || p === undefined || !Number.isFinite(p)) return null;
  if (p >= 1e-3) return [p.toFixed(4), null];
  if (p === 0) return ['< 1', -300];
  return pfaParts(Math.log10(p));
}

/** The same as plain text (10^-51 written as ·10^-51). */
export function fmtPfa(log10: number | null | undefined, p?: number | null): string {
  const parts = pfaParts(log10, p);
  if (!parts) return '—';
  return parts[1] === null ? parts[0] : `${parts[0]}·10^${parts[1]}`;
}

export function fmtTime(iso: string | undefined | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString('en-GB', {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** "3 min ago" style for recent times. */
export function fmtAgo(iso: string | undefined | null): string {
  if (!iso) return '—';
  const s = (Date.now() - new Date(iso).getTime()) / 1000;
  if (!Number.isFinite(s)) return iso;
  if (s < 5) return 'just now';
  if (s < 60) return `${Math.round(s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return fmtTime(iso);
}

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function shortHash(h: string | undefined | null, n = 12): string {
  return h ? h.slice(0, n) : '—';
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
