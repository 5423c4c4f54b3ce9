/** Home: the job board (running, queued, finished) and the latest data sets and models, as DIGITS' home. */
import { api } from '../api';
import { PageHead } from '../components/Layout';
import { JobBoard } from '../components/Jobs';
import { Card } from '../components/Fields';
import { StatusBadge } from '../components/Badge';
import { ErrorBox, Empty } from '../components/Notice';
import { useLoad, useReloadOnJobs, useTitle } from '../hooks';
import { fmtAgo, fmtInt, fmtPercent } from '../format';
import { href } from '../router';

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
  return (
    <>
      <ErrorBox error={counts.error} />
      <ul class="stats" aria-label="Totals">
        <li>
          <a href={href('cameras')}>
            <span class="stat-value">{d ? fmtInt(d.cameras) : '…'}</span>
            <span class="stat-label">{d?.cameras === 1 ? 'camera fingerprint' : 'camera fingerprints'}</span>
          </a>
        </li>
        <li>
          <a href={href('datasets')}>
            <span class="stat-value">{d ? fmtInt(d.datasets.length) : '…'}</span>
            <span class="stat-label">{d?.datasets.length === 1 ? 'data set' : 'data sets'}</span>
          </a>
        </li>
        <li>
          <a href={href('models')}>
            <span class="stat-value">{d ? fmtInt(d.models.length) : '…'}</span>
            <span class="stat-label">{d?.models.length === 1 ? 'model' : 'models'}</span>
          </a>
        </li>
        <li>
          <a href={href('identify')}>
            <span class="stat-value" aria-hidden="true">
              →
            </span>
            <span class="stat-label">identify a photo</span>
          </a>
        </li>
      </ul>
      <div class="grid-2">
        <Card title="Data sets" id="home-datasets">
          {d && d.datasets.length === 0 ? (
            <Empty>
              None yet. <a href={href('datasets')}>Create a data set</a>.
            </Empty>
          ) : (
            <div class="table-wrap">
              <table class="table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col" class="num">
                      Classes
                    </th>
                    <th scope="col" class="num">
                      Crops
                    </th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {d?.datasets.slice(0, 6).map((ds) => (
                    <tr key={ds.name}>
                      <td>
                        <a href={href('datasets', ds.name)}>{ds.name}</a>
                      </td>
                      <td class="num">{ds.classes.length}</td>
                      <td class="num">{fmtInt(ds.counts.train + ds.counts.val + ds.counts.test)}</td>
                      <td class="muted">{fmtAgo(ds.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
        <Card title="Models" id="home-models">
          {d && d.models.length === 0 ? (
            <Empty>
              None yet. <a href={href('models')}>Train a model</a>.
            </Empty>
          ) : (
            <div class="table-wrap">
              <table class="table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Status</th>
                    <th scope="col" class="num">
                      Best val.
                    </th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {d?.models.slice(0, 6).map((m) => (
                    <tr key={m.name}>
                      <td>
                        <a href={href('models', m.name)}>{m.name}</a>
                      </td>
                      <td>
                        <StatusBadge status={m.status} />
                      </td>
                      <td class="num">{fmtPercent(m.bestValAccuracy)}</td>
                      <td class="muted">{fmtAgo(m.updatedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
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
