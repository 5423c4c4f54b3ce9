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

export interface Action {
  /** What runs now: the name given to `run` (truthy), undefined when nothing does. */
  busy: string | undefined;
  /** The last run's error, or the one given to setError (a form's own check). */
  error: string | undefined;
  setError: (error: string | undefined) => void;
  /** Runs `fn` (busy meanwhile, the error cleared, then its own kept); true when it did not throw. */
  run: (fn: () => Promise<unknown>, what?: string) => Promise<boolean>;
}

/** A request that a form or a button makes: busy while it runs, its error kept for the page. */
export function useAction(): Action {
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const run = async (fn: () => Promise<unknown>, what = 'busy') => {
    setBusy(what);
    setError(undefined);
    try {
      await fn();
      return true;
    } catch (err) {
      setError(errorText(err));
      return false;
    } finally {
      setBusy(undefined);
    }
  };
  return { busy, error, setError, run };
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
