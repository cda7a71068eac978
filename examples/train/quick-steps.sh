# What tiny-clip-shapes-quick.sh and tiny-vlm-shapes-quick.sh share, sourced by both (from the
# repository root, after `set -euo pipefail`): the timed progress line, the mix4j build on first use,
# and the data steps that leave a folder already in runs/ as it is (`mix data synth` and
# ShrinkPairs.java are deterministic, so it holds the same files).
start=$(date +%s)
say() { printf '[%5d s] %s\n' $(( $(date +%s) - start )) "$*"; }

./mix --version >/dev/null                     # builds mix4j on first use
CP="mix-cli/target/classes:$(cat mix-cli/target/classpath.txt)"

# synth NAME FLAGS...: runs/NAME from `mix data synth` unless it has its synth.json
synth() { [ -f "runs/$1/synth.json" ] || ./mix data synth --out "runs/$1" "${@:2}"; }
# shrink IN OUT FILES...: runs/IN's pictures of FILES at 64x64 into runs/OUT unless its last FILE is there
shrink() { [ -f "runs/$2/${@: -1}" ] || java -cp "$CP" examples/train/ShrinkPairs.java 64 "runs/$1" "runs/$2" "${@:3}"; }
