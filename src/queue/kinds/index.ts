/**
 * The job kinds this build knows: one import per file that registers kinds. Every process that
 * submits or runs jobs imports this (through queue/index.ts). Add a line here for a new file.
 */
import './residual.js';
import './fingerprint-build.js';
import '../../search/jobs.js';
import '../../cluster/jobs.js';
import './dataset-create.js';
import './train.js';
import './evaluate.js';
