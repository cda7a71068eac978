"""Colour questions as text, for teaching a small decoder to bind a colour to a kind before it sees pictures.

    python3 examples/train/text_colour_questions.py runs/text-colour.jsonl 100000 5

writes COUNT samples (seed SEED) of made-up scenes of two or three shapes in mix data synth's words,
the scene as its English caption followed by a question about one shape:

    {"kind": "colour", "conversations": [{"from": "human", "value": "a yellow triangle, a red circle and
     a blue square on a green background What colour is the circle?"}, {"from": "gpt", "value": "red"}]}

(LLaVA-format conversations without an image, which `mix train` reads for a task: text pipeline and
`mix eval --answers` measures). The kinds of a scene differ; the background is none of its colours.
"""
import json
import random
import sys

COLOURS = ["red", "green", "blue", "yellow", "orange", "purple", "black", "white"]
KINDS = ["circle", "square", "triangle", "star", "ring"]


def article(word):
    return "an" if word[0] in "aeiou" else "a"


def main(out, count, seed):
    rng = random.Random(seed)
    with open(out, "w", encoding="utf-8") as f:
        for _ in range(count):
            kinds = rng.sample(KINDS, rng.choice([2, 3]))
            colours = [rng.choice(COLOURS) for _ in kinds]
            background = rng.choice([c for c in COLOURS if c not in colours])
            parts = [f"{article(c)} {c} {k}" for c, k in zip(colours, kinds)]
            caption = ", ".join(parts[:-1]) + " and " + parts[-1]
            asked = rng.randrange(len(kinds))
            question = f"{caption} on {article(background)} {background} background What colour is the {kinds[asked]}?"
            f.write(json.dumps({"kind": "colour", "conversations": [{"from": "human", "value": question},
                                                                   {"from": "gpt", "value": colours[asked]}]}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
