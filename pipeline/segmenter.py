"""jieba's segmentation and parts of speech, through rjieba (the jieba-rs binding: jieba's
dictionary and its segmentation with the HMM off, many times faster), with the department
names the rules add as whole words. One per process, shared by the tokenizer's cue sentences
and the targets' parts of speech; ``nlp.release`` frees it."""
from __future__ import annotations

from functools import lru_cache

import rjieba


@lru_cache(maxsize=1)
def segmenter() -> rjieba.Jieba:
    return rjieba.Jieba()
