/**
 * sim/: synthetic cameras for demos, tests and training data. Each model has its own colour
 * filter array, demosaicing, colour rendering, tone curve, sharpening and JPEG settings; each
 * device of a model has its own PRNU (and optional defective pixels). Deterministic by seed.
 */
export { simulate, MANIFEST_FILE } from './simulate.js';
export type { SimulatedCamera, SimulationResult, SimulationManifest } from './simulate.js';
export { SIMULATE_DEFAULTS, parseSize, validateSimulateOptions } from './options.js';
export type { SimulateOptions } from './options.js';
export { devicePrnu, deviceParams, modelParams, modelName } from './camera.js';
export type { ModelParams, DeviceParams, ChromaSubsampling } from './camera.js';
export type { DefectPixel } from './sensor.js';
export type { CfaPattern } from './cfa.js';
export type { DemosaicAlgorithm } from './demosaic.js';
