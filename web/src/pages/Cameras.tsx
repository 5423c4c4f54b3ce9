/**
 * Cameras & fingerprints: the list with quality figures, building a fingerprint from uploaded
 * photos or a server folder, and one camera's page (figures, pictures of K, source images).
 */
import { useState } from 'preact/hooks';
import { api, type CameraSummary } from '../api';
import { PageHead } from '../components/Layout';
import { Card, Facts, TextField } from '../components/Fields';
import { DropZone } from '../components/DropZone';
import { FolderPicker } from '../components/FolderPicker';
import { JobWatch } from '../components/Jobs';
import { AuthImage } from '../components/AuthImage';
import { ErrorBox, Empty, Loading } from '../components/Notice';
import { useLoad, useReloadOnJobs, useTitle } from '../hooks';
import { errorText, fmtAgo, fmtNumber, fmtInt, fmtTime, shortHash } from '../format';
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

function CameraTable({ cameras }: { cameras: CameraSummary[] }) {
  return (
    <div class="table-wrap">
      <table class="table" id="camera-table">
        <caption class="visually-hidden">Camera fingerprints in the database</caption>
        <thead>
          <tr>
            <th scope="col">Camera</th>
            <th scope="col">Model</th>
            <th scope="col">Device</th>
            <th scope="col" class="num">
              Images
            </th>
            <th scope="col" class="num">
              Size
            </th>
            <th scope="col" class="num">
              Mean PCE
            </th>
            <th scope="col">Quality</th>
            <th scope="col">Built</th>
          </tr>
        </thead>
        <tbody>
          {cameras.map((c) => (
            <tr key={c.camera}>
              <th scope="row">
                <a href={href('cameras', c.camera)}>{c.camera}</a>
              </th>
              <td>{c.model ?? '—'}</td>
              <td>{c.device ?? '—'}</td>
              <td class="num">{fmtInt(c.images)}</td>
              <td class="num nowrap">
                {c.width}×{c.height}
              </td>
              <td class="num">{fmtNumber(num(c.quality, 'meanPce'), 0)}</td>
              <td>
                <QualityHint q={c.quality} />
              </td>
              <td class="muted nowrap" title={fmtTime(c.createdAt)}>
                {fmtAgo(c.createdAt)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function BuildForm({ onBuilt }: { onBuilt: () => void }) {
  const [camera, setCamera] = useState('');
  const [model, setModel] = useState('');
  const [device, setDevice] = useState('');
  const [source, setSource] = useState<'upload' | 'folder'>('folder');
  const [files, setFiles] = useState<File[]>([]);
  const [folder, setFolder] = useState('');
  const [job, setJob] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    if (source === 'upload' && files.length === 0)
      return setError('Choose at least one photo to build from.');
    if (source === 'folder' && !folder.trim()) return setError('Give the server folder to build from.');
    setBusy(true);
    try {
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
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
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
        <label>
          <input
            type="radio"
            name="build-source"
            value="folder"
            checked={source === 'folder'}
            onChange={() => setSource('folder')}
          />
          A folder on the server
        </label>
        <label>
          <input
            type="radio"
            name="build-source"
            value="upload"
            checked={source === 'upload'}
            onChange={() => setSource('upload')}
          />
          Upload photos
        </label>
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
      <ErrorBox error={error} />
      <div class="actions">
        <button type="submit" class="btn" disabled={busy}>
          {busy ? 'Submitting…' : 'Build fingerprint'}
        </button>
      </div>
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
    <>
      <PageHead title="Cameras & fingerprints" />
      <Card title="Fingerprint database" id="cameras-list">
        <ErrorBox error={cameras.error} />
        {!cameras.data ? (
          <Loading what="cameras" />
        ) : cameras.data.length === 0 ? (
          <Empty>No fingerprints yet: build the first one below.</Empty>
        ) : (
          <CameraTable cameras={cameras.data} />
        )}
      </Card>
      <Card title="Build a fingerprint" id="build">
        <p class="muted">
          The PRNU fingerprint K is estimated from the noise residuals of many photos of one camera:
          flat-field shots (sky, a wall) give the best estimate with 20–50 images.
        </p>
        <BuildForm onBuilt={cameras.reload} />
      </Card>
    </>
  );
}

export function CameraPage({ name }: { name: string }) {
  useTitle(name);
  const cam = useLoad(() => api.camera(name), [name]);
  useReloadOnJobs(['fingerprint-build'], cam.reload);
  const c = cam.data?.camera;
  const q = c?.quality ?? {};
  const perImage = Array.isArray(q.perImagePce)
    ? (q.perImagePce as { file: string; pce: number | null }[])
    : [];
  return (
    <>
      <PageHead title={name} trail={[['Cameras', href('cameras')]]} />
      <ErrorBox error={cam.error} />
      {!c ? (
        !cam.error && <Loading what="the camera" />
      ) : (
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
                <div class="table-wrap">
                  <table class="table">
                    <thead>
                      <tr>
                        <th scope="col">Image</th>
                        <th scope="col" class="num">
                          PCE
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {perImage.map((p) => (
                        <tr key={p.file}>
                          <td class="path">{p.file.split('/').pop()}</td>
                          <td class="num">{fmtNumber(p.pce, 1)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </Card>
            )}
            <Card title={`Source images (${cam.data!.sources.length})`} id="camera-sources">
              {cam.data!.sources.length === 0 ? (
                <Empty>No source images recorded.</Empty>
              ) : (
                <div class="table-wrap">
                  <table class="table">
                    <thead>
                      <tr>
                        <th scope="col">File</th>
                        <th scope="col" class="hide-narrow">
                          SHA-256
                        </th>
                        <th scope="col" class="num">
                          Size
                        </th>
                        <th scope="col" class="hide-narrow">
                          Format
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {[...cam.data!.sources]
                        .sort((a, b) => a.path.localeCompare(b.path))
                        .map((s) => (
                          <tr key={s.sha256}>
                            <td class="path" title={s.path}>
                              {s.path.split('/').pop()}
                            </td>
                            <td class="hide-narrow">
                              <code title={s.sha256}>{shortHash(s.sha256)}</code>
                            </td>
                            <td class="num nowrap">
                              {s.width}×{s.height}
                            </td>
                            <td class="hide-narrow">{s.format}</td>
                          </tr>
                        ))}
                    </tbody>
                  </table>
                </div>
              )}
            </Card>
          </div>
        </>
      )}
    </>
  );
}
