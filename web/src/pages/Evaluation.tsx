/** A model's evaluation: top-1/top-5, the confusion matrix heat map and per-class accuracy. */
import { useState } from 'preact/hooks';
import { api, evaluatedSplits, evaluationOf, type Evaluation } from '../api';
import { PageHead } from '../components/Layout';
import { Card, SelectField, Submit } from '../components/Fields';
import { JobWatch } from '../components/Jobs';
import { Chart } from '../components/Chart';
import { Await, ErrorBox, Empty } from '../components/Notice';
import { Stats } from '../components/Stats';
import { DataTable, type Column } from '../components/Table';
import { useAction, useLoad, useReloadOnJobs, useTitle } from '../hooks';
import { fmtInt, fmtNumber, fmtPercent } from '../format';
import { href } from '../router';
import { confusionSpec, perClassSpec } from '../charts';

function ConfusionTable({ e }: { e: Evaluation }) {
  const columns: Column<number[]>[] = [
    { head: 'true \\ predicted', rowHeader: true, cell: (_, i) => e.classes[i] },
    ...e.classes.map((c, j): Column<number[]> => ({
      head: c,
      class: 'num',
      cellClass: (_, i) => `num${i === j ? ' diag' : ''}`,
      cell: (row) => row[j],
    })),
  ];
  return (
    <details class="data-table">
      <summary>Confusion matrix as a table</summary>
      <DataTable
        class="confusion-table"
        rows={e.confusion}
        columns={columns}
        rowKey={(_, i) => e.classes[i]}
      />
    </details>
  );
}

/** Photos, correct answers and accuracy per class. */
const perClassColumns = (e: Evaluation): Column<string>[] => [
  { head: 'Class', rowHeader: true, cell: (c) => c },
  { head: 'Photos', class: 'num', cell: (c) => fmtInt(e.perClass[c]?.images) },
  { head: 'Correct', class: 'num', cell: (c) => fmtInt(e.perClass[c]?.correct) },
  { head: 'Accuracy', class: 'num', cell: (c) => fmtPercent(e.perClass[c]?.accuracy) },
];

export function EvaluationPage({ name }: { name: string }) {
  useTitle(`${name} evaluation`);
  const model = useLoad(() => api.model(name), [name]);
  useReloadOnJobs(['evaluate'], model.reload);
  const [split, setSplit] = useState('test');
  const [job, setJob] = useState<string>();
  const action = useAction();
  const m = model.data;
  const e = evaluationOf(m?.metrics, split);
  const splits = evaluatedSplits(m?.metrics);

  const evaluate = (ev: Event) => {
    ev.preventDefault();
    action.run(async () => setJob((await api.evaluateModel(name, split)).job));
  };

  const rows = e
    ? e.classes.map((c) => ({
        class: c,
        accuracy: e.perClass[c]?.accuracy ?? null,
        images: e.perClass[c]?.images ?? 0,
      }))
    : [];
  return (
    <>
      <PageHead
        title={`Evaluation of ${name}`}
        trail={[
          ['Models', href('models')],
          [name, href('models', name)],
        ]}
      />
      <ErrorBox error={model.error ?? action.error} />
      <Card title="Run an evaluation" id="eval-run">
        <form class="form form-inline" onSubmit={evaluate}>
          <SelectField
            id="eval-split"
            label="Split"
            value={split}
            onChange={setSplit}
            options={(
              [
                ['test', 'test'],
                ['val', 'validation'],
                ['train', 'training'],
              ] as [string, string][]
            ).map(([v, t]) => [v, splits.includes(v) ? `${t} (evaluated)` : t])}
          />
          <Submit text={e ? 'Evaluate again' : 'Evaluate'} disabled={!m || m.status !== 'done'} />
        </form>
        {m && m.status !== 'done' && (
          <p class="muted small">
            The network is exported when its training finishes:{' '}
            {m.status === 'training' ? 'wait for it' : 'resume it'} to evaluate it.
          </p>
        )}
        {job && <JobWatch key={job} id={job} onEnd={() => model.reload()} />}
      </Card>
      <Await data={m} error={model.error} what="the model">
        {(m) =>
          !e ? (
            <Empty>
              {m.status === 'training'
                ? 'The model is still training: evaluate it once it has finished.'
                : `Not evaluated on the ${split} split yet: press Evaluate.`}
            </Empty>
          ) : (
            <>
              <p class="muted small">
                Evaluated on the {e.split} split ({fmtInt(e.images)} photos
                {e.crop ? `, ${fmtInt(e.crop.crops)} crops` : ''})
                {e.seconds !== undefined ? ` in ${fmtNumber(e.seconds, 2)} s` : ''}; a photo's class is
                decided from all its crops.
              </p>
              <Stats
                label="Accuracy"
                items={[
                  { value: fmtPercent(e.top1), label: 'top-1 (per photo)' },
                  { value: fmtPercent(e.top5), label: 'top-5 (per photo)' },
                  { value: e.crop ? fmtPercent(e.crop.top1) : '—', label: 'top-1 (per crop)' },
                  { value: fmtInt(e.images), label: `${e.split} photos` },
                ]}
              />
              <div class="grid-2">
                <Card title="Confusion matrix" id="eval-confusion">
                  <div class="chart-scroll" id="confusion-matrix">
                    <Chart
                      spec={confusionSpec(e.classes, e.confusion)}
                      label={`Confusion matrix of ${name} on the ${e.split} split: rows true class, columns predicted`}
                      points={e.classes.length}
                    />
                  </div>
                  <ConfusionTable e={e} />
                </Card>
                <Card title="Per-class accuracy" id="eval-per-class">
                  <Chart spec={perClassSpec(rows)} label="Accuracy per class" />
                  <DataTable rows={e.classes} columns={perClassColumns(e)} rowKey={(c) => c} />
                </Card>
              </div>
            </>
          )
        }
      </Await>
    </>
  );
}
