#!/usr/bin/env python3
"""Regroup one-question LLaVA samples into conversations of several turns about one picture.

Every sample of the inputs asks one question about its picture, so a training step spends most of
its work on the picture's 64 tokens and little on the answer. This script gathers the samples of
each picture and language (a question with a Han character is Chinese) and shuffles them with a
seed. A sample whose answer names every shape (its "kind" is "caption" or "shapes") gets a
conversation of its own: it ends it, or (one time in --first) opens it and only "where" questions
follow, so that no question can be answered by reading an earlier answer instead of the picture (a
colour answer may still tell a later yes/no question something). Each other sample joins the
conversation of its picture with the most room left where it fits (and where a "where" question
alone may follow an opening answer), or starts a new one. Room is --max-tokens tokens of the
word-level tokenizer given: the picture counts --image-tokens, the chat template's <|startoftext|>,
<|user|>, <|assistant|> and <|endoftext|> count too. The picture's <image> stays in the first
question only. Each output line has the picture's "image" and an "id": the first sample's id,
"+", and how many turns follow it; lines come in the order pictures first appear in.

  python3 examples/train/multi_turn.py TOKENIZER.json OUT.jsonl IN.jsonl [IN.jsonl ...] \\
      [--max-tokens 128] [--image-tokens 64] [--seed 0] [--first 3]

Fails, naming the file and line, on a sample that is not a single question and answer, and on one
that alone does not fit.
"""
import argparse
import json
import random
import re
import sys
import unicodedata

REVEALING = {"caption", "shapes"}
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def splitter(tokenizer_path):
    """The tokenizer's pre-tokenizer: NFKC, lowercase, whitespace, then its Split regex (Isolated)."""
    with open(tokenizer_path, encoding="utf-8") as f:
        tok = json.load(f)
    pattern = None
    for p in tok["pre_tokenizer"].get("pretokenizers", []):
        if p["type"] == "Split":
            pattern = p["pattern"]["Regex"]
    if pattern is None:
        sys.exit(f"{tokenizer_path}: no Split pre-tokenizer (this script counts word-level tokenizers only)")
    # Python's re has no \p{..}: the Han block and "not a letter, digit or space" written out
    pattern = pattern.replace(r"\p{Han}", r"[\u3400-\u4dbf\u4e00-\u9fff]")
    pattern = pattern.replace(r"[^\p{L}\p{N}\s]", r"[^\w\s]|_")
    isolated = re.compile(pattern)

    def count(text):
        text = unicodedata.normalize("NFKC", text).lower()
        n = 0
        for word in text.split():
            pos = 0
            for m in isolated.finditer(word):
                n += (m.start() > pos) + 1
                pos = m.end()
            n += pos < len(word)
        return n

    return count


def read(paths):
    groups = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line_no, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    s = json.loads(line)
                except json.JSONDecodeError as e:
                    sys.exit(f"{path}:{line_no}: not JSON: {e}")
                turns = s.get("conversations") if isinstance(s, dict) else None
                if (not isinstance(turns, list) or len(turns) != 2 or not isinstance(s.get("image"), str)
                        or [t.get("from") for t in turns] != ["human", "gpt"]):
                    sys.exit(f"{path}:{line_no}: expected an \"image\" and one human question and one gpt answer")
                question = turns[0]["value"].replace("<image>", "").strip()
                key = (s["image"], bool(HAN.search(question)))
                groups.setdefault(key, []).append((s["id"], question, turns[1]["value"], f"{path}:{line_no}",
                                                   s.get("kind")))
    return groups


def pack(groups, count, max_tokens, image_tokens, seed, first):
    """Each picture's caption and "which shapes" answers end a conversation each, or, one time in
    `first`, open one that only "where" questions follow (their answers do not name a colour or a
    kind); the other questions, shuffled, go to the conversation with the most room left where they
    fit, or start a new one."""
    rng = random.Random(seed)
    out = []
    for (image, _), samples in groups.items():
        rng.shuffle(samples)
        convs = []  # [tokens used, the revealing one or None, is it first, questions]
        for sample in [s for s in samples if s[4] in REVEALING] + [s for s in samples if s[4] not in REVEALING]:
            sample_id, question, answer, where, kind = sample
            # <|user|> [<image>] question <|assistant|> answer <|endoftext|>
            cost = 3 + count(question) + count(answer)
            if 1 + image_tokens + cost > max_tokens:
                sys.exit(f"{where}: {1 + image_tokens + cost} tokens alone, over --max-tokens {max_tokens}")
            if kind in REVEALING:
                convs.append([1 + image_tokens + cost, (sample_id, question, answer), rng.random() * first < 1, []])
                continue
            room = [c for c in convs if c[0] + cost <= max_tokens and (not c[2] or kind == "where")]
            if room:
                conv = min(room, key=lambda c: c[0])
            else:
                conv = [1 + image_tokens, None, False, []]
                convs.append(conv)
            conv[0] += cost
            conv[3].append((sample_id, question, answer))
        for _, revealing, opens, questions in convs:
            if revealing is None:
                out.append((image, questions))
            else:
                out.append((image, [revealing] + questions if opens else questions + [revealing]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("tokenizer")
    ap.add_argument("out")
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--image-tokens", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--first", type=float, default=3, help="a caption or shapes answer opens its conversation one time in FIRST")
    a = ap.parse_args()
    count = splitter(a.tokenizer)
    conversations = pack(read(a.inputs), count, a.max_tokens, a.image_tokens, a.seed, a.first)
    turns = 0
    with open(a.out, "w", encoding="utf-8") as f:
        for image, group in conversations:
            conv = []
            for i, (_, question, answer) in enumerate(group):
                conv.append({"from": "human", "value": ("<image>\n" if i == 0 else "") + question})
                conv.append({"from": "gpt", "value": answer})
            turns += len(group)
            record = {"id": f"{group[0][0]}+{len(group) - 1}", "image": image, "conversations": conv}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{a.out}: {len(conversations)} conversations of {turns} turns ({turns / len(conversations):.2f} each)")


if __name__ == "__main__":
    main()
