/** Hash routing: `#/models/alex/evaluation` → ['models', 'alex', 'evaluation']. */
import { useEffect, useState } from 'preact/hooks';

export function currentPath(): string[] {
  const h = location.hash.replace(/^#\/?/, '');
  return h
    .split('?')[0]
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

/** The route's path segments; re-renders on every hash change. */
export function useRoute(): string[] {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const on = () => setPath(currentPath());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return path;
}

/** The href of a route from its segments. */
export function href(...segments: string[]): string {
  return '#/' + segments.map(encodeURIComponent).join('/');
}

export function navigate(...segments: string[]): void {
  location.hash = href(...segments).slice(1);
}
