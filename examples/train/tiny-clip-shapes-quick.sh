#!/usr/bin/env bash
# A tiny CLIP for the shapes scenes from nothing in one go: the data, then two recipes
# (tiny-clip-shapes-quick-patches.yaml, tiny-clip-shapes-quick.yaml), each step timed. The shipped
# examples/models/tiny-clip-shapes took four stages and the VLM's tower (docs/training.md); this path
# takes random weights to a CLIP for the same tests in well under an hour on 2 cores. From the
# repository root:
#   bash examples/train/tiny-clip-shapes-quick.sh
# then measure it as the shipped model is measured:
#   mvn -B test -pl examples -am -Dtest=TinyClipShapesTest -Dsurefire.failIfNoSpecifiedTests=false -Dshapes.clip=../runs/tiny-clip-shapes-quick/pipeline.yaml
# Everything goes under runs/; a data folder already there (the other CLIP recipes' data, the same
# files: `mix data synth` is deterministic) is used as it is.
set -euo pipefail
cd "$(dirname "$0")/../.."
source examples/train/quick-steps.sh           # say, synth, shrink; builds mix4j on first use

say "initial weights and tokenizer"
[ -f runs/tiny-clip-shapes-init/model.safetensors ] || java examples/train/MakeTinyClipShapes.java runs/tiny-clip-shapes-init

say "scenes: 4000 of 1-3 shapes, 20,000 of one, 10,000 more of 1-3, 200 held out"
synth shapes-train --count 4000 --seed 0
synth shapes-single --count 20000 --seed 11 --max-shapes 1
synth shapes-more --count 10000 --seed 21
synth shapes-eval --count 200 --seed 1

say "pictures shrunk to 64 px, short captions, main-shape and patch labels"
shrink shapes-train shapes-train-64 captions.jsonl captions-zh.jsonl
shrink shapes-single shapes-single-64 captions.jsonl
shrink shapes-more shapes-more-64 captions.jsonl captions-zh.jsonl
shrink shapes-eval shapes-eval-64 captions.jsonl captions-zh.jsonl
for d in shapes-train shapes-single shapes-more; do
  python3 examples/train/short_captions.py "runs/$d/scenes.jsonl" "runs/$d-64"
done
prefixed() { sed "s#\"image\":\"#\"image\":\"$1/#" "${@:2}"; }
{ prefixed shapes-train-64 runs/shapes-train-64/{captions,captions-zh,captions-short,captions-short-zh}.jsonl
  prefixed shapes-single-64 runs/shapes-single-64/{captions-short,captions-short-zh}.jsonl
  prefixed shapes-more-64 runs/shapes-more-64/{captions,captions-zh,captions-short,captions-short-zh}.jsonl
} > runs/clip-shapes-quick-pairs.jsonl
python3 examples/train/main_shape_labels.py runs/clip-shapes-quick-pairs.jsonl runs/clip-shapes-quick.jsonl \
  shapes-train-64/=runs/shapes-train/scenes.jsonl shapes-single-64/=runs/shapes-single/scenes.jsonl \
  shapes-more-64/=runs/shapes-more/scenes.jsonl
python3 examples/train/main_shape_labels.py runs/shapes-eval-64/captions.jsonl runs/shapes-eval-64/captions-main.jsonl \
  =runs/shapes-eval/scenes.jsonl
for d in shapes-train shapes-single shapes-eval; do
  python3 examples/train/patch_labels.py "runs/$d/scenes.jsonl" "runs/$d-64/patch-labels.jsonl" 8
done
{ prefixed shapes-train-64 runs/shapes-train-64/patch-labels.jsonl
  prefixed shapes-single-64 runs/shapes-single-64/patch-labels.jsonl
} > runs/tower-patch-train.jsonl

# one engine thread a training: faster than two when anything else shares the cores (docs/training.md)
say "training 1 of 2: every patch of the vision tower told what it covers"
MIX_THREADS=1 ./mix train examples/train/tiny-clip-shapes-quick-patches.yaml
say "training 2 of 2: both towers on the captions, pictures of one main shape each other's matches"
MIX_THREADS=1 ./mix train examples/train/tiny-clip-shapes-quick.yaml
say "done: runs/tiny-clip-shapes-quick (pipeline runs/tiny-clip-shapes-quick/pipeline.yaml)"
