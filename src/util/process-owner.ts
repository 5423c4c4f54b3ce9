/**
 * Who runs a job or a training, recorded in the store so that a process killed without a word
 * (SIGKILL, a power cut) can be told from one still at work.
 *
 * An owner is `host:pid:start`: the host name, the process id and the process's start time in
 * clock ticks since boot (`/proc/<pid>/stat`, field 22), which tells a reused pid apart; where
 * /proc cannot be read it is `host:pid`. Only owners on this host can be checked: whether a
 * process on another machine lives cannot be told from here.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface ProcessOwner {
  host: string;
  pid: number;
  /** Start time in clock ticks since boot; undefined where it was not recorded. */
  start?: string;
}

/** What is known of a recorded owner: alive, gone, or unknown (another host, or not an owner). */
export type OwnerState = 'alive' | 'gone' | 'unknown';

/** A process's state letter and start time from /proc/<pid>/stat, or undefined where it cannot be read. */
function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2, the command name, is in parentheses and may hold spaces and parentheses itself.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [state, start] = [fields[0], fields[19]];
    return state && /^\d+$/.test(start ?? '') ? { state, start } : undefined;
  } catch {
    return undefined;
  }
}

export function formatOwner(o: ProcessOwner): string {
  return o.start === undefined ? `${o.host}:${o.pid}` : `${o.host}:${o.pid}:${o.start}`;
}

/** `host:pid[:start]` as a ProcessOwner, or undefined when the text is not one. */
export function parseOwner(text: string): ProcessOwner | undefined {
  const m = /^([^:\s]+):(\d+)(?::(\d+))?$/.exec(text);
  if (!m) return undefined;
  const pid = Number(m[2]);
  if (!Number.isSafeInteger(pid) || pid < 1) return undefined;
  return m[3] === undefined ? { host: m[1], pid } : { host: m[1], pid, start: m[3] };
}

/** A running process of this host as an owner (its start time read now). */
export function processOwner(pid: number): string {
  return formatOwner({ host: hostname(), pid, start: procStat(pid)?.start });
}

let self: string | undefined;

/** This process as an owner. */
export function thisProcess(): string {
  self ??= processOwner(process.pid);
  return self;
}

/** An owner as people read it: `host:pid` (the start time left out); other text as it is. */
export function ownerLabel(text: string): string {
  const o = parseOwner(text);
  return o ? `${o.host}:${o.pid}` : text;
}

/**
 * Whether the recorded owner still runs: gone when its pid is free, belongs to a zombie, or to a
 * process started at another time (the pid was reused); unknown for another host's.
 */
export function ownerState(text: string): OwnerState {
  const o = parseOwner(text);
  if (!o || o.host !== hostname()) return 'unknown';
  try {
    process.kill(o.pid, 0);
  } catch (err) {
    // EPERM: it exists, under another user.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return 'gone';
  }
  const now = procStat(o.pid);
  if (now === undefined) return 'alive'; // no /proc: the signal said it exists
  if (now.state === 'Z' || now.state === 'X') return 'gone';
  return o.start === undefined || o.start === now.start ? 'alive' : 'gone';
}
