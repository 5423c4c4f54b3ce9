/**
 * Cameras & fingerprints: the list with quality figures, building a fingerprint from uploaded
 * photos or a server folder, and one camera's page (figures, pictures of K, source images).
 */
import { useState } from 'preact/hooks';
import { api, type CameraSummary, type ImageRecord } from '../api';
import { PageHead } from '../components/Layout';
import { ListPage, type ListTable } from '../components/ListPage';
import { Card, Facts, Submit, TextField } from '../components/Fields';
import { DropZone } from '../components/DropZone';
import { FolderPicker } from '../components/FolderPicker';
import { JobWatch } from '../components/Jobs';
import { AuthImage } from '../components/AuthImage';
import { Await, ErrorBox } from '../components/Notice';
import { DataTable, agoColumn, linkColumn, type Column } from '../components/Table';
import { useAction, useLoad, useReloadOnJobs, useTitle } from '../hooks';
import { fmtNumber, fmtInt, fmtTime, shortHash } from '../format';
import { href } from '../router';

function num(q: Record<string, unknown>, k: string): number | null {
  const v = q?.[k];
  return typeof v === 'number' ? v : null;
}

/** A quality verdict from the leave-one-out PCE: the images share one sensor pattern, or not. */
function QualityHint({ q }: { q: Record<string, unknown> }) {
  const min = num(q, 'minPce');
  if (min === null) return <span class="muted">—</span>;
  const ok = min > 60;
  return (
    <span class={`badge ${ok ? 'badge-ok' : 'badge-warn'}`} title="lowest leave-one-out PCE of its images">
      {ok ? 'consistent' : 'check sources'}
    </span>
  );
}

const CAMERA_TABLE: ListTable<CameraSummary> = {
  id: 'camera-table',
  caption: 'Camera fingerprints in the database',
  rowKey: (c) => c.camera,
  columns: [
    linkColumn('Camera', 'cameras', (c) => c.camera),
    { head: 'Model', cell: (c) => c.model ?? '—' },
    { head: 'Device', cell: (c) => c.device ?? '—' },
    { head: 'Images', class: 'num', cell: (c) => fmtInt(c.images) },
    { head: 'Size', class: 'num', cellClass: 'num nowrap', cell: (c) => `${c.width}×${c.height}` },
    { head: 'Mean PCE', class: 'num', cell: (c) => fmtNumber(num(c.quality, 'meanPce'), 0) },
    { head: 'Quality', cell: (c) => <QualityHint q={c.quality} /> },
    agoColumn('Built', (c) => c.createdAt),
  ],
};

const PER_IMAGE_COLUMNS: Column<{ file: string; pce: number | null }>[] = [
  { head: 'Image', cellClass: 'path', cell: (p) => p.file.split('/').pop() },
  { head: 'PCE', class: 'num', cell: (p) => fmtNumber(p.pce, 1) },
];

const SOURCE_COLUMNS: Column<ImageRecord>[] = [
  { head: 'File', cellClass: 'path', title: (s) => s.path, cell: (s) => s.path.split('/').pop() },
  { head: 'SHA-256', class: 'hide-narrow', cell: (s) => <code title={s.sha256}>{shortHash(s.sha256)}</code> },
  { head: 'Size', class: 'num', cellClass: 'num nowrap', cell: (s) => `${s.width}×${s.height}` },
  { head: 'Format', class: 'hide-narrow', cell: (s) => s.format },
];

type Source = 'folder' | 'upload';

/** Where the photos to build from come from. */
const SOURCES: [Source, string][] = [
  ['folder', 'A folder on the server'],
  ['upload', 'Upload photos'],
];

function BuildForm({ onBuilt }: { onBuilt: () => void }) {
  const [camera, setCamera] = useState('');
  const [model, setModel] = useState('');
  const [device, setDevice] = useState('');
  const [source, setSource] = useState<Source>('folder');
  const [files, setFiles] = useState<File[]>([]);
  const [folder, setFolder] = useState('');
  const [job, setJob] = useState<string>();
  const action = useAction();

  const submit = (e: Event) => {
    e.preventDefault();
    if (source === 'upload' && files.length === 0)
      return action.setError('Choose at least one photo to build from.');
    if (source === 'folder' && !folder.trim())
      return action.setError('Give the server folder to build from.');
    action.run(async () => {
      const meta = {
        camera: camera.trim(),
        model: model.trim() || undefined,
        device: device.trim() || undefined,
      };
      const r =
        source === 'upload'
          ? await api.buildFromUpload(meta, files)
          : await api.buildFromFolder({ ...meta, folder: folder.trim() });
      setJob(r.job);
    });
  };

  return (
    <form class="form" onSubmit={submit} aria-labelledby="build-title">
      <div class="form-grid">
        <TextField
          id="build-camera"
          label="Camera name"
          value={camera}
          onInput={setCamera}
          required
          hint="The label the database keeps, e.g. Nikon_D70_0"
        />
        <TextField
          id="build-model"
          label="Camera model"
          value={model}
          onInput={setModel}
          placeholder="optional"
        />
        <TextField
          id="build-device"
          label="Device (unit)"
          value={device}
          onInput={setDevice}
          placeholder="optional"
        />
      </div>
      <fieldset class="segmented">
        <legend>Photos to build from</legend>
        {SOURCES.map(([value, label]) => (
          <label key={value}>
            <input
              type="radio"
              name="build-source"
              value={value}
              checked={source === value}
              onChange={() => setSource(value)}
            />
            {label}
          </label>
        ))}
      </fieldset>
      {source === 'upload' ? (
        <DropZone
          id="build-files"
          label="Flat-field or natural photos of this camera"
          multiple
          accept="image/*,.tif,.tiff"
          files={files}
          onFiles={setFiles}
        />
      ) : (
        <FolderPicker id="build-folder" label="Server folder" value={folder} onChange={setFolder} required />
      )}
      <Submit text="Build fingerprint" busyText="Submitting…" busy={!!action.busy} error={action.error} />
      {job && (
        <JobWatch
          key={job}
          id={job}
          onEnd={(j) => {
            if (j.status === 'done') onBuilt();
          }}
        />
      )}
    </form>
  );
}

export function CamerasPage() {
  useTitle('Cameras');
  const cameras = useLoad(() => api.cameras(), []);
  useReloadOnJobs(['fingerprint-build'], cameras.reload);
  return (
    <ListPage
      title="Cameras & fingerprints"
      list={cameras}
      card="Fingerprint database"
      id="cameras-list"
      what="cameras"
      empty="No fingerprints yet: build the first one below."
      table={CAMERA_TABLE}
    >
      <Card title="Build a fingerprint" id="build">
        <p class="muted">
          The PRNU fingerprint K is estimated from the noise residuals of many photos of one camera:
          flat-field shots (sky, a wall) give the best estimate with 20–50 images.
        </p>
        <BuildForm onBuilt={cameras.reload} />
      </Card>
    </ListPage>
  );
}

export function CameraPage({ name }: { name: string }) {
  useTitle(name);
  const cam = useLoad(() => api.camera(name), [name]);
  useReloadOnJobs(['fingerprint-build'], cam.reload);
  return (
    <>
      <PageHead title={name} trail={[['Cameras', href('cameras')]]} />
      <ErrorBox error={cam.error} />
      <Await data={cam.data} error={cam.error} what="the camera">
        {({ camera: c, sources }) => {
          const q = c.quality;
          const perImage = Array.isArray(q.perImagePce)
            ? (q.perImagePce as { file: string; pce: number | null }[])
            : [];
          return (
            <>
              <div class="grid-2">
                <Card title="Fingerprint">
                  <Facts
                    items={[
                      ['Model', c.model],
                      ['Device', c.device],
                      ['Size', `${c.width} × ${c.height} px`],
                      ['Images used', fmtInt(c.images)],
                      ['Mean leave-one-out PCE', fmtNumber(num(q, 'meanPce'), 1)],
                      ['Lowest leave-one-out PCE', fmtNumber(num(q, 'minPce'), 1)],
                      ['PRNU energy (mean K²)', num(q, 'prnuEnergy')?.toExponential(3)],
                      ['Built', fmtTime(c.createdAt)],
                    ]}
                  />
                </Card>
                <Card title="Pictures of K">
                  <div class="fingerprint-pictures">
                    <figure>
                      <AuthImage
                        path={api.fingerprintPngPath(name, 'tile')}
                        alt={`Centre tile of the fingerprint of ${name}, contrast-stretched`}
                        class="pixelated"
                      />
                      <figcaption>Centre tile, 256×256, contrast-stretched</figcaption>
                    </figure>
                    <figure>
                      <AuthImage
                        path={api.fingerprintPngPath(name, 'spectrum')}
                        alt={`Log-magnitude spectrum of the fingerprint of ${name}`}
                      />
                      <figcaption>Log-magnitude spectrum (peaks: periodic artefacts)</figcaption>
                    </figure>
                  </div>
                </Card>
              </div>
              <div class={perImage.length > 0 ? 'grid-2' : undefined}>
                {perImage.length > 0 && (
                  <Card title="Per-image consistency">
                    <p class="muted small">
                      Each image's PCE against the fingerprint of the others (centre crop).
                    </p>
                    <DataTable rows={perImage} columns={PER_IMAGE_COLUMNS} rowKey={(p) => p.file} />
                  </Card>
                )}
                <Card title={`Source images (${sources.length})`} id="camera-sources">
                  <DataTable
                    rows={[...sources].sort((a, b) => a.path.localeCompare(b.path))}
                    columns={SOURCE_COLUMNS}
                    rowKey={(s) => s.sha256}
                    empty="No source images recorded."
                  />
                </Card>
              </div>
            </>
          );
        }}
      </Await>
    </>
  );
}
