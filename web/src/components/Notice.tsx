/** Messages: errors (role alert), empty states and loading lines. */
import type { ComponentChildren } from 'preact';

export function ErrorBox({ error }: { error: string | undefined }) {
  if (!error) return null;
  return (
    <p class="notice notice-error" role="alert">
      {error}
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/**
 * What is loading: a loading line until it comes (none after an error: the page shows that), then
 * what `children` makes of it.
 */
export function Await<T>({
  data,
  error,
  what,
  children,
}: {
  data: T | null | undefined;
  error: string | undefined;
  what: string;
  children: (data: T) => ComponentChildren;
}) {
  if (data === null || data === undefined) return error ? null : <Loading what={what} />;
  return <>{children(data)}</>;
}
