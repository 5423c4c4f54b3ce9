/** A model's evaluation: top-1/top-5, the confusion matrix heat map and per-class accuracy. */
import { useState } from 'preact/hooks';
import { api, evaluatedSplits, evaluationOf, type Evaluation } from '../api';
import { PageHead } from '../components/Layout';
import { Card, SelectField } from '../components/Fields';
import { JobWatch } from '../components/Jobs';
import { Chart } from '../components/Chart';
import { ErrorBox, Empty, Loading } from '../components/Notice';
import { useLoad, useReloadOnJobs, useTitle } from '../hooks';
import { errorText, fmtInt, fmtNumber, fmtPercent } from '../format';
import { href } from '../router';
import { confusionSpec, perClassSpec } from '../charts';

function ConfusionTable({ e }: { e: Evaluation }) {
  return (
    <details class="data-table">
      <summary>Confusion matrix as a table</summary>
      <div class="table-wrap">
        <table class="table confusion-table">
          <thead>
            <tr>
              <th scope="col">true \ predicted</th>
              {e.classes.map((c) => (
                <th key={c} scope="col" class="num">
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {e.confusion.map((row, i) => (
              <tr key={e.classes[i]}>
                <th scope="row">{e.classes[i]}</th>
                {row.map((v, j) => (
                  <td key={j} class={`num${i === j ? ' diag' : ''}`}>
                    {v}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

export function EvaluationPage({ name }: { name: string }) {
  useTitle(`${name} evaluation`);
  const model = useLoad(() => api.model(name), [name]);
  useReloadOnJobs(['evaluate'], model.reload);
  const [split, setSplit] = useState('test');
  const [job, setJob] = useState<string>();
  const [error, setError] = useState<string>();
  const m = model.data;
  const e = evaluationOf(m?.metrics, split);
  const splits = evaluatedSplits(m?.metrics);

  const evaluate = async (ev: Event) => {
    ev.preventDefault();
    setError(undefined);
    try {
      setJob((await api.evaluateModel(name, split)).job);
    } catch (err) {
      setError(errorText(err));
    }
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
      <ErrorBox error={model.error ?? error} />
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
          <div class="actions">
            <button type="submit" class="btn" disabled={!m || m.status !== 'done'}>
              {e ? 'Evaluate again' : 'Evaluate'}
            </button>
          </div>
        </form>
        {m && m.status !== 'done' && (
          <p class="muted small">
            The network is exported when its training finishes:{' '}
            {m.status === 'training' ? 'wait for it' : 'resume it'} to evaluate it.
          </p>
        )}
        {job && <JobWatch key={job} id={job} onEnd={() => model.reload()} />}
      </Card>
      {!m ? (
        !model.error && <Loading what="the model" />
      ) : !e ? (
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
            {e.seconds !== undefined ? ` in ${fmtNumber(e.seconds, 2)} s` : ''}; a photo's class is decided
            from all its crops.
          </p>
          <ul class="stats" aria-label="Accuracy">
            <li>
              <span class="stat-value">{fmtPercent(e.top1)}</span>
              <span class="stat-label">top-1 (per photo)</span>
            </li>
            <li>
              <span class="stat-value">{fmtPercent(e.top5)}</span>
              <span class="stat-label">top-5 (per photo)</span>
            </li>
            <li>
              <span class="stat-value">{e.crop ? fmtPercent(e.crop.top1) : '—'}</span>
              <span class="stat-label">top-1 (per crop)</span>
            </li>
            <li>
              <span class="stat-value">{fmtInt(e.images)}</span>
              <span class="stat-label">{e.split} photos</span>
            </li>
          </ul>
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
              <div class="table-wrap">
                <table class="table">
                  <thead>
                    <tr>
                      <th scope="col">Class</th>
                      <th scope="col" class="num">
                        Photos
                      </th>
                      <th scope="col" class="num">
                        Correct
                      </th>
                      <th scope="col" class="num">
                        Accuracy
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {e.classes.map((c) => (
                      <tr key={c}>
                        <th scope="row">{c}</th>
                        <td class="num">{fmtInt(e.perClass[c]?.images)}</td>
                        <td class="num">{fmtInt(e.perClass[c]?.correct)}</td>
                        <td class="num">{fmtPercent(e.perClass[c]?.accuracy)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </Card>
          </div>
        </>
      )}
    </>
  );
}
