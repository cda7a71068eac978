#!/usr/bin/env bash
# The tiny text-to-image model in one go, from random weights but the shipped CLIP's text tower: the
# data (one-shape scenes drawn upright at 64 x 64, those whose shape is large and near the middle
# kept), the init folder (its UNet without attention at the 16 x 16 level, so a step is cheaper),
# then three recipes (tiny-sd-shapes-quick-vae.yaml: the VAE; tiny-sd-shapes-quick-unet.yaml: the
# UNet; tiny-sd-shapes-quick-average.yaml: the UNet at a constant rate, its average written), each
# step timed. The shipped examples/models/tiny-sd-shapes took a VAE and four UNet stages on scenes of
# every size and place (docs/training.md). From the repository root:
#   bash examples/train/tiny-sd-shapes-quick.sh
# then measure it as the shipped model is measured:
#   mvn -B test -pl examples -am -Dtest=TinySdShapesTest -Dsurefire.failIfNoSpecifiedTests=false -Dshapes.sd=../runs/tiny-sd-shapes-quick-average/pipeline.yaml
# or draw with it:
#   ./mix generate --model runs/tiny-sd-shapes-quick-average --prompt "a green triangle" -o green-triangle.png
# Everything goes under runs/; a data folder already there (the same files: `mix data synth` is
# deterministic) is used as it is.
set -euo pipefail
cd "$(dirname "$0")/../.."
source examples/train/quick-steps.sh           # say, synth; builds mix4j on first use

say "scenes: 120,000 of one upright shape at 64 x 64 px on plain backgrounds, 2,000 held out; the large, centred ones kept"
FLAGS="--max-shapes 1 --min-size 64 --max-size 64 --textured 0 --jpeg 0 --tilt 0"
synth sd-upright --count 120000 --seed 21 $FLAGS
synth sd-upright-eval --count 2000 --seed 22 $FLAGS
python3 examples/train/centred_captions.py runs/sd-upright 0.3 0.065 runs/sd-upright/captions-centred.jsonl
python3 examples/train/centred_captions.py runs/sd-upright-eval 0.3 0.065 runs/sd-upright-eval/captions-centred.jsonl

say "init: random VAE and UNet (no attention at its 16 x 16 level), the shipped CLIP's text tower, a velocity schedule"
java -cp "$CP" examples/train/MakeTinySdShapes.java runs/tiny-sd-shapes-quick-init --velocity --light

# train RECIPE OUTPUT: one run, resumed once from its last saved state if it stops with an error (a VAE
# run stopped once on a non-finite gradient at step 601 and went on when resumed from step 600's state);
# a second stop ends the script
train() { ./mix train "$1" || { say "resuming $2 from its last state"; ./mix train "$1" --resume "$2/state"; }; }
say "training 1 of 3: the VAE"
train examples/train/tiny-sd-shapes-quick-vae.yaml runs/tiny-sd-shapes-quick-vae
say "training 2 of 3: the UNet"
train examples/train/tiny-sd-shapes-quick-unet.yaml runs/tiny-sd-shapes-quick
say "training 3 of 3: the UNet's average"
train examples/train/tiny-sd-shapes-quick-average.yaml runs/tiny-sd-shapes-quick-average
say "done: runs/tiny-sd-shapes-quick-average (pipeline runs/tiny-sd-shapes-quick-average/pipeline.yaml)"
