#!/usr/bin/env bash
# One set-up for a fresh Debian machine, no prompts: the system packages camprint needs (PyTorch
# for the training engine, from Debian, since PyPI is not used), then the npm packages (which
# also builds the TypeScript). Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh $(cat scripts/debian-packages.txt)
npm install --no-audit --no-fund
