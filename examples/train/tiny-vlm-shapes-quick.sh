#!/usr/bin/env bash
# The tiny VLM for the shapes scenes in one go, on the shipped tiny CLIP's vision tower: the data,
# then two recipes (tiny-vlm-shapes-quick.yaml: projector and decoder from random weights on
# conversations of several questions about one picture; tiny-vlm-shapes-quick-colour-where.yaml:
# the questions about one named shape on their own), each step timed. The shipped examples/models/tiny-vlm-shapes took
# four stages (docs/training.md). From the repository root:
#   bash examples/train/tiny-vlm-shapes-quick.sh
# then measure it as the shipped model is measured:
#   mvn -B test -pl examples -am -Dtest=TinyVlmShapesTest -Dsurefire.failIfNoSpecifiedTests=false -Dshapes.vlm=../runs/tiny-vlm-shapes-quick-colour-where/pipeline.yaml
# Everything goes under runs/; a data folder already there (the other recipes' data, the same
# files: `mix data synth` is deterministic) is used as it is.
set -euo pipefail
cd "$(dirname "$0")/../.."
source examples/train/quick-steps.sh           # say, synth, shrink; builds mix4j on first use

say "scenes: 20,000 of 1-3 shapes, 200 held out"
synth vlm-big --count 20000 --seed 11
synth shapes-eval --count 200 --seed 1

say "pictures shrunk to 64 px, questions regrouped into conversations, those about one named shape apart"
shrink vlm-big vlm-big-64 llava-captions.jsonl llava-captions-zh.jsonl llava-vqa.jsonl llava-vqa-zh.jsonl
shrink shapes-eval shapes-eval-64 llava-vqa.jsonl llava-vqa-zh.jsonl
V=runs/vlm-big-64 E=runs/shapes-eval-64
grep -h '"kind":"shapes"' $E/llava-vqa.jsonl $E/llava-vqa-zh.jsonl > $E/shapes-eval.jsonl
python3 examples/train/multi_turn.py examples/models/tiny-vlm-shapes/tokenizer.json $V/multi-turn.jsonl \
  $V/llava-captions.jsonl $V/llava-captions-zh.jsonl $V/llava-vqa.jsonl $V/llava-vqa-zh.jsonl
grep -hE '"kind":"(colour|where)"' $V/llava-vqa.jsonl $V/llava-vqa-zh.jsonl > $V/colour-where.jsonl
grep -hvE '"kind":"(colour|where)"' $V/llava-captions.jsonl $V/llava-captions-zh.jsonl $V/llava-vqa.jsonl \
  $V/llava-vqa-zh.jsonl > $V/not-colour-where.jsonl
./mix data sample --count 40000 --seed 0 $V/not-colour-where.jsonl $V/not-colour-where-40k.jsonl
cat $V/colour-where.jsonl $V/not-colour-where-40k.jsonl > $V/colour-where-mix.jsonl
# held out for step 2 (as stage 3's): the colour questions about the scenes of 2-3 shapes
grep -h '"kind":"colour"' $E/llava-vqa.jsonl $E/llava-vqa-zh.jsonl \
  | grep -v -f <(grep -v '},{' runs/shapes-eval/scenes.jsonl | sed 's/^{"id":"\([^"]*\)".*/"\1-/') > $E/colour-multi-eval.jsonl

# one engine thread a training: faster than two when anything else shares the cores (docs/training.md)
say "training 1 of 2: the shipped CLIP's tower, a random projector and decoder, several questions a picture"
MIX_THREADS=1 ./mix train examples/train/tiny-vlm-shapes-quick.yaml
say "training 2 of 2: the colour and where questions on their own"
MIX_THREADS=1 ./mix train examples/train/tiny-vlm-shapes-quick-colour-where.yaml
say "done: runs/tiny-vlm-shapes-quick-colour-where (pipeline runs/tiny-vlm-shapes-quick-colour-where/pipeline.yaml)"
