/** Data sets: the list, creating one from a server folder (options as `dataset create`), and one data set's page. */
import { useState } from 'preact/hooks';
import { api, splitTotal, type DatasetRecord, type PerClassCounts, type SplitCounts } from '../api';
import { PageHead } from '../components/Layout';
import { ListPage, type ListTable } from '../components/ListPage';
import { Card, Facts, SelectField, Submit, TextField } from '../components/Fields';
import { FolderPicker } from '../components/FolderPicker';
import { JobWatch } from '../components/Jobs';
import { AuthImage } from '../components/AuthImage';
import { Chart } from '../components/Chart';
import { Await, ErrorBox, Empty } from '../components/Notice';
import { DataTable, agoColumn, linkColumn, type Column } from '../components/Table';
import { useAction, useLoad, useReloadOnJobs, useTitle } from '../hooks';
import { fmtInt, fmtTime, shortHash } from '../format';
import { href, navigate } from '../router';
import { splitSpec } from '../charts';

/** "train / val / test" counts. */
const splits = (c: SplitCounts) => `${fmtInt(c.train)} / ${fmtInt(c.val)} / ${fmtInt(c.test)}`;

const DATASET_TABLE: ListTable<DatasetRecord> = {
  id: 'dataset-table',
  caption: 'Data sets',
  rowKey: (d) => d.name,
  columns: [
    linkColumn('Name', 'datasets', (d) => d.name),
    { head: 'Input', cell: (d) => d.input },
    { head: 'Crop', class: 'num', cell: (d) => d.crop },
    { head: 'Classes', class: 'num', cell: (d) => d.classes.length },
    {
      head: 'Crops train / val / test',
      class: 'num',
      cellClass: 'num nowrap',
      cell: (d) => splits(d.counts),
    },
    { head: 'Photos', class: 'num', cell: (d) => fmtInt(splitTotal(d.images)) },
    agoColumn('Created', (d) => d.createdAt),
  ],
};

/** Crops per class and split. */
const CLASS_COLUMNS: Column<PerClassCounts>[] = [
  { head: 'Class', rowHeader: true, cell: (c) => c.class },
  { head: 'Train', class: 'num', cell: (c) => fmtInt(c.train) },
  { head: 'Val', class: 'num', cell: (c) => fmtInt(c.val) },
  { head: 'Test', class: 'num', cell: (c) => fmtInt(c.test) },
  { head: 'Total', class: 'num', cell: (c) => fmtInt(splitTotal(c)) },
];

function CreateForm({ onCreated }: { onCreated: (name: string) => void }) {
  const [name, setName] = useState('');
  const [folder, setFolder] = useState('');
  const [input, setInput] = useState('residual-rgb');
  const [crop, setCrop] = useState('256');
  const [cropsPerImage, setCropsPerImage] = useState('16');
  const [split, setSplit] = useState('75/10/15');
  const [splitBy, setSplitBy] = useState('photo');
  const [classesFrom, setClassesFrom] = useState('folder');
  const [only, setOnly] = useState('all');
  const [minImages, setMinImages] = useState('');
  const [maxImages, setMaxImages] = useState('');
  const [job, setJob] = useState<string>();
  const action = useAction();

  const submit = (e: Event) => {
    e.preventDefault();
    if (!folder.trim()) return action.setError('Give the server folder: one sub-folder per class (camera).');
    action.run(async () => {
      const r = await api.createDataset({
        name: name.trim(),
        folder: folder.trim(),
        input,
        crop: Number(crop),
        cropsPerImage: Number(cropsPerImage),
        split,
        splitBy,
        classesFrom,
        only,
        ...(minImages.trim() ? { minImages: Number(minImages) } : {}),
        ...(maxImages.trim() ? { maxImages: Number(maxImages) } : {}),
      });
      setJob(r.job);
    });
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
        <SelectField
          id="ds-classes-from"
          label="Classes from"
          value={classesFrom}
          onChange={setClassesFrom}
          options={[
            ['folder', 'folder (one class per sub-folder)'],
            ['model', 'camera model (units pooled)'],
            ['device', 'device (each unit a class)'],
          ]}
        />
        <SelectField
          id="ds-only"
          label="Photos used"
          value={only}
          onChange={setOnly}
          options={[
            ['all', 'all'],
            ['natural', 'natural scenes only'],
            ['flat', 'flat-fields only'],
          ]}
        />
        <TextField
          id="ds-min"
          label="Min photos per class"
          type="number"
          min={1}
          value={minImages}
          onInput={setMinImages}
          hint="Classes with fewer are left out"
        />
        <TextField
          id="ds-max"
          label="Max photos per class"
          type="number"
          min={1}
          value={maxImages}
          onInput={setMaxImages}
        />
      </div>
      <FolderPicker
        id="ds-folder"
        label="Server folder (one sub-folder per class)"
        value={folder}
        onChange={setFolder}
        required
      />
      <Submit text="Create data set" busyText="Submitting…" busy={!!action.busy} error={action.error} />
      {job && <JobWatch key={job} id={job} onEnd={(j) => j.status === 'done' && onCreated(name.trim())} />}
    </form>
  );
}

export function DatasetsPage() {
  useTitle('Data sets');
  const list = useLoad(() => api.datasets(), []);
  useReloadOnJobs(['dataset-create'], list.reload);
  return (
    <ListPage
      title="Data sets"
      list={list}
      card="Data sets"
      id="datasets-list"
      what="data sets"
      empty="No data sets yet: create one below."
      table={DATASET_TABLE}
    >
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
    </ListPage>
  );
}

export function DatasetPage({ name }: { name: string }) {
  useTitle(name);
  const ds = useLoad(() => api.dataset(name), [name]);
  useReloadOnJobs(['dataset-create'], ds.reload);
  return (
    <>
      <PageHead title={name} trail={[['Data sets', href('datasets')]]}>
        {ds.data && (
          <a class="btn btn-secondary" href={`${href('models')}?dataset=${encodeURIComponent(name)}`}>
            Train a model on it
          </a>
        )}
      </PageHead>
      <ErrorBox error={ds.error} />
      <Await data={ds.data} error={ds.error} what="the data set">
        {({ dataset: d, perClass }) => (
          <>
            <div class="grid-2">
              <Card title="Summary">
                <Facts
                  items={[
                    ['Input', d.input],
                    ['Crop', `${d.crop} × ${d.crop} px`],
                    ['Classes', fmtInt(d.classes.length)],
                    ['Crops (train / val / test)', splits(d.counts)],
                    ['Photos (train / val / test)', splits(d.images)],
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
              <DataTable id="class-counts" rows={perClass} columns={CLASS_COLUMNS} rowKey={(c) => c.class} />
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
      </Await>
    </>
  );
}
