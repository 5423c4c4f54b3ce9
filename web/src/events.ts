/**
 * The server's event stream (GET /api/events), read with fetch so that the Authorization header
 * can be sent (EventSource cannot). One connection for the whole app; listeners subscribe by event
 * name. It reconnects after a drop, and tells listeners (`reconnect`) so that they can refetch what
 * they may have missed.
 */
import { authFetch, tokenChanged } from './api';
import type { EpochPoint, JobEvent } from './api';

export interface EventMap {
  job: JobEvent;
  model: { name: string; jobId?: string; point: EpochPoint };
  ping: unknown;
  /** Not from the server: the stream connected again after a drop (events may have been missed). */
  reconnect: null;
}

type Listener<K extends keyof EventMap> = (data: EventMap[K]) => void;

const listeners = new Map<keyof EventMap, Set<Listener<never>>>();
let started = false;
let connected = false;
let connections = 0;

export function isConnected(): boolean {
  return connected;
}

/** Calls `fn` for each event named `name`; returns the function that stops it. */
export function onEvent<K extends keyof EventMap>(name: K, fn: Listener<K>): () => void {
  let set = listeners.get(name);
  if (!set) listeners.set(name, (set = new Set()));
  set.add(fn as Listener<never>);
  start();
  return () => set.delete(fn as Listener<never>);
}

function emit(name: string, data: unknown): void {
  const set = listeners.get(name as keyof EventMap);
  if (!set) return;
  for (const fn of [...set]) {
    try {
      (fn as (d: unknown) => void)(data);
    } catch (e) {
      console.warn(`event listener for ${name} failed`, e);
    }
  }
}

/** Parses one SSE block (lines up to a blank line). */
function dispatch(block: string): void {
  let name = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'event') name = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.join('\n'));
  } catch {
    parsed = data.join('\n');
  }
  emit(name, parsed);
}

async function connect(): Promise<void> {
  const res = await authFetch('/api/events', { headers: { Accept: 'text/event-stream' }, cache: 'no-store' });
  if (res.status === 401) {
    // No (right) token and the person declined to give one: wait for one rather than ask again.
    await tokenChanged();
    return;
  }
  if (!res.ok || !res.body) throw new Error(`event stream: ${res.status}`);
  connected = true;
  if (connections++ > 0) emit('reconnect', null);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n?/g, '\n');
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        dispatch(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
      }
    }
  } finally {
    connected = false;
  }
}

function start(): void {
  if (started) return;
  started = true;
  const loop = async () => {
    let delay = 1000;
    while (true) {
      const t0 = Date.now();
      try {
        await connect();
      } catch {
        // dropped or refused: try again shortly
      }
      if (Date.now() - t0 > 30_000) delay = 1000;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15_000);
    }
  };
  void loop();
}
