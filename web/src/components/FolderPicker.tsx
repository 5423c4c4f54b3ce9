/**
 * A server folder: typed, or chosen by browsing under the server's roots (GET /api/folders). The
 * server checks the path again; this only helps the person find it.
 */
import { useState } from 'preact/hooks';
import { api, type FolderListing } from '../api';
import { fmtInt } from '../format';
import { useAction } from '../hooks';

interface Props {
  id: string;
  label: string;
  value: string;
  onChange: (path: string) => void;
  required?: boolean;
}

function join(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

function parent(dir: string, roots: string[]): string | undefined {
  if (roots.includes(dir)) return undefined;
  const i = dir.replace(/\/+$/, '').lastIndexOf('/');
  return i > 0 ? dir.slice(0, i) : undefined;
}

export function FolderPicker({ id, label, value, onChange, required }: Props) {
  const [listing, setListing] = useState<FolderListing | null>(null);
  const action = useAction();

  const browse = (path?: string) =>
    action.run(async () => {
      const l = await api.folders(path);
      setListing(l);
      if (path !== undefined || l.path) onChange(l.path);
    });

  const up = listing ? parent(listing.path, listing.roots) : undefined;
  return (
    <div class="folder-picker">
      <label for={id}>{label}</label>
      <div class="input-row">
        <input
          id={id}
          type="text"
          value={value}
          required={required}
          spellcheck={false}
          autocomplete="off"
          placeholder="/path/under/a/server/root"
          onInput={(e) => onChange((e.currentTarget as HTMLInputElement).value)}
        />
        <button
          type="button"
          class="btn btn-secondary"
          disabled={!!action.busy}
          onClick={() => browse(value || undefined)}
        >
          Browse…
        </button>
      </div>
      {action.error && (
        <p class="field-error" role="alert">
          {action.error}
        </p>
      )}
      {listing && (
        <div class="folder-list" role="group" aria-label="Server folders">
          <p class="folder-where">
            <span class="muted">In</span> <code>{listing.path || '(roots)'}</code>
          </p>
          <ul>
            {listing.path === '' &&
              listing.roots.map((r) => (
                <li key={r}>
                  <button type="button" class="link-button" onClick={() => browse(r)}>
                    📁 {r}
                  </button>
                </li>
              ))}
            {up !== undefined && (
              <li>
                <button type="button" class="link-button" onClick={() => browse(up)}>
                  ↑ parent folder
                </button>
              </li>
            )}
            {listing.entries
              .filter((e) => e.dir)
              .map((e) => (
                <li key={e.name}>
                  <button
                    type="button"
                    class="link-button"
                    onClick={() => browse(join(listing.path, e.name))}
                  >
                    <span aria-hidden="true">📁</span> {e.name}
                  </button>{' '}
                  <span class="muted">{fmtInt(e.images)} images</span>
                </li>
              ))}
            {listing.entries.filter((e) => e.dir).length === 0 && listing.path !== '' && (
              <li class="muted">No sub-folders.</li>
            )}
          </ul>
          <p class="muted small">
            {fmtInt(listing.entries.filter((e) => !e.dir).length)} files here.{' '}
            <button type="button" class="link-button" onClick={() => setListing(null)}>
              Close
            </button>
          </p>
        </div>
      )}
    </div>
  );
}
