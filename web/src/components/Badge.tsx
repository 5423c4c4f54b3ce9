/** Status and decision badges: a colour and a word, never the colour alone. */
import type { Candidate } from '../api';

const TONE: Record<string, string> = {
  queued: 'neutral',
  running: 'info',
  training: 'info',
  done: 'ok',
  failed: 'bad',
  cancelled: 'warn',
  stopped: 'warn',
  interrupted: 'warn',
};

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${TONE[status] ?? 'neutral'}`}>{status}</span>;
}

export type Decision = 'match' | 'no-match' | 'not-comparable' | 'untested';

export function decisionOf(c: Candidate): Decision {
  if (!c.comparable) return 'not-comparable';
  if (c.pce === null) return 'untested';
  return c.match ? 'match' : 'no-match';
}

const DECISION_TEXT: Record<Decision, [string, string, string]> = {
  match: ['ok', '✔', 'match'],
  'no-match': ['bad', '✘', 'no match'],
  'not-comparable': ['neutral', '–', 'not comparable'],
  untested: ['neutral', '·', 'not tested'],
};

export function DecisionBadge({ decision }: { decision: Decision | string }) {
  const [tone, mark, text] = DECISION_TEXT[decision as Decision] ?? ['neutral', '·', decision];
  return (
    <span class={`badge badge-${tone} decision`} data-decision={decision}>
      <span aria-hidden="true">{mark}</span> {text}
    </span>
  );
}
