#!/usr/bin/env python3
"""Write a byte-level Hugging Face tokenizer that matches `infermeter serve` exactly.

    make_byte_tokenizer.py OUTDIR

`infermeter serve` tokenizes text as UTF-8 bytes: token id = 3 + byte, with 0 = pad,
1 = eos and 2 = bos (named here <｜pad｜>, <｜end▁of▁sentence｜>, <｜begin▁of▁sentence｜>: with
non-ASCII bars no ASCII text can contain them, and split_special_tokens makes transformers
encode any special-token text in a prompt as its bytes, as the server does). Peer benchmark tools (AIPerf, GuideLLM, ...) need a Hugging
Face tokenizer to make prompts and count tokens, and nothing may be downloaded from a hub, so this
script writes one: tokenizer.json (a `tokenizers` BPE model over the 256 GPT-2 byte-level symbols,
no merges, so every byte is one token), tokenizer_config.json and special_tokens_map.json.

Encoding adds no BOS/EOS, so for any text the token count equals its UTF-8 byte count. The
directory loads with `tokenizers.Tokenizer.from_file(OUTDIR/tokenizer.json)` and with
`transformers.AutoTokenizer.from_pretrained(OUTDIR)`; when either package is importable, the
script checks the result on a few texts before it returns (exit 1 on a mismatch).

Only the standard library is needed to write the files.
"""
from __future__ import annotations

import json
import os
import sys

# DeepSeek-style names with non-ASCII bars: they cannot occur in ASCII text (prompts and
# `infermeter serve`'s printable-ASCII output), so no text ever encodes to a special id.
PAD, EOS, BOS = "<｜pad｜>", "<｜end▁of▁sentence｜>", "<｜begin▁of▁sentence｜>"
SPECIALS = [PAD, EOS, BOS]  # ids 0, 1, 2
BYTE_OFFSET = 3


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from the 256 byte values to printable unicode symbols (the map
    that the `tokenizers` ByteLevel pre-tokenizer and decoder use)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
        range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def vocabulary() -> dict[str, int]:
    vocab = {token: i for i, token in enumerate(SPECIALS)}
    for byte, symbol in bytes_to_unicode().items():
        vocab[symbol] = BYTE_OFFSET + byte
    return vocab


def tokenizer_json() -> dict:
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": token, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for i, token in enumerate(SPECIALS)
        ],
        "normalizer": None,
        # ByteLevel without the regex split: the text becomes one run of byte symbols; with no
        # merges each symbol is one token.
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                          "use_regex": False},
        "post_processor": None,  # nothing added on encode: no BOS, no EOS
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                    "use_regex": False},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": vocabulary(),
            "merges": [],
        },
    }


def tokenizer_config() -> dict:
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": BOS,
        "eos_token": EOS,
        "pad_token": PAD,
        "unk_token": None,
        "add_bos_token": False,
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": 1 << 20,
        "padding_side": "right",
        # Special-token text inside a prompt is encoded as its bytes, as `infermeter serve` does.
        "split_special_tokens": True,
        "added_tokens_decoder": {
            str(i): {"content": token, "lstrip": False, "normalized": False, "rstrip": False,
                     "single_word": False, "special": True}
            for i, token in enumerate(SPECIALS)
        },
        # Some tools look for a chat template; this one is plain text (role: content lines).
        "chat_template": "{% for message in messages %}{{ message['role'] }}: "
                         "{{ message['content'] }}\n{% endfor %}"
                         "{% if add_generation_prompt %}assistant: {% endif %}",
    }


SAMPLES = ["", "a", "hello world", "  two  spaces\tand a tab\n", "ümlaut €uro 日本 🎉",
           "Shall I compare thee to a summer's day?", "</s> <s> <pad> are plain text",
           f"{EOS} inside text is bytes too {BOS}"]


def check(outdir: str) -> None:
    """Load the written tokenizer with the libraries the peer tools use, if installed."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local directory: never ask a hub
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # no "PyTorch was not found"
    errors = []
    try:
        from tokenizers import Tokenizer  # type: ignore
    except ImportError:
        Tokenizer = None
    if Tokenizer is not None:
        tok = Tokenizer.from_file(os.path.join(outdir, "tokenizer.json"))
        # What transformers does for split_special_tokens=True (plain `tokenizers` matches added
        # tokens in text unless told not to).
        tok.encode_special_tokens = True
        for text in SAMPLES:
            ids = tok.encode(text, add_special_tokens=True).ids
            want = [BYTE_OFFSET + b for b in text.encode("utf-8")]
            if ids != want:
                errors.append(f"tokenizers: {text!r} -> {ids}, want {want}")
            if tok.decode(ids) != text:
                errors.append(f"tokenizers: decode({text!r}) -> {tok.decode(ids)!r}")
    try:
        import transformers  # type: ignore
    except ImportError:
        transformers = None
    if transformers is not None:
        transformers.logging.set_verbosity_error()
        tok = transformers.AutoTokenizer.from_pretrained(outdir)
        for text in SAMPLES:
            ids = tok.encode(text)
            want = [BYTE_OFFSET + b for b in text.encode("utf-8")]
            if ids != want:
                errors.append(f"transformers: {text!r} -> {ids}, want {want}")
            if tok.decode(ids) != text:
                errors.append(f"transformers: decode({text!r}) -> {tok.decode(ids)!r}")
        if (tok.bos_token_id, tok.eos_token_id, tok.pad_token_id) != (2, 1, 0):
            errors.append(f"transformers: special ids bos/eos/pad = "
                          f"{tok.bos_token_id}/{tok.eos_token_id}/{tok.pad_token_id}, want 2/1/0")
        if len(tok) != BYTE_OFFSET + 256:
            errors.append(f"transformers: len(tokenizer) = {len(tok)}, want {BYTE_OFFSET + 256}")
    if errors:
        raise SystemExit("make_byte_tokenizer: the written tokenizer is wrong:\n  " +
                         "\n  ".join(errors))


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 0 if len(argv) == 2 else 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    files = {
        "tokenizer.json": tokenizer_json(),
        "tokenizer_config.json": tokenizer_config(),
        "special_tokens_map.json": {"bos_token": BOS, "eos_token": EOS, "pad_token": PAD},
    }
    for name, content in files.items():
        tmp = os.path.join(outdir, f".{name}.{os.getpid()}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(content, f, ensure_ascii=False, indent=1)
            f.write("\n")
        os.replace(tmp, os.path.join(outdir, name))  # atomic: safe with concurrent writers
    check(outdir)
    print(outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
