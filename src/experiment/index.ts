/**
 * experiment/: declarative experiments (`camprint experiment <spec>`): a YAML or JSON spec names
 * the photos (simulated cameras or a folder), the classes, the split, the crops, the networks and
 * their solver, and the methods (cnn, pce, fusion); `runExperiment` runs it end to end through the
 * existing services (sim, dl, services), each step resumable, into one results folder:
 * results.json, results.md, confusion matrices, curves and a reliability diagram (SVG), and
 * config.json (the resolved spec, versions, data hashes). Shipped specs: experiments/.
 */
export { loadSpec, checkSpec, deepMerge, METHODS } from './spec.js';
export type { ExperimentSpec, NetworkSettings, Method } from './spec.js';
export { runExperiment, defaultOut } from './run.js';
export type { RunOptions, RunResult } from './run.js';
export type { ExperimentResults } from './report.js';
export { resultsMarkdown } from './report.js';
export { fitLogit, posterior, scoreFigures, calibrationFigures } from './calibrate.js';
export type { LogitFit, Figures, CalibrationFigures } from './calibrate.js';
export { analyse } from './fusion.js';
export type { Analysis, Agreement, MethodResult } from './fusion.js';
export { Steps, hashOf, stableStringify } from './steps.js';
