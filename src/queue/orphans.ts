/**
 * Jobs left behind by a killed process. The in-process queue runs its jobs in the process that
 * queued them (`camprint serve`, `camprint jobs submit`) and records that process in the store
 * (jobs.worker, util/process-owner.ts). When the process dies without a word (SIGKILL, a power
 * cut) its queued and running jobs would read `queued`/`running` for ever; here, jobs whose
 * process was on this host and is gone are marked failed, saying what happened and what to do.
 *
 * Left alone: jobs of other hosts (whether their process lives cannot be told from here), jobs
 * of the Redis queue (BullMQ hands a dead worker's job to another), and jobs recorded without a
 * worker (before schema version 5).
 */
import type { JobRecord, Store } from '../store/index.js';
import { ownerLabel, ownerState } from '../util/process-owner.js';

/** What to do with a job of this kind that was cut short: submit it again, and what that does. */
function againHint(kind: string): string {
  if (kind === 'train')
    return 'submit it again with resume: true (POST /api/models/<name>/resume, or camprint train --resume) to continue from its last checkpoint';
  if (kind === 'dataset-create') return 'submit it again to resume it (the crops already written are kept)';
  return 'submit it again';
}

/** The error an orphaned job is failed with. */
export function orphanError(job: Pick<JobRecord, 'kind' | 'status' | 'worker'>): string {
  const who = ownerLabel(job.worker ?? '?');
  return job.status === 'running'
    ? `the process that ran it (${who}) ended without finishing it (killed?); ${againHint(job.kind)}`
    : `the process that queued it (${who}) ended before it ran (killed?); ${againHint(job.kind)}`;
}

/**
 * Marks failed the in-process queue's jobs, queued or running, whose process (on this host) is
 * gone; returns them as they are now. Safe to run from several processes at once: the processes
 * are dead, nothing else writes these rows, and each writes the same.
 */
export async function failOrphanedJobs(store: Store): Promise<JobRecord[]> {
  const open = [
    ...(await store.listJobs({ status: 'running' })),
    ...(await store.listJobs({ status: 'queued' })),
  ];
  const failed: JobRecord[] = [];
  for (const job of open) {
    if (job.backend !== 'in-process' || job.worker === undefined) continue;
    if (ownerState(job.worker) !== 'gone') continue;
    failed.push(await store.updateJob(job.id, { status: 'failed', error: orphanError(job) }));
  }
  return failed;
}
