/** Jobs: the live list (home page) and one job watched while it runs (forms that start one). */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type JobEvent, type JobInfo } from '../api';
import { useAction, useEvent, useLoad } from '../hooks';
import { errorText, fmtAgo } from '../format';
import { href } from '../router';
import { StatusBadge } from './Badge';
import { ProgressBar } from './Progress';
import { ErrorBox } from './Notice';

const KIND_TEXT: Record<string, string> = {
  'fingerprint-build': 'Fingerprint build',
  'dataset-create': 'Data set',
  train: 'Training',
  evaluate: 'Evaluation',
  cluster: 'Clustering',
  residual: 'Residual',
};

export function kindText(kind: string): string {
  return KIND_TEXT[kind] ?? kind;
}

/** What a job works on, from its parameters (camera, data set or model name). */
export function jobSubject(job: JobInfo): { text: string; link?: string } {
  const p = job.params ?? {};
  const s = (k: string) => (typeof p[k] === 'string' ? (p[k] as string) : undefined);
  if (job.kind === 'fingerprint-build' && s('camera'))
    return { text: s('camera')!, link: href('cameras', s('camera')!) };
  if (job.kind === 'dataset-create' && s('name'))
    return { text: s('name')!, link: href('datasets', s('name')!) };
  if ((job.kind === 'train' || job.kind === 'evaluate') && (s('name') ?? s('model')))
    return { text: (s('name') ?? s('model'))!, link: href('models', (s('name') ?? s('model'))!) };
  return { text: s('name') ?? s('camera') ?? s('folder') ?? job.id.slice(0, 8) };
}

/** A job updated by an event (or the same job when the event changes nothing it shows). */
export function applyEvent(job: JobInfo, e: JobEvent): JobInfo {
  const now = new Date().toISOString();
  switch (e.type) {
    case 'active':
      return { ...job, status: 'running', updatedAt: now };
    case 'progress':
      return {
        ...job,
        status: 'running',
        progress: e.progress,
        detail: e.detail ?? job.detail,
        updatedAt: now,
      };
    case 'done':
      return { ...job, status: 'done', progress: 1, result: e.result, updatedAt: now };
    case 'failed':
      return { ...job, status: 'failed', error: e.error, updatedAt: now };
    case 'cancelled':
      return { ...job, status: 'cancelled', result: e.result ?? job.result, updatedAt: now };
    case 'retrying':
      return { ...job, status: 'queued', error: e.error, updatedAt: now };
    default:
      return job;
  }
}

/** The most recent jobs, kept live from the event stream. */
export function useJobs(limit = 50) {
  const loaded = useLoad(() => api.jobs({ limit }), [limit]);
  const [jobs, setJobs] = useState<JobInfo[]>([]);
  useEffect(() => {
    if (loaded.data) setJobs(loaded.data);
  }, [loaded.data]);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  const reloadSoon = () => {
    // Many events can come at once (progress of a job not listed yet): one reload for them all.
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      loaded.reload();
    }, 250);
  };
  useEffect(() => () => clearTimeout(timer.current), []);
  const current = useRef<JobInfo[]>([]);
  current.current = jobs;
  useEvent('job', (e) => {
    const known = current.current.some((j) => j.id === e.id);
    if (known) setJobs((list) => list.map((j) => (j.id === e.id ? applyEvent(j, e) : j)));
    // A job started elsewhere, or one that ended (the stored record has its final fields).
    if (!known || e.type === 'done' || e.type === 'failed' || e.type === 'cancelled') reloadSoon();
  });
  useEvent('reconnect', () => loaded.reload());
  return { jobs, error: loaded.error, loading: loaded.loading && !loaded.data, reload: loaded.reload };
}

function JobRow({ job, onCancel }: { job: JobInfo; onCancel: (id: string) => void }) {
  const subject = jobSubject(job);
  const active = job.status === 'running' || job.status === 'queued';
  return (
    <li class={`job job-${job.status}`} data-job={job.id} data-kind={job.kind}>
      <div class="job-head">
        <span class="job-kind">{kindText(job.kind)}</span>
        {subject.link ? (
          <a href={subject.link} class="job-subject">
            {subject.text}
          </a>
        ) : (
          <span class="job-subject">{subject.text}</span>
        )}
        <StatusBadge status={job.status} />
        <span class="job-time muted" title={job.updatedAt}>
          {fmtAgo(job.updatedAt)}
        </span>
      </div>
      {job.status === 'running' && (
        <ProgressBar value={job.progress} label={`${kindText(job.kind)} ${subject.text}`} />
      )}
      {((job.detail && job.status === 'running') || active) && (
        <div class="job-foot">
          <span class="job-detail muted">
            {job.status === 'running' ? job.detail : 'waiting for a worker'}
          </span>
          {active && (
            <button type="button" class="btn btn-small btn-secondary" onClick={() => onCancel(job.id)}>
              Cancel
              <span class="visually-hidden">
                {' '}
                {kindText(job.kind)} {subject.text}
              </span>
            </button>
          )}
        </div>
      )}
      {job.error && job.status !== 'done' && <p class="job-error">{job.error}</p>}
    </li>
  );
}

/** Jobs in three groups, as DIGITS' home page: running, queued, done (and failed or cancelled). */
export function JobBoard({ limit = 50 }: { limit?: number }) {
  const { jobs, error, loading } = useJobs(limit);
  const cancelling = useAction();
  const cancel = (id: string) => cancelling.run(() => api.cancelJob(id));
  const groups: [string, string, JobInfo[]][] = [
    ['running', 'Running', jobs.filter((j) => j.status === 'running')],
    ['queued', 'Queued', jobs.filter((j) => j.status === 'queued')],
    ['finished', 'Finished', jobs.filter((j) => j.status !== 'running' && j.status !== 'queued')],
  ];
  return (
    <div class="job-board">
      <ErrorBox error={error ?? cancelling.error} />
      {loading ? (
        <p class="loading">Loading jobs…</p>
      ) : (
        groups.map(([key, title, list]) => (
          <section key={key} class="job-group" aria-labelledby={`jobs-${key}`}>
            <h3 id={`jobs-${key}`}>
              {title} <span class="count">{list.length}</span>
            </h3>
            {list.length === 0 ? (
              <p class="empty">
                {key === 'finished' ? 'No finished jobs yet.' : `No ${title.toLowerCase()} jobs.`}
              </p>
            ) : (
              <ul class="job-list">
                {list.slice(0, key === 'finished' ? 12 : 50).map((j) => (
                  <JobRow key={j.id} job={j} onCancel={cancel} />
                ))}
              </ul>
            )}
          </section>
        ))
      )}
    </div>
  );
}

/** One job, watched from submission to its end; `onEnd` is called once with the final record. */
export function JobWatch({ id, onEnd }: { id: string; onEnd?: (job: JobInfo) => void }) {
  const [job, setJob] = useState<JobInfo>();
  const ended = useRef(false);
  const [error, setError] = useState<string>();
  const finish = (j: JobInfo) => {
    setJob(j);
    if (!ended.current && (j.status === 'done' || j.status === 'failed' || j.status === 'cancelled')) {
      ended.current = true;
      onEnd?.(j);
    }
  };
  useEffect(() => {
    ended.current = false;
    api.job(id).then(finish, (e: unknown) => setError(errorText(e)));
  }, [id]);
  useEvent('job', (e) => {
    if (e.id !== id) return;
    if (e.type === 'done' || e.type === 'failed' || e.type === 'cancelled')
      api.job(id).then(finish, () => job && finish(applyEvent(job, e)));
    else setJob((j) => (j ? applyEvent(j, e) : j));
  });
  useEvent('reconnect', () => api.job(id).then(finish, () => undefined));
  if (error) return <ErrorBox error={error} />;
  if (!job) return <p class="loading">Job {id.slice(0, 8)} submitted…</p>;
  return (
    <div class={`job-watch job-${job.status}`} data-job={job.id} data-status={job.status} aria-live="polite">
      <p class="job-head">
        <span class="job-kind">{kindText(job.kind)}</span> <StatusBadge status={job.status} />
        {job.detail && job.status === 'running' && <span class="muted"> {job.detail}</span>}
      </p>
      {(job.status === 'running' || job.status === 'queued') && (
        <ProgressBar value={job.progress} label={`${kindText(job.kind)} progress`} />
      )}
      {job.error && job.status !== 'done' && (
        <p class="notice notice-error" role="alert">
          {job.error}
        </p>
      )}
    </div>
  );
}
