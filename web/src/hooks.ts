/** Small data hooks: load something from the API, and keep it fresh on server events. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './format';
import { onEvent, type EventMap } from './events';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/** Runs `fn` now and whenever `deps` change; `reload()` runs it again (keeping the old data shown). */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const seq = useRef(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const run = useCallback(() => {
    const my = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    fnRef.current().then(
      (data) => my === seq.current && setState({ data, loading: false }),
      (e: unknown) =>
        my === seq.current && setState((s) => ({ data: s.data, error: errorText(e), loading: false })),
    );
  }, []);
  useEffect(() => {
    setState({ loading: true });
    run();
  }, deps);
  return { data: state.data, error: state.error, loading: state.loading, reload: run };
}

/** Subscribes to a server event for the component's life. */
export function useEvent<K extends keyof EventMap>(name: K, fn: (data: EventMap[K]) => void): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => onEvent(name, (d) => ref.current(d)), [name]);
}

/** Calls `reload` when a job of one of these kinds ends (and when the stream reconnects: events may have been missed). */
export function useReloadOnJobs(kinds: string[], reload: () => void): void {
  useEvent('job', (e) => {
    if ((e.type === 'done' || e.type === 'failed' || e.type === 'cancelled') && kinds.includes(e.kind))
      reload();
  });
  useEvent('reconnect', () => reload());
}

/** Sets document.title for the page. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · camprint`;
  }, [title]);
}
