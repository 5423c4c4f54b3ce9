/**
 * An image from the API: fetched with the token (an <img src> cannot send it) and shown as a data:
 * URL (the server's Content-Security-Policy allows data: images, not blob: ones).
 */
import { useEffect, useState } from 'preact/hooks';
import { getBlob } from '../api';
import { errorText } from '../format';

function dataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result as string);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(blob);
  });
}

export function AuthImage({ path, alt, class: cls }: { path: string; alt: string; class?: string }) {
  const [src, setSrc] = useState<string>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    setSrc(undefined);
    setError(undefined);
    getBlob(path)
      .then(dataUrl)
      .then(
        (u) => live && setSrc(u),
        (e: unknown) => live && setError(errorText(e)),
      );
    return () => {
      live = false;
    };
  }, [path]);
  if (error) return <p class="image-error muted">Image unavailable: {error}</p>;
  if (!src)
    return <div class={`image-placeholder ${cls ?? ''}`} aria-busy="true" aria-label={`Loading ${alt}`} />;
  return <img src={src} alt={alt} class={cls} />;
}

/** A local file (not yet uploaded) as a preview image. */
export function FilePreview({ file, alt }: { file: File; alt: string }) {
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    let live = true;
    if (!/^image\/(jpeg|png|webp|gif|bmp)$/.test(file.type)) return;
    dataUrl(file).then(
      (u) => live && setSrc(u),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [file]);
  return src ? <img src={src} alt={alt} class="preview" /> : null;
}
