/**
 * Models: the list, creating one (network, solver, learning rate, epochs, batch, policy), and one
 * model's page: live curves from the event stream while it trains, stop/resume, evaluation and
 * classifying images.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, evaluationOf, type ClassifyResult, type EpochPoint, type ModelRecord } from '../api';
import { PageHead } from '../components/Layout';
import { ListPage, type ListTable } from '../components/ListPage';
import { Card, Facts, SelectField, Submit, TextField } from '../components/Fields';
import { DropZone } from '../components/DropZone';
import { JobWatch } from '../components/Jobs';
import { StatusBadge } from '../components/Badge';
import { ProgressBar } from '../components/Progress';
import { Chart } from '../components/Chart';
import { Await, ErrorBox, Empty } from '../components/Notice';
import { DataTable, agoColumn, linkColumn, type Column } from '../components/Table';
import { useAction, useEvent, useLoad, useReloadOnJobs, useTitle } from '../hooks';
import { fmtNumber, fmtPercent, fmtTime } from '../format';
import { href, navigate } from '../router';
import { curveSpec } from '../charts';

const MODEL_TABLE: ListTable<ModelRecord> = {
  id: 'model-table',
  caption: 'Models',
  rowKey: (m) => m.name,
  columns: [
    linkColumn('Name', 'models', (m) => m.name),
    { head: 'Network', cell: (m) => m.network },
    {
      head: 'Data set',
      cell: (m) =>
        m.dataset ? <a href={href('datasets', datasetName(m.dataset))}>{datasetName(m.dataset)}</a> : '—',
    },
    { head: 'Status', cell: (m) => <StatusBadge status={m.status} /> },
    { head: 'Epochs', class: 'num', cell: (m) => m.epochs },
    { head: 'Best val. accuracy', class: 'num', cell: (m) => fmtPercent(m.bestValAccuracy) },
    { head: 'Test top-1', class: 'num', cell: (m) => fmtPercent(evaluationOf(m.metrics, 'test')?.top1) },
    agoColumn('Updated', (m) => m.updatedAt),
  ],
};

/**
 * The data set's name from a model's `dataset`: a name, or (as the server records it now) the
 * data set's folder, <data-dir>/datasets/<name>.
 */
function datasetName(dataset: string): string {
  return dataset.includes('/') ? (dataset.replace(/\/+$/, '').split('/').pop() ?? dataset) : dataset;
}

function queryParam(name: string): string | undefined {
  const q = location.hash.split('?')[1];
  return q ? (new URLSearchParams(q).get(name) ?? undefined) : undefined;
}

function CreateForm() {
  const datasets = useLoad(() => api.datasets(), []);
  const networks = useLoad(() => api.networks(), []);
  const [name, setName] = useState('');
  const [dataset, setDataset] = useState(queryParam('dataset') ?? '');
  const [network, setNetwork] = useState('camnet');
  const [optimizer, setOptimizer] = useState('adamw');
  const [lr, setLr] = useState('0.001');
  const [epochs, setEpochs] = useState('30');
  const [batch, setBatch] = useState('64');
  const [policy, setPolicy] = useState('cosine');
  const [seed, setSeed] = useState('1');
  const action = useAction();

  useEffect(() => {
    if (!dataset && datasets.data?.[0]) setDataset(datasets.data[0].name);
  }, [datasets.data]);

  const submit = (e: Event) => {
    e.preventDefault();
    if (!dataset) return action.setError('Choose a data set (create one first on the Data sets page).');
    action.run(async () => {
      await api.createModel({
        name: name.trim(),
        dataset,
        network,
        optimizer,
        lr: Number(lr),
        epochs: Number(epochs),
        batch: Number(batch),
        policy,
        seed: Number(seed),
      });
      navigate('models', name.trim());
    });
  };

  const nets = networks.data ?? [{ name: network, description: '' }];
  const description = nets.find((n) => n.name === network)?.description;
  return (
    <form class="form" onSubmit={submit}>
      <ErrorBox error={datasets.error ?? networks.error} />
      <div class="form-grid">
        <TextField id="model-name" label="Name" value={name} onInput={setName} required />
        <SelectField
          id="model-dataset"
          label="Data set"
          value={dataset}
          onChange={setDataset}
          required
          options={
            (datasets.data ?? []).length === 0
              ? [['', 'no data sets yet']]
              : (datasets.data ?? []).map(
                  (d) => [d.name, `${d.name} (${d.classes.length} classes)`] as [string, string],
                )
          }
        />
        <SelectField
          id="model-network"
          label="Network"
          value={network}
          onChange={setNetwork}
          options={nets.map((n) => n.name)}
          hint={description}
        />
        <SelectField
          id="model-optimizer"
          label="Solver"
          value={optimizer}
          onChange={setOptimizer}
          options={[
            ['sgd', 'SGD (momentum)'],
            ['adam', 'Adam'],
            ['adamw', 'AdamW'],
          ]}
        />
        <TextField
          id="model-lr"
          label="Base learning rate"
          type="number"
          step="any"
          min={0}
          value={lr}
          onInput={setLr}
          hint="The paper: 0.0025 with SGD"
        />
        <SelectField
          id="model-policy"
          label="Learning-rate policy"
          value={policy}
          onChange={setPolicy}
          options={[
            ['fixed', 'fixed'],
            ['step', 'step down'],
            ['exp', 'exponential decay'],
            ['poly', 'polynomial decay'],
            ['cosine', 'cosine'],
          ]}
        />
        <TextField
          id="model-epochs"
          label="Epochs"
          type="number"
          min={1}
          value={epochs}
          onInput={setEpochs}
        />
        <TextField
          id="model-batch"
          label="Batch size"
          type="number"
          min={1}
          value={batch}
          onInput={setBatch}
        />
        <TextField id="model-seed" label="Random seed" type="number" min={0} value={seed} onInput={setSeed} />
      </div>
      <Submit text="Train model" busyText="Submitting…" busy={!!action.busy} error={action.error} />
    </form>
  );
}

export function ModelsPage() {
  useTitle('Models');
  const list = useLoad(() => api.models(), []);
  useReloadOnJobs(['train', 'evaluate'], list.reload);
  return (
    <ListPage
      title="Models"
      list={list}
      card="Models"
      id="models-list"
      what="models"
      empty="No models yet: train the first one below."
      table={MODEL_TABLE}
    >
      <Card title="New model" id="model-new">
        <CreateForm />
      </Card>
    </ListPage>
  );
}

/** The curves: the stored ones, with the points the event stream brings while it trains. */
function useCurves(name: string, stored: EpochPoint[] | undefined): EpochPoint[] {
  const [live, setLive] = useState<EpochPoint[]>([]);
  useEffect(() => setLive(stored ?? []), [stored]);
  useEvent('model', (e) => {
    if (e.name !== name || !e.point) return;
    setLive((pts) => [...pts.filter((p) => p.epoch < e.point.epoch), e.point]);
  });
  return live;
}

/** The best validation accuracy: the record's, or better from the points the stream brought since. */
function bestOf(stored: number | null, points: EpochPoint[]): number | null {
  const live = points.map((p) => p.valAccuracy).filter((v): v is number => typeof v === 'number');
  return live.length || stored !== null ? Math.max(stored ?? 0, ...live) : null;
}

const CURVE_COLUMNS: Column<EpochPoint>[] = [
  { head: 'Epoch', class: 'num', cell: (p) => p.epoch },
  { head: 'Train loss', class: 'num', cell: (p) => fmtNumber(p.loss, 4) },
  { head: 'Train acc.', class: 'num', cell: (p) => fmtPercent(p.accuracy) },
  { head: 'Val. loss', class: 'num', cell: (p) => fmtNumber(p.valLoss, 4) },
  { head: 'Val. acc.', class: 'num', cell: (p) => fmtPercent(p.valAccuracy) },
  { head: 'LR', class: 'num', cell: (p) => (typeof p.lr === 'number' ? p.lr.toExponential(2) : '—') },
];

function Curves({
  points,
  planned,
  training,
}: {
  points: EpochPoint[];
  planned: number | undefined;
  training: boolean;
}) {
  const acc = useMemo(() => curveSpec(points, 'accuracy', planned), [points, planned]);
  const loss = useMemo(() => curveSpec(points, 'loss', planned), [points, planned]);
  const last = points.at(-1);
  return (
    <>
      <p class="epoch-counter" aria-live="polite" data-epochs={points.length}>
        <strong>{points.length}</strong> {points.length === 1 ? 'epoch' : 'epochs'}
        {planned ? ` of ${planned}` : ''}
        {last && (
          <span class="muted">
            {' '}
            · training loss {fmtNumber(last.loss, 4)} · validation accuracy {fmtPercent(last.valAccuracy)}
          </span>
        )}
      </p>
      {training && planned ? (
        <div class="training-progress">
          <ProgressBar value={Math.min(1, points.length / planned)} label="Epochs done" />
        </div>
      ) : null}
      {points.length === 0 ? (
        <Empty>No epoch finished yet: the curves grow here as it trains.</Empty>
      ) : (
        <div class="grid-2 charts">
          <Chart
            spec={acc}
            label="Training and validation accuracy per epoch"
            points={points.length}
            class="curve-accuracy"
          />
          <Chart
            spec={loss}
            label="Training and validation loss per epoch"
            points={points.length}
            class="curve-loss"
          />
        </div>
      )}
      {points.length > 0 && (
        <details class="data-table">
          <summary>Curves as a table</summary>
          <DataTable rows={points} columns={CURVE_COLUMNS} rowKey={(p) => p.epoch} />
        </details>
      )}
    </>
  );
}

const CLASSIFY_COLUMNS: Column<ClassifyResult>[] = [
  { head: 'Photo', cellClass: 'path', cell: (r) => r.file.split('/').pop() },
  {
    head: 'Top class',
    rowHeader: true,
    cell: (r) => (
      <>
        {r.top[0]?.class ?? '—'} <span class="muted">{fmtPercent(r.top[0]?.probability)}</span>
      </>
    ),
  },
  {
    head: 'Top 5',
    cellClass: 'small',
    cell: (r) =>
      r.top.map((t) => (
        <span key={t.class} class="chip">
          {t.class} {fmtPercent(t.probability, 0)}
        </span>
      )),
  },
];

function Classify({ name }: { name: string }) {
  const [files, setFiles] = useState<File[]>([]);
  const [results, setResults] = useState<ClassifyResult[]>();
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    if (files.length === 0) return action.setError('Choose one or more photos.');
    action.run(async () => setResults(await api.classify(name, files, 5)));
  };
  return (
    <form class="form" onSubmit={submit}>
      <DropZone
        id="classify-files"
        label="Photos to classify"
        multiple
        accept="image/*,.tif,.tiff"
        files={files}
        onFiles={setFiles}
      />
      <Submit text="Classify" busyText="Classifying…" busy={!!action.busy} error={action.error} />
      {results && (
        <DataTable
          id="classify-results"
          rows={results}
          columns={CLASSIFY_COLUMNS}
          rowKey={(r) => r.sha256 + r.file}
        />
      )}
    </form>
  );
}

export function ModelPage({ name }: { name: string }) {
  useTitle(name);
  // Looked up in the list first: a training just submitted has no record until its job starts,
  // and asking for it by name would be a 404 (an error in the browser console).
  const model = useLoad(
    async () => ((await api.models()).some((x) => x.name === name) ? api.model(name) : null),
    [name],
  );
  useReloadOnJobs(['train', 'evaluate'], model.reload);
  useEvent('job', (e) => e.kind === 'train' && model.data === null && model.reload());
  useEvent('model', (e) => e.name === name && model.data === null && model.reload());
  const m = model.data ?? undefined;
  const points = useCurves(name, m?.curves);
  const [job, setJob] = useState<string>();
  const action = useAction();
  const busy = !!action.busy;

  const act = (fn: () => Promise<unknown>) =>
    action.run(async () => {
      const r = (await fn()) as { job?: string };
      if (r?.job) setJob(r.job);
      model.reload();
    });

  const cfg = m?.config ?? {};
  const planned = typeof cfg.epochs === 'number' ? cfg.epochs : undefined;
  return (
    <>
      <PageHead title={name} trail={[['Models', href('models')]]}>
        {m && (
          <>
            {m.status === 'training' && (
              <button
                type="button"
                class="btn btn-danger"
                disabled={busy}
                onClick={() => act(() => api.stopModel(name))}
              >
                Stop training
              </button>
            )}
            {(m.status === 'stopped' || m.status === 'interrupted' || m.status === 'failed') && (
              <button
                type="button"
                class="btn"
                disabled={busy}
                onClick={() => act(() => api.resumeModel(name))}
              >
                Resume training
              </button>
            )}
            {m.status !== 'training' && (
              <a class="btn btn-secondary" href={href('models', name, 'evaluation')}>
                Evaluation
              </a>
            )}
          </>
        )}
      </PageHead>
      <ErrorBox error={model.error ?? action.error} />
      {job && <JobWatch key={job} id={job} onEnd={() => model.reload()} />}
      {model.data === null ? (
        <p class="notice notice-info" role="status">
          No model named {name} yet. A training just submitted appears here when its job starts (see{' '}
          <a href={href()}>the jobs</a>).
        </p>
      ) : (
        <Await data={m} error={model.error} what="the model">
          {(m) => (
            <>
              <div class="model-status">
                <StatusBadge status={m.status} />
                <span>
                  {m.network} on{' '}
                  {m.dataset ? (
                    <a href={href('datasets', datasetName(m.dataset))} title={m.dataset}>
                      {datasetName(m.dataset)}
                    </a>
                  ) : (
                    'an unknown data set'
                  )}
                </span>
                <span class="muted">
                  best validation accuracy {fmtPercent(bestOf(m.bestValAccuracy, points))}
                </span>
                {m.error && <span class="job-error">{m.error}</span>}
              </div>
              <Card title="Training curves" id="model-curves">
                <Curves points={points} planned={planned} training={m.status === 'training'} />
              </Card>
              <div class="grid-2">
                <Card title="Settings">
                  <Facts
                    items={[
                      ['Network', m.network],
                      ['Solver', String(cfg.optimizer ?? '—')],
                      ['Base learning rate', String(cfg.lr ?? '—')],
                      ['Policy', String(cfg.lr_policy ?? cfg.policy ?? '—')],
                      ['Epochs', String(cfg.epochs ?? '—')],
                      ['Batch size', String(cfg.batch_size ?? cfg.batch ?? '—')],
                      ['Seed', String(cfg.seed ?? '—')],
                      ['Created', fmtTime(m.createdAt)],
                    ]}
                  />
                </Card>
                <Card title="Classify photos" id="model-classify">
                  {m.status === 'done' ? (
                    <Classify name={name} />
                  ) : (
                    <Empty>
                      Once the training has finished (its network is exported then), photos can be classified
                      here.
                    </Empty>
                  )}
                </Card>
              </div>
            </>
          )}
        </Await>
      )}
    </>
  );
}
