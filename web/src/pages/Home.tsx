/** Home: the job board (running, queued, finished) and the latest data sets and models, as DIGITS' home. */
import type { ComponentChildren } from 'preact';
import { api, splitTotal, type DatasetRecord, type ModelRecord } from '../api';
import { PageHead } from '../components/Layout';
import { JobBoard } from '../components/Jobs';
import { Card } from '../components/Fields';
import { StatusBadge } from '../components/Badge';
import { ErrorBox } from '../components/Notice';
import { Stats } from '../components/Stats';
import { DataTable, type Column } from '../components/Table';
import { useLoad, useReloadOnJobs, useTitle } from '../hooks';
import { fmtAgo, fmtInt, fmtPercent } from '../format';
import { href } from '../router';

/** A record's name, linking to its page (a plain cell here: these tables are summaries). */
const nameCell = (section: string) => (r: { name: string }) => <a href={href(section, r.name)}>{r.name}</a>;

const DATASET_COLUMNS: Column<DatasetRecord>[] = [
  { head: 'Name', cell: nameCell('datasets') },
  { head: 'Classes', class: 'num', cell: (ds) => ds.classes.length },
  { head: 'Crops', class: 'num', cell: (ds) => fmtInt(splitTotal(ds.counts)) },
  { head: 'Created', cellClass: 'muted', cell: (ds) => fmtAgo(ds.createdAt) },
];

const MODEL_COLUMNS: Column<ModelRecord>[] = [
  { head: 'Name', cell: nameCell('models') },
  { head: 'Status', cell: (m) => <StatusBadge status={m.status} /> },
  { head: 'Best val.', class: 'num', cell: (m) => fmtPercent(m.bestValAccuracy) },
  { head: 'Updated', cellClass: 'muted', cell: (m) => fmtAgo(m.updatedAt) },
];

/** The latest records of a kind: the first six, or what to do when there are none yet. */
function Latest<T extends { name: string }>({
  rows,
  columns,
  none,
}: {
  rows: T[] | undefined;
  columns: Column<T>[];
  none: ComponentChildren;
}) {
  return (
    <DataTable
      rows={rows?.slice(0, 6) ?? []}
      columns={columns}
      rowKey={(r) => r.name}
      empty={rows && <>None yet. {none}.</>}
    />
  );
}

function Summary() {
  const counts = useLoad(
    () =>
      Promise.all([api.cameras(), api.datasets(), api.models()]).then(([c, d, m]) => ({
        cameras: c.length,
        datasets: d,
        models: m,
      })),
    [],
  );
  useReloadOnJobs(['fingerprint-build', 'dataset-create', 'train', 'evaluate'], counts.reload);
  const d = counts.data;
  const totals: [string, number | undefined, string][] = [
    ['cameras', d?.cameras, 'camera fingerprint'],
    ['datasets', d?.datasets.length, 'data set'],
    ['models', d?.models.length, 'model'],
  ];
  return (
    <>
      <ErrorBox error={counts.error} />
      <Stats
        label="Totals"
        items={[
          ...totals.map(([section, n, what]) => ({
            link: href(section),
            value: n === undefined ? '…' : fmtInt(n),
            label: n === 1 ? what : `${what}s`,
          })),
          { link: href('identify'), value: '→', label: 'identify a photo', decorative: true },
        ]}
      />
      <div class="grid-2">
        <Card title="Data sets" id="home-datasets">
          <Latest
            rows={d?.datasets}
            columns={DATASET_COLUMNS}
            none={<a href={href('datasets')}>Create a data set</a>}
          />
        </Card>
        <Card title="Models" id="home-models">
          <Latest
            rows={d?.models}
            columns={MODEL_COLUMNS}
            none={<a href={href('models')}>Train a model</a>}
          />
        </Card>
      </div>
    </>
  );
}

export function HomePage() {
  useTitle('Jobs');
  return (
    <>
      <PageHead title="Jobs" />
      <Card title="Job queue" id="home-jobs">
        <JobBoard />
      </Card>
      <Summary />
    </>
  );
}
