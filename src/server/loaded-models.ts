/** Trained models by store name, loaded once (ONNX sessions) and again when their file changes. */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { getModelChecked, loadModel, type LoadedModel } from '../dl/index.js';
import type { ModelRecord, Store } from '../store/index.js';
import { InputError } from '../util/errors.js';
import { notFound } from './errors.js';

const loaded = new Map<string, { stamp: string; model: Promise<LoadedModel> }>();

/** The store's record of a model (a killed training's marked interrupted, dl/interrupted.ts), or 404. */
export async function modelRecord(store: Store, name: string): Promise<ModelRecord> {
  const m = await getModelChecked(store, name);
  if (!m) throw notFound(`no model named ${JSON.stringify(name)}`);
  return m;
}

/** The trained network of a stored model, ready to classify (InputError while it has none). */
export async function loadStoredModel(store: Store, name: string): Promise<LoadedModel> {
  const record = await modelRecord(store, name);
  let stamp: string;
  try {
    const st = statSync(join(record.path, 'model.onnx'));
    stamp = `${record.path}:${st.mtimeMs}:${st.size}`;
  } catch {
    throw new InputError(
      `model ${name}: no trained network yet (status ${record.status}; training exports model.onnx)`,
    );
  }
  const hit = loaded.get(name);
  if (hit && hit.stamp === stamp) return hit.model;
  const model = loadModel(record.path);
  loaded.set(name, { stamp, model });
  model.catch(() => loaded.delete(name));
  return model;
}
