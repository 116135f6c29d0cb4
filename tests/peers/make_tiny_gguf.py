#!/usr/bin/env python3
"""Write a tiny llama-architecture GGUF model for testing against llama.cpp servers.

    make_tiny_gguf.py OUT.gguf [--seed N] [--layers N] [--context N]

Needs the `gguf` and `numpy` packages (tests/peers/requirements.txt). No weights are downloaded:
they are random with a fixed seed, so the same arguments always write the same bytes
(about 250 KB with the defaults).

The vocabulary is the same as `infermeter serve`'s and tests/peers/make_byte_tokenizer.py's:
GPT-2 byte-level BPE with no merges, id 3 + byte for each of the 256 bytes, 0 = pad,
1 = eos, 2 = bos (DeepSeek-style names with non-ASCII bars, so no ASCII text ever matches one),
no BOS/EOS added on encode. So llama.cpp's prompt_tokens for any text is its UTF-8 byte count.

The weights are random, with one rigged direction so that the output is predictable in form:
dimension 0 of the residual stream is a constant (the embedding sets it, and no layer writes to
it), and the output head gives every token except printable ASCII without '<' a large negative
weight on that dimension. So the model
  * only ever emits printable ASCII bytes ' '..'~' other than '<' (one byte, one token, one
    character: streamed chunks, generated tokens and text length all agree; and no '<' means
    llama-cpp-python never holds text back as a possible start of a stop string like '<|...'),
  * never emits EOS, so every request generates exactly max_tokens tokens
    (finish_reason "length"), whatever the server's sampling settings.

The chat template (metadata tokenizer.chat_template) renders 'role: content' lines and
'assistant: ' as the generation prompt.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

try:
    import gguf
except ImportError:  # pragma: no cover
    sys.exit("make_tiny_gguf: the `gguf` package is missing; run it with the venv's python "
             "(scripts/python_env prints the venv path)")

# One vocabulary for the tokenizer and the model: the byte tokenizer's (ids 3 + byte).
from make_byte_tokenizer import BOS, BYTE_OFFSET, EOS, PAD, bytes_to_unicode  # noqa: E402

N_VOCAB = BYTE_OFFSET + 256
CHAT_TEMPLATE = ("{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n"
                 "{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}")


def allowed_output(token_id: int) -> bool:
    byte = token_id - BYTE_OFFSET
    return 0x20 <= byte <= 0x7E and byte != ord("<")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--context", type=int, default=512)
    args = parser.parse_args()

    n_embd, n_head, n_head_kv, n_ff = 64, 4, 4, 128
    head_dim = n_embd // n_head
    rng = np.random.default_rng(args.seed)

    def normal(*shape: int, std: float = 0.02) -> np.ndarray:
        return (rng.standard_normal(shape) * std).astype(np.float16)

    # Token list: specials, then the 256 byte symbols in byte order.
    symbols = bytes_to_unicode()
    tokens = [PAD, EOS, BOS] + [symbols[b] for b in range(256)]
    token_types = [gguf.TokenType.CONTROL] * BYTE_OFFSET + [gguf.TokenType.NORMAL] * 256

    tmp = f"{args.out}.{os.getpid()}.tmp"
    writer = gguf.GGUFWriter(tmp, "llama")
    writer.add_name("infermeter-tiny-test")
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    writer.add_context_length(args.context)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(args.layers)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head_kv)
    writer.add_rope_dimension_count(head_dim)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(N_VOCAB)

    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(token_types)
    # llama.cpp requires the merges key for a BPE vocabulary, and GGUF cannot store an empty
    # array, so write one inert merge: bytes 0x00 0x01, whose result is no token in the
    # vocabulary (llama.cpp then emits the two byte tokens anyway), so every byte stays a token.
    writer.add_token_merges([f"{symbols[0]} {symbols[1]}"])
    writer.add_pad_token_id(0)
    writer.add_eos_token_id(1)
    writer.add_bos_token_id(2)
    writer.add_add_bos_token(False)
    writer.add_add_eos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)

    # Residual dimension 0 is the constant 1 (set by the embedding, never written by a layer).
    embd = normal(N_VOCAB, n_embd)
    embd[:, 0] = 1.0
    writer.add_tensor("token_embd.weight", embd)
    for i in range(args.layers):
        p = f"blk.{i}."
        ones = np.ones(n_embd, dtype=np.float32)
        writer.add_tensor(p + "attn_norm.weight", ones)
        writer.add_tensor(p + "attn_q.weight", normal(n_head * head_dim, n_embd, std=0.2))
        writer.add_tensor(p + "attn_k.weight", normal(n_head_kv * head_dim, n_embd, std=0.2))
        writer.add_tensor(p + "attn_v.weight", normal(n_head_kv * head_dim, n_embd, std=0.2))
        wo = normal(n_embd, n_head * head_dim)
        wo[0, :] = 0
        writer.add_tensor(p + "attn_output.weight", wo)
        writer.add_tensor(p + "ffn_norm.weight", ones)
        writer.add_tensor(p + "ffn_gate.weight", normal(n_ff, n_embd, std=0.2))
        writer.add_tensor(p + "ffn_up.weight", normal(n_ff, n_embd, std=0.2))
        down = normal(n_embd, n_ff)
        down[0, :] = 0
        writer.add_tensor(p + "ffn_down.weight", down)
    writer.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    # After the final RMSNorm, dimension 0 is about +8 for every position; a weight of -30 on it
    # puts every token outside printable ASCII (and '<', and the specials) about 240 logits down.
    head = (rng.standard_normal((N_VOCAB, n_embd)) * 0.5).astype(np.float16)
    head[:, 0] = [0.0 if allowed_output(t) else -30.0 for t in range(N_VOCAB)]
    writer.add_tensor("output.weight", head)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(tmp, args.out)  # atomic: concurrent writers of the same file cannot tear it
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
