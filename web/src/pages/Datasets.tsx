/** Data sets: the list, creating one from a server folder (options as `dataset create`), and one data set's page. */
import { useState } from 'preact/hooks';
import { api, type DatasetRecord } from '../api';
import { PageHead } from '../components/Layout';
import { Card, Facts, SelectField, TextField } from '../components/Fields';
import { FolderPicker } from '../components/FolderPicker';
import { JobWatch } from '../components/Jobs';
import { AuthImage } from '../components/AuthImage';
import { Chart } from '../components/Chart';
import { ErrorBox, Empty, Loading } from '../components/Notice';
import { useLoad, useReloadOnJobs, useTitle } from '../hooks';
import { errorText, fmtAgo, fmtInt, fmtTime, shortHash } from '../format';
import { href, navigate } from '../router';
import { splitSpec } from '../charts';

const total = (c: { train: number; val: number; test: number }) => c.train + c.val + c.test;

function DatasetTable({ datasets }: { datasets: DatasetRecord[] }) {
  return (
    <div class="table-wrap">
      <table class="table" id="dataset-table">
        <caption class="visually-hidden">Data sets</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Input</th>
            <th scope="col" class="num">
              Crop
            </th>
            <th scope="col" class="num">
              Classes
            </th>
            <th scope="col" class="num">
              Crops train / val / test
            </th>
            <th scope="col" class="num">
              Photos
            </th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {datasets.map((d) => (
            <tr key={d.name}>
              <th scope="row">
                <a href={href('datasets', d.name)}>{d.name}</a>
              </th>
              <td>{d.input}</td>
              <td class="num">{d.crop}</td>
              <td class="num">{d.classes.length}</td>
              <td class="num nowrap">
                {fmtInt(d.counts.train)} / {fmtInt(d.counts.val)} / {fmtInt(d.counts.test)}
              </td>
              <td class="num">{fmtInt(total(d.images))}</td>
              <td class="muted nowrap" title={fmtTime(d.createdAt)}>
                {fmtAgo(d.createdAt)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CreateForm({ onCreated }: { onCreated: (name: string) => void }) {
  const [name, setName] = useState('');
  const [folder, setFolder] = useState('');
  const [input, setInput] = useState('residual-rgb');
  const [crop, setCrop] = useState('256');
  const [cropsPerImage, setCropsPerImage] = useState('16');
  const [split, setSplit] = useState('75/10/15');
  const [splitBy, setSplitBy] = useState('photo');
  const [job, setJob] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    if (!folder.trim()) return setError('Give the server folder: one sub-folder per class (camera).');
    setBusy(true);
    try {
      const r = await api.createDataset({
        name: name.trim(),
        folder: folder.trim(),
        input,
        crop: Number(crop),
        cropsPerImage: Number(cropsPerImage),
        split,
        splitBy,
      });
      setJob(r.job);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form" onSubmit={submit}>
      <div class="form-grid">
        <TextField id="ds-name" label="Name" value={name} onInput={setName} required />
        <SelectField
          id="ds-input"
          label="Input"
          value={input}
          onChange={setInput}
          options={[
            ['residual-rgb', 'noise residual, colour'],
            ['residual', 'noise residual, grey'],
            ['rgb', 'pixels (RGB)'],
          ]}
        />
        <TextField
          id="ds-crop"
          label="Crop side (px)"
          type="number"
          min={8}
          step={2}
          value={crop}
          onInput={setCrop}
          hint="Even; photos are never resized"
        />
        <TextField
          id="ds-crops"
          label="Crops per photo"
          type="number"
          min={1}
          value={cropsPerImage}
          onInput={setCropsPerImage}
        />
        <TextField
          id="ds-split"
          label="Split train/val/test (%)"
          value={split}
          onInput={setSplit}
          pattern="\d+/\d+/\d+"
          hint="e.g. 75/10/15"
        />
        <SelectField
          id="ds-split-by"
          label="Split by"
          value={splitBy}
          onChange={setSplitBy}
          options={[
            ['photo', 'photo (crops of a photo stay together)'],
            ['device', 'device (unseen units in test)'],
          ]}
        />
      </div>
      <FolderPicker
        id="ds-folder"
        label="Server folder (one sub-folder per class)"
        value={folder}
        onChange={setFolder}
        required
      />
      <ErrorBox error={error} />
      <div class="actions">
        <button type="submit" class="btn" disabled={busy}>
          {busy ? 'Submitting…' : 'Create data set'}
        </button>
      </div>
      {job && <JobWatch key={job} id={job} onEnd={(j) => j.status === 'done' && onCreated(name.trim())} />}
    </form>
  );
}

export function DatasetsPage() {
  useTitle('Data sets');
  const list = useLoad(() => api.datasets(), []);
  useReloadOnJobs(['dataset-create'], list.reload);
  return (
    <>
      <PageHead title="Data sets" />
      <Card title="Data sets" id="datasets-list">
        <ErrorBox error={list.error} />
        {!list.data ? (
          <Loading what="data sets" />
        ) : list.data.length === 0 ? (
          <Empty>No data sets yet: create one below.</Empty>
        ) : (
          <DatasetTable datasets={list.data} />
        )}
      </Card>
      <Card title="New data set" id="dataset-new">
        <p class="muted">
          Crops of each photo's noise residual (or pixels) at even offsets, split by source photo so that no
          photo falls in two splits. Each sub-folder of the folder is a class.
        </p>
        <CreateForm
          onCreated={(name) => {
            list.reload();
            if (name) navigate('datasets', name);
          }}
        />
      </Card>
    </>
  );
}

export function DatasetPage({ name }: { name: string }) {
  useTitle(name);
  const ds = useLoad(() => api.dataset(name), [name]);
  useReloadOnJobs(['dataset-create'], ds.reload);
  const d = ds.data?.dataset;
  const perClass = ds.data?.perClass ?? [];
  return (
    <>
      <PageHead title={name} trail={[['Data sets', href('datasets')]]}>
        {d && (
          <a class="btn btn-secondary" href={`${href('models')}?dataset=${encodeURIComponent(name)}`}>
            Train a model on it
          </a>
        )}
      </PageHead>
      <ErrorBox error={ds.error} />
      {!d ? (
        !ds.error && <Loading what="the data set" />
      ) : (
        <>
          <div class="grid-2">
            <Card title="Summary">
              <Facts
                items={[
                  ['Input', d.input],
                  ['Crop', `${d.crop} × ${d.crop} px`],
                  ['Classes', fmtInt(d.classes.length)],
                  [
                    'Crops (train / val / test)',
                    `${fmtInt(d.counts.train)} / ${fmtInt(d.counts.val)} / ${fmtInt(d.counts.test)}`,
                  ],
                  [
                    'Photos (train / val / test)',
                    `${fmtInt(d.images.train)} / ${fmtInt(d.images.val)} / ${fmtInt(d.images.test)}`,
                  ],
                  ['Split by', String(d.params.splitBy ?? d.params.split_by ?? 'photo')],
                  [
                    'Manifest SHA-256',
                    <code title={d.manifestSha256}>{shortHash(d.manifestSha256, 16)}…</code>,
                  ],
                  ['Created', fmtTime(d.createdAt)],
                ]}
              />
            </Card>
            <Card title="Crops per class and split">
              {perClass.length > 0 ? (
                <Chart spec={splitSpec(perClass)} label="Crops per class, stacked by split" />
              ) : (
                <Empty>No per-class counts.</Empty>
              )}
            </Card>
          </div>
          <Card title="Class counts" id="dataset-classes">
            <div class="table-wrap">
              <table class="table" id="class-counts">
                <thead>
                  <tr>
                    <th scope="col">Class</th>
                    <th scope="col" class="num">
                      Train
                    </th>
                    <th scope="col" class="num">
                      Val
                    </th>
                    <th scope="col" class="num">
                      Test
                    </th>
                    <th scope="col" class="num">
                      Total
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {perClass.map((c) => (
                    <tr key={c.class}>
                      <th scope="row">{c.class}</th>
                      <td class="num">{fmtInt(c.train)}</td>
                      <td class="num">{fmtInt(c.val)}</td>
                      <td class="num">{fmtInt(c.test)}</td>
                      <td class="num">{fmtInt(total(c))}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Card>
          <Card title="Example crops" id="dataset-examples">
            <p class="muted small">Contrast-stretched, as the network sees them.</p>
            <div class="examples">
              {d.classes.slice(0, 24).map((c) => (
                <figure key={c}>
                  <figcaption>{c}</figcaption>
                  <AuthImage
                    path={api.examplesPngPath(name, c, 8)}
                    alt={`Example crops of class ${c}`}
                    class="pixelated"
                  />
                </figure>
              ))}
            </div>
          </Card>
        </>
      )}
    </>
  );
}
