#!/usr/bin/env bash
# Blind clustering on simulated cameras (docs/clustering.md): 5 models × 4 units × 25 natural
# photos at 512×384 (units of one model differ only by their PRNU), clustered with no camera and
# no cluster count, scored against the simulator's cameras.json; first over PRNU strengths, then
# 200 / 500 / 1000 / 2000 photos for the time. Usage: bash scripts/experiment-cluster.sh [workdir] [part]
# (part: all, strength, plain, size or scale; default all).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-camprint-cluster}
part=${2:-all}
mkdir -p "$work"
cd "$work"
C="node $root/bin/camprint.js"

# one row of the summary table from a cluster --json result
row() {
  node -e '
    const d = require(process.argv[1]);
    const s = d.scores, a = d.attainable;
    console.log([process.argv[2], d.photos, s.ari.toFixed(4), s.precision.toFixed(4), s.recall.toFixed(4),
      `${s.clusters} (${d.singletons} single) / ${s.classes}`, `${a.reach}/${a.photos}`,
      d.threshold.z.toFixed(2), d.threshold.sigma0.toFixed(3),
      d.timings.residuals.toFixed(1), d.timings.correlations.toFixed(1), d.seconds.toFixed(1)].join(" | "));
  ' "$PWD/$1" "$2"
}
header='run | photos | ARI | precision | recall | clusters / sources | reach τ | τ | σ0 | residuals s | NCC s | total s'

sim() { # name models scale size
  [ -f "$1/cameras.json" ] || $C simulate "$1" --models "$2" --devices 4 --images 25 --flat 0 \
    --size "$4" --prnu-scale "$3" --seed 5 --json > /dev/null
}

uptime
if [ "$part" = all ] || [ "$part" = strength ]; then
  echo "$header"
  for s in 0.3 0.45 0.6 0.8 1.0; do
    sim "s$s" 5 "$s" 512x384
    $C cluster "s$s" --truth "s$s" --json --out "cluster-s$s.json" > /dev/null
    row "cluster-s$s.json" "512x384 prnu-scale $s"
  done
fi
if [ "$part" = all ] || [ "$part" = plain ]; then
  sim s0.8 5 0.8 512x384
  $C cluster s0.8 --truth s0.8 --no-weighting --json > cluster-s0.8-plain.json
  row cluster-s0.8-plain.json "512x384 prnu-scale 0.8, plain residual (--no-weighting)"
fi
if [ "$part" = all ] || [ "$part" = size ]; then
  sim big0.3 5 0.3 1024x768
  for crop in 512 768; do
    $C cluster big0.3 --truth big0.3 --crop "$crop" --json > "cluster-big0.3-$crop.json"
    row "cluster-big0.3-$crop.json" "1024x768 prnu-scale 0.3, --crop $crop"
  done
fi
if [ "$part" = all ] || [ "$part" = scale ]; then
  echo "$header"
  for m in 2 5 10 20; do
    sim "n$m" "$m" 0.8 512x384
    $C cluster "n$m" --truth "n$m" --json > "cluster-n$m.json"
    row "cluster-n$m.json" "512x384 prnu-scale 0.8, $((m * 4)) units"
  done
fi
uptime
