/**
 * A file drop zone that is also an ordinary file input: the input stays in the tab order (visually
 * folded into the zone, with the zone showing its focus), so Tab reaches it and Enter or Space
 * opens the file chooser; dropping files on the zone does the same as choosing them.
 */
import { useRef, useState } from 'preact/hooks';

interface Props {
  id: string;
  label: string;
  hint?: string;
  multiple?: boolean;
  accept?: string;
  files: File[];
  onFiles: (files: File[]) => void;
  disabled?: boolean;
}

export function DropZone({ id, label, hint, multiple, accept, files, onFiles, disabled }: Props) {
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const take = (list: FileList | null) => {
    const all = list ? [...list] : [];
    onFiles(multiple ? all : all.slice(0, 1));
  };
  return (
    <div
      class={`dropzone${over ? ' dropzone-over' : ''}${disabled ? ' dropzone-disabled' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        if (!disabled) setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        if (!disabled) take(e.dataTransfer?.files ?? null);
      }}
    >
      <input
        ref={input}
        id={id}
        class="dropzone-input"
        type="file"
        multiple={multiple}
        accept={accept}
        disabled={disabled}
        aria-describedby={`${id}-hint`}
        onChange={(e) => take((e.currentTarget as HTMLInputElement).files)}
      />
      <label for={id} class="dropzone-label">
        <span class="dropzone-icon" aria-hidden="true">
          ⤓
        </span>
        <span class="dropzone-title">{label}</span>
        <span class="dropzone-hint" id={`${id}-hint`}>
          {hint ??
            (multiple
              ? 'Drop files here, or click (or press Space) to choose them'
              : 'Drop a file here, or click (or press Space) to choose it')}
        </span>
      </label>
      {files.length > 0 && (
        <p class="dropzone-files" aria-live="polite">
          {files.length === 1
            ? files[0].name
            : `${files.length} files: ${files
                .slice(0, 3)
                .map((f) => f.name)
                .join(', ')}${files.length > 3 ? ', …' : ''}`}
        </p>
      )}
    </div>
  );
}
