/**
 * Trainings cut short without a word. A training records its process in the model's record
 * (models.owner, util/process-owner.ts) and sets the status when it ends; a process killed with
 * SIGKILL (or a power cut) never does, and its model would read `training` for ever. Wherever
 * models are read for people (`camprint models`, the server's model routes and its start) they
 * pass through here: a `training` model whose process was on this host and is gone becomes
 * `interrupted`, with an error saying so and how to continue. Models trained on another host are
 * left as they are (whether that process lives cannot be told from here).
 */
import type { ModelRecord, Store } from '../store/index.js';
import { InputError } from '../util/errors.js';
import { ownerLabel, ownerState } from '../util/process-owner.js';

/** The error an interrupted model is given. */
export function interruptedError(m: Pick<ModelRecord, 'name' | 'owner' | 'epochs'>): string {
  return (
    `the process that trained it (${ownerLabel(m.owner ?? '?')}) ended without finishing (killed?) after ` +
    `${m.epochs} epoch${m.epochs === 1 ? '' : 's'}; resume it to continue from its last checkpoint ` +
    `(camprint train --resume, or POST /api/models/${m.name}/resume)`
  );
}

/**
 * The model as it stands: one whose training process is gone is marked interrupted in the store
 * (only if no other process changed it meanwhile) and returned so; any other as it is.
 */
export async function checkInterrupted(store: Store, m: ModelRecord): Promise<ModelRecord> {
  if (m.status !== 'training' || m.owner === null || ownerState(m.owner) !== 'gone') return m;
  try {
    return await store.updateModel(
      m.name,
      { status: 'interrupted', error: interruptedError(m) },
      { expect: { status: 'training', owner: m.owner } },
    );
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    // Resumed (or deleted) by another process meanwhile: what the store holds now is the answer.
    return (await store.getModel(m.name)) ?? m;
  }
}

/** Every model, sorted by name, the interrupted ones marked (see checkInterrupted). */
export async function listModelsChecked(store: Store): Promise<ModelRecord[]> {
  const out: ModelRecord[] = [];
  for (const m of await store.listModels()) out.push(await checkInterrupted(store, m));
  return out;
}

/** One model, checked (see checkInterrupted); undefined when there is none. */
export async function getModelChecked(store: Store, name: string): Promise<ModelRecord | undefined> {
  const m = await store.getModel(name);
  return m && checkInterrupted(store, m);
}
