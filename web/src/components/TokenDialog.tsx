/** Asks for the server's bearer token when an API call answers 401; kept in sessionStorage. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { setTokenAsker } from '../api';

export function TokenDialog() {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [value, setValue] = useState('');
  const resolver = useRef<((t: string | null) => void) | null>(null);

  useEffect(() => {
    setTokenAsker(
      (why) =>
        new Promise((resolve) => {
          resolver.current = resolve;
          setReason(why);
          setValue('');
          dialog.current?.showModal();
        }),
    );
    return () => setTokenAsker(null);
  }, []);

  const close = (token: string | null) => {
    dialog.current?.close();
    resolver.current?.(token);
    resolver.current = null;
  };

  return (
    <dialog ref={dialog} class="token-dialog" aria-labelledby="token-title" onCancel={() => close(null)}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          close(value.trim() || null);
        }}
      >
        <h2 id="token-title">Access token</h2>
        <p>{reason} Ask the person who runs the server for it (CAMPRINT_TOKEN).</p>
        <label for="token-input">Token</label>
        <input
          id="token-input"
          type="password"
          autocomplete="off"
          value={value}
          onInput={(e) => setValue((e.currentTarget as HTMLInputElement).value)}
          required
        />
        <p class="muted small">Kept in this browser tab only (sessionStorage).</p>
        <div class="actions">
          <button type="button" class="btn btn-secondary" onClick={() => close(null)}>
            Cancel
          </button>
          <button type="submit" class="btn">
            Use token
          </button>
        </div>
      </form>
    </dialog>
  );
}
