/**
 * dl/: the deep-learning workbench — data sets of noise patterns (dataset/), the PyTorch engine's
 * client (engine.ts, train.ts; interrupted.ts: a killed training's model reads interrupted), ONNX inference in TypeScript (model.ts, evaluate.ts, classify.ts)
 * and plots (plots.ts). Formats: docs/dl-format.md.
 */
export {
  checkEngine,
  listNetworks,
  runEngine,
  pythonPath,
  type EngineEvent,
  type EngineRun,
  type NetworkList,
} from './engine.js';
export { startTraining, writePlots, type TrainOptions, type TrainResult } from './train.js';
export { checkInterrupted, getModelChecked, listModelsChecked, interruptedError } from './interrupted.js';
export { loadModel, predictCrops, topK, type LoadedModel, type ModelInfo } from './model.js';
export { evaluate, checkCompatible, type Evaluation, type Split } from './evaluate.js';
export { evaluateAndRecord, type EvaluateOptions } from './evaluate-record.js';
export { classifyFile, type Classification, type ClassifyOptions } from './classify.js';
export { renderSvg, svgToPng, curvesSpec, confusionSpec, type EpochPoint } from './plots.js';
