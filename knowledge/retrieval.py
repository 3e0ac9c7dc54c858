"""Answers users' questions from the knowledge base, and says honestly when it does not know.

Pipeline: normalise (NFKC, synonyms and dialect words, Chinese numerals to digits) -> jieba
words (domain user dictionary) -> BM25 over every entry's title, questions, keywords and answer,
normalised by the query's own weight -> rapidfuzz similarity to the entry's questions for typos
and near-duplicates -> one combined score that ranks the entries. Whether the best one answers
the question is decided by a calibrated model over those signals (knowledge/decision.py). A long
message is read twice, whole and reduced to its asking sentence, and the more confident reading
wins.

BM25 is hand-written over an inverted index (about 60 lines) rather than taken from bm25s:
that library needs NumPy and SciPy, whose import alone would eat much of the 2-second cold
start, and this corpus is small enough that a dict-based index answers in well under 1 ms.
"""

from __future__ import annotations

import heapq
import logging
import math
import multiprocessing as mp
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from knowledge.content import KNOWLEDGE_DIR, read_yaml
from knowledge.decision import NO_MATCH, Model, Signals, decide
from knowledge.domain import FieldCheck
from knowledge.question_point import point_of
from knowledge.ranker import LearnedRanker, features_of
from knowledge.textnorm import normalise, numerals_to_digits

KB_DIR = KNOWLEDGE_DIR / "kb"
MAX_QUESTION_CHARS = 200  # one reading is cut here: nobody asks a 10,000-character question
MAX_MESSAGE_CHARS = 2000  # where the asking sentence of a long message is looked for

# Weights of the combined score that ranks the entries.
WORD_COVER = 0.15
PAIR_COVER = 0.5
RELATIVE_BM25 = 0.2
ASKED_BM25 = 0.15  # BM25 over the entries' questions with their question words kept
FUZZY = 0.3
# Share of the question's weight in words no entry uses ("年检", "补贴"): a question about
# something else that merely mentions 党员 or 党费 must not borrow a neighbouring answer.
UNKNOWN_PENALTY = 0.3
# The learned ranker's say: LEARNED * log(p / LEARNED_FLOOR), so an entry it finds 1,000 times
# likelier gains 1.4, about the whole lexical score's range; below the floor it adds nothing.
# Chosen by cross-validation on the tuning sets (`python -m tests.fit_ranker` prints it).
LEARNED = 0.2
LEARNED_FLOOR = 1e-3
LEARNED_CANDIDATES = 5  # its likeliest entries are scored even when no word is shared
CANDIDATES = 50
PARALLEL_FROM = 2000  # entries; below this a worker pool costs more than it saves
# Closest topics are offered when the model gives the best entry at least this confidence, and
# only entries scoring at least this share of the best: below that they are noise.
SUGGEST_FROM = 0.2
SUGGEST_SHARE = 0.5
# A question that is one bare word used by at least this many entries, and not itself the
# title or a question of one entry, is too broad to answer with one entry ("党费", "支部").
BROAD_FROM = 15
EXACT_PHRASE = 0.9
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
    score: float  # the model's confidence that `entry` answers the question, 0..1
    suggestions: tuple[Entry, ...] = ()
    why: str | None = None  # why it was not answered (knowledge.decision), None when found
    signals: dict[str, Any] | None = None  # each signal and its effect on the confidence

    def as_json(self) -> dict[str, Any]:
        """The `branchbot ask --json` object (DESIGN.md), with `why` and `signals` added."""
        return {
            "question": self.question,
            "found": self.found,
            "answer": self.entry.answer if self.found and self.entry else None,
            "entry": self.entry.id if self.found and self.entry else None,
            "score": round(self.score, 4),
            "source": self.entry.source if self.found and self.entry else None,
            "suggestions": [s.id for s in self.suggestions],
            "why": self.why,
            "signals": self.signals,
        }


@dataclass(frozen=True)
class Reading:
    """One way of reading a question: its ranking and the signals of its best entry."""

    ranked: list[tuple[float, int]]
    signals: Signals | None
    lexical: dict[int, float] | None = None  # the score without the learned ranker's share


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
        dictionary: Path | None = None,
    ) -> None:
        import jieba  # imported here: only processes that answer questions pay for it

        jieba.setLogLevel(logging.WARNING)
        self.jieba = jieba.Tokenizer(str(dictionary)) if dictionary else jieba.Tokenizer()
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

    def tokens_of_many(self, texts: list[str]) -> list[list[str]]:
        """Large bases are segmented on every core (forked workers share the loaded dictionary)."""
        workers = os.cpu_count() or 1
        if len(texts) < PARALLEL_FROM or workers < 2 or "fork" not in mp.get_all_start_methods():
            return [self.tokens(text) for text in texts]
        global _FORKED
        _FORKED = self
        with mp.get_context("fork").Pool(workers) as pool:
            return pool.map(_tokens_in_worker, texts, chunksize=256)

    def tokens(self, text: str) -> list[str]:
        """Every informative token, question words (怎么, 为什么, 多少) included."""
        return [w for w in self.jieba.lcut(text, HMM=False) if w.strip() and _informative(w)]

    def content(self, tokens: list[str]) -> list[str]:
        """The tokens that say what the question is about: stop words and question words out."""
        return [w for w in tokens if w not in self.stopwords]

    def words(self, text: str) -> list[str]:
        return self.content(self.tokens(text))


_FORKED: Segmenter | None = None


def _tokens_in_worker(text: str) -> list[str]:
    assert _FORKED is not None
    return _FORKED.tokens(text)


def _informative(word: str) -> bool:
    return any(ch.isalnum() for ch in word)


class TermIndex:
    """One document per entry: term -> [(entry, term frequency)], with BM25 and IDF.

    Scoring whole entries (title, questions, keywords and answer together) rather than each
    paraphrase alone keeps one short paraphrase of a neighbouring topic from outranking the
    entry that covers every word of the question.
    """

    def __init__(self) -> None:
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.lengths: list[int] = []

    def add(self, terms: Sequence[str]) -> None:
        entry = len(self.lengths)
        self.lengths.append(len(terms))
        for term, count in Counter(terms).items():
            self.postings[term].append((entry, count))

    def finish(self) -> None:
        n = len(self.lengths)
        self.average = sum(self.lengths) / max(n, 1)
        self.idf = {
            t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()
        }
        # A term no entry has is as informative as the rarest: it lowers coverage.
        self.unknown_idf = math.log(1 + (n + 0.5) / 0.5)

    def weight(self, term: str) -> float:
        return self.idf.get(term, self.unknown_idf)

    def match(self, terms: set[str]) -> tuple[dict[int, float], dict[int, float]]:
        """Per entry: BM25, and the IDF-weighted share of the query's terms it contains."""
        total = sum(self.weight(t) for t in terms)
        bm25: dict[int, float] = defaultdict(float)
        covered: dict[int, float] = defaultdict(float)
        for term in terms:
            idf = self.idf.get(term)
            if idf is None:
                continue
            for entry, tf in self.postings[term]:
                norm = K1 * (1 - B + B * self.lengths[entry] / self.average)
                bm25[entry] += idf * tf * (K1 + 1) / (tf + norm)
                covered[entry] += idf / total
        return bm25, covered


def bigrams(text: str) -> set[str]:
    """Character pairs within runs of letters and digits: robust to segmentation and typos."""
    pairs: set[str] = set()
    for run in re.findall(r"[\w+]+", text):
        if len(run) == 1:
            pairs.add(run)
        pairs.update(run[i : i + 2] for i in range(len(run) - 1))
    return pairs


class KnowledgeBase:
    def __init__(
        self,
        entries: Sequence[Entry],
        normaliser: Normaliser,
        segmenter: Segmenter,
        model: Model,
        domain_terms: Iterable[str] = (),
        other_domains: Iterable[str] = (),
        ranker: LearnedRanker | None = None,
    ) -> None:
        self.entries = list(entries)
        self.model = model
        self.ranker = ranker
        self.by_id = {e.id: e for e in self.entries}
        self.number_of = {e.id: n for n, e in enumerate(self.entries)}
        self.normaliser = normaliser
        self.segmenter = segmenter
        self.words = TermIndex()
        self.entry_pairs: list[frozenset[str]] = []
        self.phrases: list[str] = []  # normalised questions and titles, for rapidfuzz
        self.phrase_entry: list[int] = []
        pair_counts: Counter[str] = Counter()
        asked = [
            [normaliser(t) for t in (e.title, *e.questions, " ".join(e.keywords))]
            for e in self.entries
        ]
        # Words from what users ask (segmenting is the slow part of a build); the answer's
        # wording still counts through its character pairs. A second index keeps the question
        # words too: "为什么" and "怎么" are what tell brand-why from brand-how.
        self.asked = TermIndex()
        for texts, tokens in zip(
            asked, segmenter.tokens_of_many([" ".join(texts[:-1]) for texts in asked]), strict=True
        ):
            self.words.add(segmenter.content(tokens) + segmenter.words(texts[-1]))
            self.asked.add(tokens)
        for number, entry in enumerate(self.entries):
            *texts, keywords = asked[number]
            pairs = frozenset(
                p for text in (*texts, keywords, normaliser(entry.answer)) for p in bigrams(text)
            )
            self.entry_pairs.append(pairs)
            pair_counts.update(pairs)
            self.phrases.extend(texts)
            self.phrase_entry.extend([number] * len(texts))
        self.words.finish()
        self.asked.finish()
        n = len(self.entries)
        self.pair_idf = {p: math.log(1 + (n - c + 0.5) / (c + 0.5)) for p, c in pair_counts.items()}
        self.unknown_pair_idf = math.log(1 + (n + 0.5) / 0.5)
        # A question is in domain only if it names at least one term of the domain: one
        # everyday word shared with a paraphrase ("随便") is not enough to answer. Another
        # field's word counts unless an entry is about it (its title or keywords name it): an
        # answer mentioning 工会 in passing does not make it ours.
        self.field = FieldCheck(
            normaliser,
            [*domain_terms, *(k for e in self.entries for k in e.keywords)],
            "\n".join(normaliser(t) for e in self.entries for t in (e.title, *e.keywords)),
            other_domains,
        )

    def ask(self, question: str, limit: int = 3, broad_limit: int = 5) -> Answer:
        scored = [
            (self.model.confidence(r.signals), n, r)
            for n, r in enumerate(self.readings(question))
            if r.signals is not None
        ]
        if not scored:
            return Answer(question, False, None, 0.0, why=NO_MATCH)
        _, _, reading = max(scored, key=lambda item: (item[0], -item[1]))
        assert reading.signals is not None
        found, confidence, why = decide(reading.signals, self.model)
        best = reading.ranked[0][1]
        if reading.signals.broad:
            closest = self._broadest_first(question, reading.ranked)[:broad_limit]
        else:
            lexical = reading.lexical or {}
            floor = lexical.get(best, 0.0) * SUGGEST_SHARE
            start = 1 if found else 0
            closest = [
                (s, i)
                for s, i in reading.ranked[start : start + limit]
                if lexical.get(i, 0.0) >= floor
            ]
        # Closest topics only for a question about this domain: none for "讲个笑话", none for
        # "党员能不能炒股" (in the domain's words, but nothing here is close to it).
        offer = reading.signals.in_domain and (reading.signals.broad or confidence >= SUGGEST_FROM)
        others = tuple(self.entries[i] for _, i in closest) if offer else ()
        explained = self.model.explain(reading.signals)
        return Answer(question, found, self.entries[best], confidence, others, why, explained)

    def _broadest_first(
        self, word: str, ranked: list[tuple[float, int]]
    ) -> list[tuple[float, int]]:
        """For a bare word: the entries with the word in their title, shortest title first
        ("党费按什么比例交" before "党费能不能返还给企业党组织"), then the rest by score."""
        word = "".join(ch for ch in self.normaliser(word) if ch.isalnum())
        titled = [(s, i) for s, i in ranked if word in self.normaliser(self.entries[i].title)]
        titled.sort(key=lambda pair: (len(self.entries[pair[1]].title), -pair[0]))
        return titled + [pair for pair in ranked if pair not in titled]

    def rank(self, question: str) -> list[tuple[float, int]]:
        """(score, entry index), best first; empty when nothing in the question is informative."""
        return self.read(question).ranked

    def readings(self, question: str) -> list[Reading]:
        """The message whole and, when it is long, its asking sentence. The background names
        the field ("我们支部……"), so both readings share one verdict on it."""
        message = question[:MAX_MESSAGE_CHARS]
        point = point_of(message)
        texts = [message] if point == message.strip() else [message, point]
        context = self.context(*texts)
        return [self.read(text, context) for text in texts]

    def context(self, *texts: str) -> tuple[bool, bool]:
        """(names this domain, names another field) for a message and its point, last. The
        background may set the field ("我们支部……") but may also mention anything (扣完社保
        公积金): another field counts only where the user asks, in the last text."""
        return any(self.field.ours(text) for text in texts), self.field.others(texts[-1])

    def read(self, question: str, context: tuple[bool, bool] | None = None) -> Reading:
        in_domain, foreign = context if context is not None else self.context(question)
        text = self.normaliser(question)
        tokens = self.segmenter.tokens(text)
        words = set(self.segmenter.content(tokens))
        if not words:
            return Reading([], None)
        bm25, word_cover = self.words.match(words)
        best_bm25 = max(bm25.values(), default=0.0) or 1.0
        asked, _ = self.asked.match(set(tokens))
        best_asked = max(asked.values(), default=0.0) or 1.0
        weights = {w: self.words.weight(w) for w in words}
        unknown = sum(v for w, v in weights.items() if w not in self.words.idf) / sum(
            weights.values()
        )
        penalty = UNKNOWN_PENALTY * unknown
        fuzzy: dict[int, float] = defaultdict(float)
        for _, similarity, phrase in process.extract(
            text, self.phrases, scorer=fuzz.ratio, limit=30, score_cutoff=40
        ):
            entry = self.phrase_entry[phrase]
            fuzzy[entry] = max(fuzzy[entry], similarity / 100)
        pairs = {p: self.pair_idf.get(p, self.unknown_pair_idf) for p in bigrams(text)}
        learned = self.learned(tokens, pairs)
        # Only the likeliest entries get the finer comparison: a large base stays fast.
        candidates = set(heapq.nlargest(CANDIDATES, bm25, key=bm25.__getitem__)) | set(fuzzy)
        candidates |= set(heapq.nlargest(LEARNED_CANDIDATES, learned, key=learned.__getitem__))
        pair_total = sum(pairs.values()) or 1.0
        pair_cover = {
            e: sum(v for p, v in pairs.items() if p in self.entry_pairs[e]) / pair_total
            for e in candidates
        }
        lexical = {
            e: WORD_COVER * word_cover.get(e, 0.0)
            + PAIR_COVER * pair_cover[e]
            + RELATIVE_BM25 * bm25.get(e, 0.0) / best_bm25
            + ASKED_BM25 * asked.get(e, 0.0) / best_asked
            + FUZZY * fuzzy.get(e, 0.0)
            - penalty
            for e in candidates
        }
        combined = [
            (
                lexical[e]
                + LEARNED * math.log(max(learned.get(e, 0.0), LEARNED_FLOOR) / LEARNED_FLOOR),
                e,
            )
            for e in candidates
        ]
        combined.sort(key=lambda pair: (-pair[0], pair[1]))
        if not combined:
            return Reading([], None)
        score, best = combined[0]
        runner_up = combined[1][0] if len(combined) > 1 else 0.0
        signals = Signals(
            score=score,
            margin=score - runner_up,
            word_cover=word_cover.get(best, 0.0),
            pair_cover=pair_cover[best],
            fuzzy=fuzzy.get(best, 0.0),
            unknown=unknown,
            in_domain=in_domain,
            foreign=foreign,
            short=len(words) <= 2,
            broad=self._bare(text, words) and fuzzy.get(best, 0.0) < EXACT_PHRASE,
            learned=learned.get(best, 0.0),
        )
        return Reading(combined, signals, lexical)

    def learned(self, tokens: list[str], pairs: Iterable[str]) -> dict[int, float]:
        """Entry number -> the learned ranker's probability; empty without a ranker."""
        if self.ranker is None:
            return {}
        probabilities = self.ranker.probabilities(features_of(tokens, pairs))
        return {self.number_of[i]: p for i, p in probabilities.items() if i in self.number_of}

    def _bare(self, text: str, words: set[str]) -> bool:
        """The question is nothing but one word that many entries are about ("党费？")."""
        if len(words) != 1:
            return False
        (word,) = words
        bare = "".join(ch for ch in text if ch.isalnum())
        return bare == word and len(self.words.postings.get(word, ())) >= BROAD_FROM

    def entries_of_step(self, step: str) -> list[Entry]:
        return [e for e in self.entries if e.step == step]


def load_entries(directory: Path = KB_DIR) -> list[Entry]:
    entries: list[Entry] = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name in ("synonyms.yaml", "decision.yaml"):
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
    # jieba's own dictionary cut to its 60,000 most frequent words: a fifth of the memory and
    # start-up time; domain terms come from userdict.txt and everyday words stay segmented.
    segmenter = Segmenter(terms, stopwords, cache_dir, directory / "jieba_dict.txt")
    model = Model.load(directory / "decision.yaml")
    ranker = LearnedRanker.load(directory / "ranker.json")
    domain_words = _word_list(directory / "domain_words.txt")
    return KnowledgeBase(
        load_entries(directory),
        normaliser,
        segmenter,
        model,
        [*(t for t, _ in terms), *domain_words],
        _word_list(directory / "other_domains.txt"),
        ranker,
    )


def _word_list(path: Path) -> list[str]:
    """One word per line; `#` starts a comment line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]
