#!/usr/bin/env bash
# CNN vs PCE on the four Dresden Nikon units (../shared/data/dresden-nikon), same photo split:
# a device-level data set of flat + natural photos (75/10/15 by photo), camnet trained on it, and
# for PCE, each unit's fingerprint built from its training photos, tested on the same test photos.
# Usage: bash scripts/experiment-dresden.sh [workdir]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${CAMPRINT_SHARED:-$root/../shared}/data/dresden-nikon
work=${1:-camprint-dresden}
mkdir -p "$work"
cd "$work"
C="node $root/bin/camprint.js --data-dir store"
for f in "$data"/*/*/*.JPG; do printf '%s\t%s\n' "$f" "$(basename "$(dirname "$f")")"; done > photos.tsv
time $C dataset create --list photos.tsv --out ds --crop 64 --crops-per-image 32 --seed 3 --json > dataset.json
time $C train --dataset ds --out camnet --epochs 20 --batch 64 --json > train.json
$C evaluate --model camnet --dataset ds --json > evaluate.json
# PCE on the same split: fingerprints from each unit's training photos, the test photos matched.
node -e '
const m = require("./ds/manifest.json");
const fs = require("fs");
for (const c of m.classes) fs.writeFileSync(`train-${c}.txt`, m.sources.filter((s) => m.classes[s.class] === c && s.split === "train").map((s) => s.file).join("\n"));
fs.writeFileSync("test.tsv", m.sources.filter((s) => s.split === "test").map((s) => `${s.file}\t${m.classes[s.class]}\n`).join(""));
'
for c in $(node -e 'console.log(require("./ds/manifest.json").classes.join(" "))'); do
  $C fingerprint build $(cat "train-$c.txt") --camera "$c" --json > "fingerprint-$c.json"
done
correct=0; total=0
while IFS=$'\t' read -r file truth; do
  best=$($C identify "$file" --top 1 --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const c=JSON.parse(s).candidates[0];console.log(c.match?c.camera:"none")})')
  total=$((total+1)); [ "$best" = "$truth" ] && correct=$((correct+1))
  echo "$(basename "$file") truth=$truth pce-top1=$best"
done < test.tsv
echo "PCE: $correct/$total test photos identified"
node -e "const e=require('./evaluate.json'); console.log('CNN: top-1', e.top1, 'over', e.images, 'test photos; per crop', e.crop.top1)"
