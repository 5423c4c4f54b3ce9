/**
 * From each method's per-photo evidence to the experiment's figures: scores and calibration of
 * every CNN and of PCE, and their fusion into one decision, fitted on the validation split and
 * scored on the test split; where the CNN and PCE disagree, who was right and what fusion chose.
 */
import {
  calibrationFigures,
  cnnEvidence,
  fitLogit,
  joinEvidence,
  order,
  pceEvidence,
  posterior,
  scoreFigures,
  type CalibrationFigures,
  type Evidence,
  type Figures,
  type LogitFit,
} from './calibrate.js';
import type { PhotoProbabilities } from './cnn.js';
import type { PhotoPce } from './pce.js';

export interface MethodResult extends Figures {
  method: string;
  /** The fitted calibration (θ) and how the calibrated probabilities fit the test photos. */
  calibration: { fit: LogitFit; test: CalibrationFigures; uncalibratedTest?: CalibrationFigures } | null;
}

export interface Disagreement {
  file: string;
  truth: string;
  cnn: string;
  pce: string;
  fusion: string;
  cnnProbability: number;
  pce1: number | null;
  fusedProbability: number;
}

export interface Agreement {
  photos: number;
  agree: number;
  agreeRight: number;
  agreeWrong: number;
  disagree: number;
  /** Among disagreements: CNN right, PCE right, neither. */
  cnnRight: number;
  pceRight: number;
  neitherRight: number;
  /** Among disagreements: fusion chose the right class. */
  fusionRight: number;
  /** Among disagreements: fusion sided with the CNN, with PCE, or with neither. */
  fusionWithCnn: number;
  fusionWithPce: number;
  list: Disagreement[];
}

export interface PceDecisions {
  threshold: number;
  /** Top-1 above the threshold and right / wrong; top-1 at or below it (no decision). */
  decidedRight: number;
  decidedWrong: number;
  undecided: number;
  /** Photos with any class not comparable (another size). */
  notComparable: number;
}

export interface Analysis {
  methods: MethodResult[];
  fusionCnn: string | null;
  agreement: Agreement | null;
  pceDecisions: PceDecisions | null;
}

export interface AnalysisInput {
  classes: string[];
  /** The data set's sources (class index and file by source index). */
  sources: { file: string; class: number }[];
  cnn: { id: string; val: PhotoProbabilities[]; test: PhotoProbabilities[] }[];
  pce: { val: PhotoPce[]; test: PhotoPce[] } | null;
  fusion: { rule: 'logistic' | 'sum'; cnn?: string; l2: number } | null;
  threshold: number;
}

const truthOf = (sources: AnalysisInput['sources'], src: number) => sources[src].class;

/** Fits on val, scores test: a method's figures from its evidence. */
function method(
  name: string,
  classes: string[],
  val: { truth: number; x: Evidence }[],
  test: { truth: number; x: Evidence; raw: number[] }[],
  l2: number,
  prior: number[],
  uncalibrated?: number[][],
): MethodResult & { probs: number[][]; theta: number[] } {
  const figures = scoreFigures(
    classes,
    test.map((t) => ({ truth: t.truth, scores: t.raw })),
  );
  const fit = fitLogit(
    val.map((v) => v.x),
    val.map((v) => v.truth),
    l2,
    prior,
  );
  const probs = test.map((t) => posterior(t.x, fit.theta));
  const truth = test.map((t) => t.truth);
  return {
    method: name,
    ...figures,
    calibration:
      val.length > 0
        ? {
            fit,
            test: calibrationFigures(probs, truth),
            ...(uncalibrated ? { uncalibratedTest: calibrationFigures(uncalibrated, truth) } : {}),
          }
        : null,
    probs,
    theta: fit.theta,
  };
}

/** PCE scores for ranking: PCE, -Infinity where not comparable. */
const pceScores = (p: PhotoPce) => p.pce.map((v) => (v === null ? -Infinity : v));

export function analyse(input: AnalysisInput): Analysis {
  const { classes, sources } = input;
  const l2 = input.fusion?.l2 ?? 1;
  const methods: MethodResult[] = [];
  const cnnResults = new Map<string, ReturnType<typeof method>>();
  for (const net of input.cnn) {
    const val = net.val.map((p) => ({ truth: truthOf(sources, p.src), x: cnnEvidence(p.p) }));
    const test = net.test.map((p) => ({ truth: truthOf(sources, p.src), x: cnnEvidence(p.p), raw: p.p }));
    const r = method(
      `cnn:${net.id}`,
      classes,
      val,
      test,
      l2,
      [1],
      net.test.map((p) => p.p),
    );
    cnnResults.set(net.id, r);
    methods.push(strip(r));
  }
  let pceResult: ReturnType<typeof method> | undefined;
  let pceDecisions: PceDecisions | null = null;
  if (input.pce) {
    const val = input.pce.val.map((p) => ({ truth: truthOf(sources, p.src), x: pceEvidence(p.pce) }));
    const test = input.pce.test.map((p) => ({
      truth: truthOf(sources, p.src),
      x: pceEvidence(p.pce),
      raw: pceScores(p),
    }));
    pceResult = method('pce', classes, val, test, l2, [0]);
    methods.push(strip(pceResult));
    pceDecisions = {
      threshold: input.threshold,
      decidedRight: 0,
      decidedWrong: 0,
      undecided: 0,
      notComparable: 0,
    };
    for (const p of input.pce.test) {
      const s = pceScores(p);
      const best = order(s)[0];
      if (p.pce.some((v) => v === null)) pceDecisions.notComparable++;
      if (!(s[best] > input.threshold)) pceDecisions.undecided++;
      else if (best === truthOf(sources, p.src)) pceDecisions.decidedRight++;
      else pceDecisions.decidedWrong++;
    }
  }
  let agreement: Agreement | null = null;
  let fusionCnn: string | null = null;
  if (input.fusion && input.pce && input.cnn.length > 0) {
    // Which network: the one named, else the best top-1 on the validation split.
    fusionCnn =
      input.fusion.cnn ??
      input.cnn
        .map((n) => ({
          id: n.id,
          acc: n.val.filter((p) => order(p.p)[0] === truthOf(sources, p.src)).length,
        }))
        .sort((a, b) => b.acc - a.acc)[0].id;
    const net = input.cnn.find((n) => n.id === fusionCnn)!;
    const pceBySrc = (list: PhotoPce[]) => new Map(list.map((p) => [p.src, p]));
    const pVal = pceBySrc(input.pce.val);
    const pTest = pceBySrc(input.pce.test);
    const join = (list: PhotoProbabilities[], pce: Map<number, PhotoPce>) =>
      list
        .filter((p) => pce.has(p.src))
        .map((p) => ({
          src: p.src,
          truth: truthOf(sources, p.src),
          x: joinEvidence(cnnEvidence(p.p), pceEvidence(pce.get(p.src)!.pce)),
          cnn: p.p,
          pce: pce.get(p.src)!,
        }));
    const val = join(net.val, pVal);
    const test = join(net.test, pTest);
    let fused: ReturnType<typeof method>;
    // The sum of the two calibrated log-likelihoods: the fusion itself (rule sum), or the prior
    // mean of the joint fit (rule logistic).
    const sum = [cnnResults.get(net.id)!.theta[0], pceResult!.theta[0]];
    if (input.fusion.rule === 'logistic') {
      // Scores for ranking: the fused log-odds themselves (θ from the validation split).
      const fit = fitLogit(
        val.map((v) => v.x),
        val.map((v) => v.truth),
        l2,
        sum,
      );
      fused = method(
        'fusion',
        classes,
        val,
        test.map((t) => ({ ...t, raw: t.x.map((f) => f[0] * fit.theta[0] + f[1] * fit.theta[1]) })),
        l2,
        sum,
      );
    } else {
      const theta = sum;
      const probs = test.map((t) => posterior(t.x, theta));
      const figures = scoreFigures(
        classes,
        test.map((t, i) => ({ truth: t.truth, scores: probs[i] })),
      );
      const nllVal = val.length
        ? val.reduce((a, v) => a - Math.log(Math.max(posterior(v.x, theta)[v.truth], 1e-300)), 0) / val.length
        : NaN;
      fused = {
        method: 'fusion',
        ...figures,
        calibration: {
          fit: { theta, nll: nllVal, prior: theta, iterations: 0, converged: true, photos: val.length, l2 },
          test: calibrationFigures(
            probs,
            test.map((t) => t.truth),
          ),
        },
        probs,
        theta,
      };
    }
    methods.push(strip(fused));
    agreement = {
      photos: test.length,
      agree: 0,
      agreeRight: 0,
      agreeWrong: 0,
      disagree: 0,
      cnnRight: 0,
      pceRight: 0,
      neitherRight: 0,
      fusionRight: 0,
      fusionWithCnn: 0,
      fusionWithPce: 0,
      list: [],
    };
    test.forEach((t, i) => {
      const a = agreement!;
      const c = order(t.cnn)[0];
      const ps = pceScores(t.pce);
      const p = order(ps)[0];
      const f = order(fused.probs[i])[0];
      if (c === p) {
        a.agree++;
        if (c === t.truth) a.agreeRight++;
        else a.agreeWrong++;
        return;
      }
      a.disagree++;
      if (c === t.truth) a.cnnRight++;
      else if (p === t.truth) a.pceRight++;
      else a.neitherRight++;
      if (f === t.truth) a.fusionRight++;
      if (f === c) a.fusionWithCnn++;
      else if (f === p) a.fusionWithPce++;
      a.list.push({
        file: sources[t.src].file,
        truth: classes[t.truth],
        cnn: classes[c],
        pce: classes[p],
        fusion: classes[f],
        cnnProbability: t.cnn[c],
        pce1: t.pce.pce[p],
        fusedProbability: fused.probs[i][f],
      });
    });
  }
  return { methods, fusionCnn, agreement, pceDecisions };
}

/** A method's result without its per-photo working arrays. */
function strip(r: MethodResult & { probs?: unknown; theta?: unknown }): MethodResult {
  const { probs: _p, theta: _t, ...rest } = r;
  void _p;
  void _t;
  return rest;
}
