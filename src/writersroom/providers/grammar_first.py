"""Grammar-first sampling for llama.cpp, as llama.cpp's own `common_sampler` does it.

Under a grammar, llama-cpp-python's `Llama` checks every token of the vocabulary against the
grammar before it samples each token: 151,936 tokens for the embedded Qwen model, each matched
against the grammar's stacks, at every step. Grammar-first samples as if unconstrained and asks
the grammar about that one token; only when the grammar refuses it is the whole vocabulary
checked and the token sampled again. The answer is held to the grammar all the same, and with
greedy sampling it is the same answer token for token.
"""

from __future__ import annotations

import ctypes
from functools import cache
from types import ModuleType
from typing import Any

import numpy as np

TOKEN_DATA = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)


class GrammarFirst:
    """A sampler for `Llama.sample`: the unconstrained chain, then the grammar's word on the
    token it chose; both learn the token kept. `refusals` counts the tokens the grammar
    refused (each sampled again under it)."""

    def __init__(self, llama_cpp: ModuleType, llama: Any, chain: Any, grammar: Any) -> None:
        self.api = llama_cpp.llama_cpp
        self.chain = chain  # llama-cpp-python's LlamaSampler without the grammar
        self.grammar = self.api.llama_sampler_init_grammar(
            llama._model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
        if not self.grammar:
            raise ValueError("llama.cpp refused the grammar")
        self.vocab = llama.n_vocab()
        self.ids = np.arange(self.vocab, dtype=np.intc)
        self.candidates = np.zeros(self.vocab, dtype=TOKEN_DATA)
        self.one = np.zeros(1, dtype=TOKEN_DATA)
        self.refusals = 0

    def _array(self, data: np.ndarray) -> Any:
        return self.api.llama_token_data_array(
            data=data.ctypes.data_as(self.api.llama_token_data_p),
            size=len(data),
            selected=-1,
            sorted=False,
        )

    def _choose(self, logits: np.ndarray, constrained: bool) -> int:
        """The chain's token over every candidate, the grammar's refusals first if
        `constrained`."""
        self.candidates["id"] = self.ids
        self.candidates["logit"] = logits
        self.candidates["p"] = 0.0
        cur = self._array(self.candidates)
        if constrained:
            self.api.llama_sampler_apply(self.grammar, ctypes.byref(cur))
        self.api.llama_sampler_apply(self.chain.sampler, ctypes.byref(cur))
        return int(cur.data[cur.selected].id)

    def allowed(self, token: int) -> bool:
        self.one[0] = (token, 1.0, 0.0)
        self.api.llama_sampler_apply(self.grammar, ctypes.byref(self._array(self.one)))
        return bool(np.isfinite(self.one["logit"][0]))

    def sample(self, ctx: Any, idx: int = -1) -> int:
        pointer = self.api.llama_get_logits_ith(ctx.ctx, idx)
        logits = np.ctypeslib.as_array(pointer, shape=(self.vocab,))
        token = self._choose(logits, constrained=False)
        if not self.allowed(token):
            self.refusals += 1
            token = self._choose(logits, constrained=True)
        self.api.llama_sampler_accept(self.grammar, token)
        self.chain.accept(token)
        return token

    def close(self) -> None:
        if self.grammar:
            self.api.llama_sampler_free(self.grammar)
            self.grammar = None
        self.chain.close()

    def __del__(self) -> None:
        self.close()


@cache
def llama_class(llama_cpp: ModuleType) -> type:
    """llama-cpp-python's `Llama`, sampling grammar-first whenever it is given a grammar."""

    class Llama(llama_cpp.Llama):  # type: ignore[name-defined]
        def _init_sampler(self, *args: Any, grammar: Any = None, **kwargs: Any) -> Any:
            chain = super()._init_sampler(*args, grammar=None, **kwargs)
            return chain if grammar is None else GrammarFirst(llama_cpp, self, chain, grammar)

    return Llama
