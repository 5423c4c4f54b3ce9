#!/usr/bin/env bash
# The deep-learning acceptance run of the README: 10 simulated camera models (2 units each, one
# JPEG quality for all, so the header is no shortcut), trained on unit 0 of every model and
# tested on unit 1, which training never saw. Usage: bash scripts/experiment-sim10.sh [workdir]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-camprint-sim10}
mkdir -p "$work"
cd "$work"
C="node $root/bin/camprint.js --data-dir store"
time $C simulate sim --models 10 --devices 2 --images 60 --flat 0 --size 512x384 --jpeg-quality 90 --seed 11 > simulate.json
time $C dataset create sim --out ds --classes-from model --split-by device --crop 64 --crops-per-image 32 --json > dataset.json
time $C train --dataset ds --out camnet --network camnet --epochs 15 --batch 64 --json > train.json
time $C evaluate --model camnet --dataset ds --split test --json > evaluate.json
node -e "const e=require('./evaluate.json'); console.log('unseen units: top-1', e.top1, 'top-5', e.top5, 'photos', e.images, 'crop top-1', e.crop.top1)"
