"""Answers users' questions from the knowledge base, and says honestly when it does not know.

Pipeline: normalise (NFKC, synonyms, Chinese numerals to digits) -> jieba words (domain user
dictionary) -> BM25 over every entry's title, questions, keywords and answer, normalised by the
query's own weight so it can be thresholded -> rapidfuzz similarity to the entry's questions
for typos and near-duplicates -> one combined score; below the threshold `found` is false.

BM25 is hand-written over an inverted index (about 60 lines) rather than taken from bm25s:
that library needs NumPy and SciPy, whose import alone would eat much of the 2-second cold
start, and this corpus is small enough that a dict-based index answers in well under 1 ms.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from knowledge.content import KNOWLEDGE_DIR, read_yaml
from knowledge.textnorm import normalise, numerals_to_digits

KB_DIR = KNOWLEDGE_DIR / "kb"
MAX_QUESTION_CHARS = 200  # longer input is cut: nobody asks a 10,000-character question

# Weights of the combined score and the threshold below which the bot says it does not know.
BM25_WEIGHT = 0.6
FUZZY_WEIGHT = 0.4
THRESHOLD = 0.42
K1, B = 1.2, 0.75

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    answer: str
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    source: str
    related: tuple[str, ...] = ()
    step: str | None = None


@dataclass(frozen=True)
class Answer:
    question: str
    found: bool
    entry: Entry | None
    score: float
    suggestions: tuple[Entry, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The `branchbot ask --json` object (DESIGN.md)."""
        return {
            "question": self.question,
            "found": self.found,
            "answer": self.entry.answer if self.found and self.entry else None,
            "entry": self.entry.id if self.found and self.entry else None,
            "score": round(self.score, 4),
            "source": self.entry.source if self.found and self.entry else None,
            "suggestions": [s.id for s in self.suggestions],
        }


class Normaliser:
    """Applied identically to entries and questions, so variants meet in one form."""

    def __init__(self, synonyms: dict[str, str]) -> None:
        synonyms = {k.lower(): v.lower() for k, v in synonyms.items()}
        variants = sorted({*synonyms, *synonyms.values()}, key=len, reverse=True)
        self.mapping = {v: synonyms.get(v, v) for v in variants}
        self.pattern = re.compile("|".join(re.escape(v) for v in variants)) if variants else None

    def __call__(self, text: str) -> str:
        text = normalise(text[:MAX_QUESTION_CHARS]).lower()
        if self.pattern is not None:
            text = self.pattern.sub(lambda m: self.mapping[m.group(0)], text)
        return numerals_to_digits(text)


class Segmenter:
    """jieba, initialised once, with the domain dictionary and its cache in a writable path."""

    def __init__(
        self,
        terms: Iterable[tuple[str, int]],
        stopwords: Iterable[str],
        cache_dir: Path | None,
    ) -> None:
        import jieba  # imported here: only processes that answer questions pay for it

        jieba.setLogLevel(logging.WARNING)
        self.jieba = jieba.Tokenizer()
        if cache_dir is not None:
            try:
                cache_dir.mkdir(parents=True, exist_ok=True)
                self.jieba.tmp_dir = str(cache_dir)
            except OSError:
                log.warning("jieba cache dir not writable; using the system temp dir")
        self.jieba.initialize()
        for word, frequency in terms:
            self.jieba.add_word(word, frequency)
        self.stopwords = frozenset(stopwords)

    def words(self, text: str) -> list[str]:
        return [
            w
            for w in self.jieba.lcut(text, HMM=False)
            if w.strip() and w not in self.stopwords and _informative(w)
        ]


def _informative(word: str) -> bool:
    return any(ch.isalnum() for ch in word)


@dataclass
class BM25:
    """Okapi BM25 over an inverted index: term -> [(document, term frequency)]."""

    postings: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    lengths: list[int] = field(default_factory=list)

    def add(self, words: Sequence[str]) -> int:
        doc = len(self.lengths)
        self.lengths.append(len(words))
        for word, count in Counter(words).items():
            self.postings[word].append((doc, count))
        return doc

    def finish(self) -> None:
        n = len(self.lengths)
        self.average = sum(self.lengths) / max(n, 1)
        self.idf = {
            w: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for w, p in self.postings.items()
        }
        # A word no document has is as informative as the rarest: it lowers coverage.
        self.unknown_idf = math.log(1 + (n + 0.5) / 0.5)

    def weight(self, word: str) -> float:
        return self.idf.get(word, self.unknown_idf)

    def scores(self, words: Sequence[str]) -> dict[int, float]:
        result: dict[int, float] = defaultdict(float)
        for word in set(words):
            idf = self.idf.get(word)
            if idf is None:
                continue
            for doc, tf in self.postings[word]:
                norm = K1 * (1 - B + B * self.lengths[doc] / self.average)
                result[doc] += idf * tf * (K1 + 1) / (tf + norm)
        return result


class KnowledgeBase:
    def __init__(
        self, entries: Sequence[Entry], normaliser: Normaliser, segmenter: Segmenter
    ) -> None:
        self.entries = list(entries)
        self.by_id = {e.id: e for e in self.entries}
        self.normaliser = normaliser
        self.segmenter = segmenter
        self.index = BM25()
        self.doc_entry: list[int] = []
        self.phrases: list[str] = []  # normalised questions and titles, for rapidfuzz
        self.phrase_entry: list[int] = []
        for number, entry in enumerate(self.entries):
            for text in (entry.title, *entry.questions, " ".join(entry.keywords), entry.answer):
                self.index.add(segmenter.words(normaliser(text)))
                self.doc_entry.append(number)
            for text in (entry.title, *entry.questions):
                self.phrases.append(normaliser(text))
                self.phrase_entry.append(number)
        self.index.finish()

    def ask(self, question: str, limit: int = 3) -> Answer:
        ranked = self.rank(question)
        if not ranked:
            return Answer(question, False, None, 0.0)
        best_score, best = ranked[0]
        found = best_score >= THRESHOLD
        others = tuple(
            self.entries[i] for _, i in ranked[1 if found else 0 : limit + (1 if found else 0)]
        )
        return Answer(question, found, self.entries[best], best_score, others[:limit])

    def rank(self, question: str) -> list[tuple[float, int]]:
        """(score, entry index), best first; empty when nothing in the question is informative."""
        text = self.normaliser(question)
        words = self.segmenter.words(text)
        if not words:
            return []
        query_weight = sum(self.index.weight(w) * (K1 + 1) / (1 + K1) for w in words)
        lexical: dict[int, float] = defaultdict(float)
        for doc, score in self.index.scores(words).items():
            entry = self.doc_entry[doc]
            lexical[entry] = max(lexical[entry], min(score / query_weight, 1.0))
        fuzzy: dict[int, float] = defaultdict(float)
        for _, similarity, phrase in process.extract(
            text, self.phrases, scorer=fuzz.ratio, limit=20, score_cutoff=30
        ):
            entry = self.phrase_entry[phrase]
            fuzzy[entry] = max(fuzzy[entry], similarity / 100)
        combined = [
            (BM25_WEIGHT * lexical.get(e, 0.0) + FUZZY_WEIGHT * fuzzy.get(e, 0.0), e)
            for e in set(lexical) | set(fuzzy)
        ]
        combined.sort(key=lambda pair: (-pair[0], pair[1]))
        return combined

    def entries_of_step(self, step: str) -> list[Entry]:
        return [e for e in self.entries if e.step == step]


def load_entries(directory: Path = KB_DIR) -> list[Entry]:
    entries: list[Entry] = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "synonyms.yaml":
            continue
        for raw in read_yaml(path)["entries"]:
            entries.append(
                Entry(
                    id=raw["id"],
                    title=raw["title"],
                    answer=raw["answer"].strip(),
                    questions=tuple(raw["questions"]),
                    keywords=tuple(raw.get("keywords", ())),
                    source=raw["source"],
                    related=tuple(raw.get("related", ())),
                    step=raw.get("step"),
                )
            )
    return entries


@cache
def load_knowledge_base(
    cache_dir: Path | None = Path("data") / "cache", directory: Path = KB_DIR
) -> KnowledgeBase:
    """Builds the index once per process (a few hundred milliseconds on this corpus)."""
    normaliser = Normaliser(read_yaml(directory / "synonyms.yaml") or {})
    stopwords = (directory / "stopwords.txt").read_text(encoding="utf-8").split()
    terms = []
    for line in (directory / "userdict.txt").read_text(encoding="utf-8").splitlines():
        word, _, rest = line.strip().partition(" ")
        if word:
            # The dictionary is written in plain Chinese; entries are looked up normalised.
            terms.append((normaliser(word), int((rest.split() or ["100"])[0])))
    segmenter = Segmenter(terms, stopwords, cache_dir)
    return KnowledgeBase(load_entries(directory), normaliser, segmenter)
