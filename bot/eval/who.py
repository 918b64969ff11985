"""python -m bot.eval who: how well /who finds people, links them and reads their roles.

Figures and their exact definitions:

* person P/R/F1 (FactRuEval-2016 dev): gold = distinct Person object spans; predicted = mentions of our
  PER entities. "exact" counts a predicted mention correct when its offsets equal a gold span's;
  "overlap" when it overlaps a gold span (each gold and each predicted span used once).
* lemma recall (BSNLP-2021 ru dev): gold = distinct (document, PER base_form) pairs; recalled when one of
  our PER mentions in that document normalises to that base form (case and "ё" folded).
* merge accuracy and same-person precision/recall (BSNLP): read back from what the bot stored after
  ingesting the corpus (``bot.eval.identity``: the definitions are there); nothing here resolves identities.
* role accuracy (FactRuEval Occupation facts with a Position): among facts whose person (Who) we found,
  the share where one of our titles for that person matches the gold position: the Snowball stems of
  one are a subset of the other's ("президента" ~ "президент США", "министр иностранных дел России").
  Role precision: the share of our titles for those people that match some gold position of theirs.
  Beside it (never instead): the same accuracy once the documented ``SYNONYM_CLASSES`` are read as one
  word ("лидер", "глава государства" → "президент"; "премьер-министр", "глава правительства" → "премьер").
* role accuracy (NEREL v1.1 dev WORKS_AS relations, PERSON -> PROFESSION): a second, independent check.
  Among relations whose PERSON mention overlaps a mention of one of our PER entities, the share where
  one of that entity's titles in the article matches the PROFESSION text by the same stem rule (NEREL
  has no coreference: each relation counts once, as annotated at its mention).
* throughput: ~5 KB Russian texts (consecutive Telegram-contest articles joined to >= 5,000 characters),
  one process, models already loaded: full analysis, and natasha segmentation + NER alone.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.analysis.article import analyze_article
from bot.analysis.entities import PER, fold, parse_russian, russian_models
from bot.analysis.stems import stem, words
from bot.eval import corpus_path
from bot.eval.identity import evaluate_stored_identity, list_people_in_both_scripts
from bot.eval.who_english import evaluate_conll_english, list_contest_people

TARGETS = {"person F1": 0.93, "merge accuracy": 0.95, "role accuracy": 0.85}  # roles: issue #12


def _rows(path: Path, limit: int | None) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines):
            if limit is not None and n >= limit:
                return
            yield json.loads(line)


def _prf(tp: int, predicted: int, gold: int) -> tuple[float, float, float]:
    p = tp / predicted if predicted else 0.0
    r = tp / gold if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _overlap_matches(pred: list[tuple[int, int]], gold: list[tuple[int, int]]) -> int:
    used: set[int] = set()
    hits = 0
    for ps, pe in pred:
        for k, (gs, ge) in enumerate(gold):
            if k not in used and ps < ge and gs < pe:
                used.add(k)
                hits += 1
                break
    return hits


# Documented synonym classes for the second, lenient role figure (never instead of the strict one): each
# pattern is read as the class's first word. "лидер" and "глава государства" name a country's president.
SYNONYM_CLASSES: tuple[tuple[str, str], ...] = (
    ("президент", r"\bлидер\w*|\bглав\w* государств\w*"),
    ("премьер", r"\bпремьер-министр\w*|\bглав\w* правительств\w*"),
)


def _lenient(text: str) -> str:
    for canonical, pattern in SYNONYM_CLASSES:
        text = re.sub(pattern, canonical, text.lower())
    return text


def _position_matches_lenient(title: str, position: str) -> bool:
    """``_position_matches`` as is or after the synonym classes: "российский лидер" matches "президента"."""
    return _position_matches(title, position) or _position_matches(_lenient(title), _lenient(position))


def _title_stems(text: str) -> set[str]:
    """Stems of a title's words; a hyphenated word is stemmed part by part, as both parts inflect
    ("журналиста-расследователя" is "журналист-расследователь"), and stays one word ("экс-президент" is
    not "президент")."""
    return {"-".join(stem(part) for part in word.split("-")) for word in words(text)}


def _position_matches(title: str, position: str) -> bool:
    ours, theirs = _title_stems(title), _title_stems(position)
    return bool(ours and theirs) and (theirs <= ours or ours <= theirs)


def evaluate_factrueval(path: Path, limit: int | None, verbose: bool = False) -> dict[str, float]:
    exact = overlap = n_pred = n_gold = 0
    facts_found = facts_correct = facts_total = facts_lenient = 0
    titles_total = titles_correct = 0
    misses: list[str] = []
    for row in _rows(path, limit):
        text = row["text"]
        analysis = analyze_article("", text, lang="ru")
        people = [e for e in analysis.entities if e.kind == PER]
        pred = sorted({(m.start, m.stop) for e in people for m in e.mentions})
        gold = sorted({(o["start"], o["end"]) for o in row["objects"] if o["type"] == "Person"})
        n_pred += len(pred)
        n_gold += len(gold)
        exact += len(set(pred) & set(gold))
        overlap += _overlap_matches(pred, gold)

        objects = {o["id"]: o for o in row["objects"]}
        clusters = {
            f"obj{c['id']}": [objects[m] for m in c["mention_ids"] if m in objects] for c in row["coref"]
        }
        positions_of: dict[str, list[str]] = defaultdict(list)
        fact_people: list[tuple[str, list[str]]] = []
        for fact in row["facts"]:
            if fact["type"] != "Occupation":
                continue
            args = {a["role"]: a for a in fact["args"]}
            if "Who" not in args or "Position" not in args:
                continue
            alternatives = [
                p.split(" ", 1)[-1] if p.startswith("span") else p
                for p in args["Position"]["value"].split(" | ")
            ]
            fact_people.append((args["Who"]["ref"], alternatives))
            positions_of[args["Who"]["ref"]].extend(alternatives)
        for who, alternatives in fact_people:
            facts_total += 1
            spans = [(o["start"], o["end"]) for o in clusters.get(who, [])]
            entity = next(
                (
                    e
                    for e in people
                    if any(m.start < ge and gs < m.stop for m in e.mentions for gs, ge in spans)
                ),
                None,
            )
            if entity is None:
                continue
            facts_found += 1
            titles = analysis.roles_of(entity.key)
            facts_lenient += any(_position_matches_lenient(t, a) for t in titles for a in alternatives)
            if any(_position_matches(t, a) for t in titles for a in alternatives):
                facts_correct += 1
            elif verbose:
                misses.append(f"{entity.name}: ours {list(titles)} gold {alternatives}")
        for who, positions in positions_of.items():
            spans = [(o["start"], o["end"]) for o in clusters.get(who, [])]
            for entity in people:
                if any(m.start < ge and gs < m.stop for m in entity.mentions for gs, ge in spans):
                    for title in analysis.roles_of(entity.key):
                        titles_total += 1
                        titles_correct += any(_position_matches(title, p) for p in positions)
    ep, er, ef = _prf(exact, n_pred, n_gold)
    op, orr, of = _prf(overlap, n_pred, n_gold)
    print(f"FactRuEval dev persons: gold {n_gold}, predicted {n_pred}")
    print(f"  exact   P {ep:.3f}  R {er:.3f}  F1 {ef:.3f}")
    print(f"  overlap P {op:.3f}  R {orr:.3f}  F1 {of:.3f}")
    role_acc = facts_correct / facts_found if facts_found else 0.0
    print(
        f"FactRuEval Occupation facts: {facts_total}, person found {facts_found}, "
        f"role correct {facts_correct}"
    )
    print(
        f"  role accuracy (found persons) {role_acc:.3f}"
        f"  over all facts {facts_correct / max(facts_total, 1):.3f}"
        f"  role precision {titles_correct / max(titles_total, 1):.3f} ({titles_correct}/{titles_total})"
    )
    print(
        f"  beside it, with the synonym classes of SYNONYM_CLASSES: role accuracy "
        f"{facts_lenient / max(facts_found, 1):.3f} ({facts_lenient}/{facts_found})"
    )
    for miss in misses:
        print("    miss:", miss)
    return {"person F1": of, "person F1 exact": ef, "role accuracy": role_acc}


def evaluate_nerel_roles(path: Path, limit: int | None, verbose: bool = False) -> dict[str, float]:
    """Role accuracy on NEREL's WORKS_AS relations: a corpus nobody tuned the roles on."""
    relations_total = found = correct = 0
    misses: list[str] = []
    for row in _rows(path, limit):
        analysis = analyze_article("", row["text"], lang="ru")
        people = [e for e in analysis.entities if e.kind == PER]
        entities = {e["id"]: e for e in row["entities"]}
        for relation in row["relations"]:
            if relation["type"] != "WORKS_AS":
                continue
            who, job = entities.get(relation["arg1"]), entities.get(relation["arg2"])
            if who is None or job is None or who["type"] != "PERSON" or job["type"] != "PROFESSION":
                continue
            relations_total += 1
            entity = next(
                (
                    e
                    for e in people
                    if any(m.start < who["end"] and who["start"] < m.stop for m in e.mentions)
                ),
                None,
            )
            if entity is None:
                continue
            found += 1
            titles = analysis.roles_of(entity.key)
            if any(_position_matches(t, job["text"]) for t in titles):
                correct += 1
            elif verbose:
                misses.append(f"{entity.name}: ours {list(titles)} gold {job['text']!r}")
    accuracy = correct / found if found else 0.0
    print(f"NEREL dev WORKS_AS relations: {relations_total}, person found {found}, role correct {correct}")
    print(
        f"  role accuracy (found persons) {accuracy:.3f}"
        f"  over all relations {correct / max(relations_total, 1):.3f}"
    )
    for miss in misses:
        print("    miss:", miss)
    return {"NEREL role accuracy": accuracy}


def evaluate_bsnlp(path: Path, limit: int | None) -> dict[str, float]:
    """Lemma recall: how many gold base forms of people our person spans normalise to, per document."""
    gold_forms = recalled_forms = 0
    for row in _rows(path, limit):
        parsed = parse_russian(f"{row.get('title', '').strip()}\n\n{row['text']}")
        normals = {fold(s.normal) for s in parsed.spans if s.kind == PER}
        forms = {fold(e["base_form"]) for e in row["entities"] if e["type"] == PER}
        gold_forms += len(forms)
        recalled_forms += len(forms & normals)
    recall = recalled_forms / max(gold_forms, 1)
    print(f"BSNLP dev persons: lemma recall {recall:.3f} ({recalled_forms}/{gold_forms})")
    return {"lemma recall": recall}


def _five_kb_texts(path: Path, count: int) -> list[str]:
    texts: list[str] = []
    current: list[str] = []
    for row in _rows(path, None):
        current.append(f"{row.get('title', '')}\n\n{row.get('text') or ''}")
        if sum(len(t) for t in current) >= 5000:
            texts.append("\n\n".join(current)[:5600])
            current = []
            if len(texts) >= count:
                break
    return texts


def measure_throughput(path: Path, count: int) -> None:
    from natasha import Doc, Segmenter

    texts = _five_kb_texts(path, count)
    if not texts:
        return
    russian_models()  # loaded before the clock starts
    analyze_article("", texts[0], lang="ru")  # warm-up: models and caches
    began = time.perf_counter()
    for text in texts:
        analyze_article("", text, lang="ru")
    full = len(texts) / (time.perf_counter() - began)
    from natasha import NewsEmbedding, NewsNERTagger

    tagger = NewsNERTagger(NewsEmbedding())  # natasha's NER as the package runs it
    segmenter = Segmenter()
    began = time.perf_counter()
    for text in texts:
        doc = Doc(text)
        doc.segment(segmenter)
        doc.tag_ner(tagger)
    ner_only = len(texts) / (time.perf_counter() - began)
    average = sum(len(t) for t in texts) / len(texts)
    print(f"throughput on {len(texts)} Russian texts of {average / 1000:.1f} KB, one process:")
    print(f"  analyze_article   {full:.1f} articles/s")
    print(f"  natasha seg+NER   {ner_only:.1f} articles/s")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.eval who")
    parser.add_argument("--limit", type=int, default=None, help="documents per corpus (default: all)")
    parser.add_argument("--bench", type=int, default=40, help="~5 KB texts for the throughput figures")
    parser.add_argument("--verbose", action="store_true", help="print every missed role")
    parser.add_argument(
        "--only",
        choices=("roles", "english", "languages"),
        default=None,
        help="roles: FactRuEval and NEREL only (no BSNLP, timing); english: CoNLL-2003 English people only;"
        " languages: the people both contest hours name in both scripts",
    )
    parser.add_argument(
        "--write-weights", action="store_true", help="english: refit the English weights on CoNLL"
    )
    parser.add_argument(
        "--english-sample", type=int, default=0, help="english: list the people of N contest articles"
    )
    args = parser.parse_args(argv)
    conll = corpus_path("conll2003_en_dev.jsonl")
    if args.only == "english":
        if conll.exists():
            evaluate_conll_english(conll, args.limit, write_weights=args.write_weights, verbose=args.verbose)
            contest = corpus_path("tg_contest2019_en.jsonl")
            if args.english_sample and contest.exists():
                list_contest_people(contest, args.english_sample)
        else:
            print(f"corpus not found: {conll}: nothing to evaluate")
        return 0
    if args.only == "languages":
        hours = [corpus_path("tg_contest2019_ru.jsonl"), corpus_path("tg_contest2019_en.jsonl")]
        if all(path.exists() for path in hours):
            list_people_in_both_scripts(hours)
        else:
            print(f"corpora not found at {hours[0].parent}: nothing to evaluate")
        return 0
    factrueval, bsnlp = corpus_path("factrueval2016_dev.jsonl"), corpus_path("bsnlp_ru_dev.jsonl")
    if not factrueval.exists() or not bsnlp.exists():
        print(f"corpora not found at {factrueval.parent}: nothing to evaluate")
        return 0
    figures = evaluate_factrueval(factrueval, args.limit, args.verbose)
    nerel = corpus_path("nerel_v1.1_dev.jsonl")
    if nerel.exists():
        figures.update(evaluate_nerel_roles(nerel, args.limit, args.verbose))
    if args.only == "roles":
        return 0
    figures.update(evaluate_bsnlp(bsnlp, args.limit))
    figures.update(evaluate_stored_identity(bsnlp, args.limit))
    if conll.exists():
        figures.update(evaluate_conll_english(conll, args.limit))
    bench = corpus_path("tg_contest2019_ru.jsonl")
    if bench.exists() and args.bench > 0:
        measure_throughput(bench, args.bench)
    for name, target in TARGETS.items():
        value = figures.get(name, 0.0)
        print(f"target {name} >= {target}: {value:.3f} {'met' if value >= target else 'NOT met'}")
    return 0
