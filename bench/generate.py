"""Deterministic synthetic brief projects for the benchmark (issue #7).

`python bench/generate.py SIZE DEST` writes a complete reportgen project (reportgen.yml,
content/sections/*.md, a CSL-YAML bibliography, CSV/YAML chart data, a copy of templates/)
into DEST. Everything comes from a `random.Random` seeded with the size name, so the same
size always gives byte-identical files: timings compare like with like across runs and
across versions of reportgen.

The prose is lorem-like English (policy vocabulary, varied sentence lengths); the markup
exercises what reportgen parses: every Pandoc citation form we support, author footnotes
with citations inside, `{#sec-...}` ids, `@sec-`/`@fig-` cross-references, the
key-findings box and figures placed with `![...](figures/ID.svg){#ID}`.
"""

from __future__ import annotations

import argparse
import random
import shutil
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KINDS = ("line", "bar", "timeline")
EVENT_KINDS = ("security", "diplomatic", "legal", "economic")


@dataclass(frozen=True)
class Size:
    """How big a generated brief is; `words` per section is tuned so the PDF lands near `pages`."""

    sections: int
    sources: int
    citations: int  # citation clusters in the prose (each becomes one note), author notes included
    charts: int
    words: int
    pages: int  # the target, for the report only


SIZES: dict[str, Size] = {
    "small": Size(sections=6, sources=12, citations=40, charts=3, words=330, pages=10),
    "medium": Size(sections=60, sources=150, citations=400, charts=20, words=440, pages=100),
    "large": Size(sections=240, sources=600, citations=1600, charts=40, words=510, pages=400),
}

# -- vocabulary ------------------------------------------------------------------------------


def _vocabulary(text: str) -> list[str]:
    """Whitespace-separated entries; `_` stands for a space inside one entry."""
    return text.split()


WORDS = _vocabulary("""
the of and to in a that for on with as by was is from at which this it its their were has
had been have not but or an are be they also would could more than after before between
government ministry security alliance treaty border corridor ceasefire agreement policy
region regional state states officials minister parliament election opposition coalition
economy trade exports imports energy pipeline gas railway customs tariffs sanctions market
military forces troops deployment exercise base garrison peacekeepers mission observers
refugees displaced arrivals shelter housing assistance budget funding reconstruction
negotiations talks summit delegation envoy mediation statement declaration communique
dispute claims territory enclave villages district province capital municipal local
public opinion survey support confidence trust decline rise shift turn response reaction
pressure leverage influence dependence guarantee commitment obligation membership bloc
court ruling jurisdiction statute legislation amendment reform constitution referendum
report analysis assessment estimate figures data series account record source evidence
week month year spring summer autumn winter decade period phase stage round episode
significant limited partial gradual sudden lasting uncertain contested formal informal
domestic foreign bilateral multilateral western eastern northern southern neighbouring
strategic economic diplomatic legal political humanitarian institutional practical
announced reported described argued noted warned suggested concluded signed ratified
suspended resumed expanded reduced delayed blocked restored opened closed reviewed
""")

FAMILIES = _vocabulary("""
Abrahamyan Baghdasaryan Markarian Petrosyan Harutyunyan Sargsyan Grigoryan Hakobyan
Avetisyan Mkrtchyan Karapetyan Vardanyan Aliyev Mammadov Huseynov Ivanov Smirnov Kuznetsova
Popova Volkov Novak Fischer Weber Schneider Moreau Laurent Bernard Rossi Ricci Conti Garcia
Martinez Lopez Kowalski Nowak Horvat Jensen Larsen Lindqvist Okafor Mensah Tanaka Sato Chen
Wang Kim Park Novikova Orlov Gallagher Murphy Walsh Thompson Harris Clarke Bennett Foster
""")
GIVEN = _vocabulary("""
Anna Armen Lusine Tigran Gayane Davit Mariam Hovhannes Elena Sergei Olga Dmitri Irina Pavel
Thomas Claire Marco Giulia Sofia Javier Lucia Piotr Katarzyna Lars Ingrid Chidi Ama Yuki
Wei Min-jun Ji-woo Natalia Andrei Siobhan Patrick Sarah James Emily Daniel Laura Richard
""")
INSTITUTIONS = _vocabulary("""
International_Crisis_Group Carnegie_Endowment Chatham_House European_Council_on_Foreign_Relations
Council_of_Europe OSCE_Minsk_Group World_Bank UNHCR International_Monetary_Fund
Stockholm_International_Peace_Research_Institute Eurasianet Caucasus_Research_Resource_Centers
""")
OUTLETS = _vocabulary("""
Reuters Associated_Press Agence_France-Presse TASS RIA_Novosti Interfax Azatutyun Armenpress
The_Guardian Financial_Times The_Economist Politico_Europe Foreign_Policy Newsweek
Al_Jazeera Daily_Sabah The_Moscow_Times Meduza OC_Media JAMnews Civilnet
""")
JOURNALS = _vocabulary("""
Europe-Asia_Studies Caucasus_Survey Post-Soviet_Affairs Survival International_Affairs
Journal_of_Democracy Nationalities_Papers Security_Dialogue Problems_of_Post-Communism
""")
PLACES = _vocabulary("""
Yerevan Gyumri Stepanakert Lachin Goris Kapan Syunik Tavush Baku Moscow Tbilisi Brussels
Ankara Tehran Washington Vienna Geneva Minsk Astana Sochi
""")


def _u(token: str) -> str:
    return token.replace("_", " ")


# -- text ------------------------------------------------------------------------------------


class Prose:
    """Sentences and paragraphs of plausible length from a seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def words(self, n: int) -> list[str]:
        return [self.rng.choice(WORDS) for _ in range(n)]

    def sentence(self) -> str:
        # A mix of short, medium and long sentences, like edited analytical prose.
        n = self.rng.choice((6, 9, 12, 14, 17, 20, 24, 28, 34))
        words = self.words(n)
        if self.rng.random() < 0.35:  # a proper noun or a number, as briefs have
            words[self.rng.randrange(1, n)] = self.rng.choice(
                [*PLACES, f"{self.rng.randint(2, 98)} per cent", str(self.rng.randint(1991, 2025))]
            )
        if n > 14 and self.rng.random() < 0.4:
            words[n // 2] += ","
        text = " ".join(words)
        return text[0].upper() + text[1:]

    def title(self, lo: int = 2, hi: int = 6) -> str:
        words = [w for w in self.words(self.rng.randint(lo, hi)) if len(w) > 3] or ["policy"]
        if self.rng.random() < 0.5:
            words.insert(0, self.rng.choice(PLACES))
        return " ".join(w.capitalize() for w in words)


# -- bibliography ----------------------------------------------------------------------------


def _person(rng: random.Random) -> dict[str, str]:
    return {"family": rng.choice(FAMILIES), "given": rng.choice(GIVEN)}


def bibliography(rng: random.Random, prose: Prose, count: int) -> list[dict]:
    """`count` CSL items of mixed types, with unique keys like `petrosyan2023b`."""
    items: list[dict] = []
    seen: set[str] = set()
    makers: list[Callable[[], dict]] = [
        lambda: {"type": "article-newspaper", "container-title": _u(rng.choice(OUTLETS))},
        lambda: {"type": "article-journal", "container-title": _u(rng.choice(JOURNALS)),
                 "volume": rng.randint(10, 80), "issue": rng.randint(1, 6),
                 "page": f"{(p := rng.randint(1, 600))}-{p + rng.randint(8, 30)}"},
        lambda: {"type": "report", "publisher": _u(rng.choice(INSTITUTIONS)), "number": str(rng.randint(100, 400))},
        lambda: {"type": "webpage", "container-title": _u(rng.choice(INSTITUTIONS))},
        lambda: {"type": "book", "publisher": rng.choice(("Routledge", "Oxford University Press", "I.B. Tauris",
                                                          "Palgrave Macmillan", "Cambridge University Press")),
                 "publisher-place": rng.choice(("London", "Oxford", "New York", "Cambridge"))},
        lambda: {"type": "article-magazine", "container-title": _u(rng.choice(OUTLETS))},
    ]
    for _ in range(count):
        item = rng.choice(makers)()
        year = rng.randint(2008, 2025)
        if item["type"] in ("report", "webpage") and rng.random() < 0.5:
            author = [{"literal": _u(rng.choice(INSTITUTIONS))}]
            stem = author[0]["literal"].split()[0].lower()
        elif item["type"] == "article-newspaper" and rng.random() < 0.4:
            author, stem = [], item["container-title"].split()[0].lower()
        else:
            author = [_person(rng) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
            stem = author[0]["family"].lower()
        key = f"{stem}{year}"
        suffix = 0
        while key in seen:
            suffix += 1
            key = f"{stem}{year}{chr(ord('a') + suffix % 26)}{suffix // 26 or ''}"
        seen.add(key)
        date = [year, rng.randint(1, 12), rng.randint(1, 28)] if item["type"] != "book" else [year]
        entry = {"id": key, **item, "title": prose.title(3, 9)}
        if author:
            entry["author"] = author
        entry["issued"] = {"date-parts": [date]}
        if item["type"] in ("webpage", "article-newspaper", "report", "article-magazine"):
            entry["URL"] = f"https://example.org/{stem}/{year}/{rng.randint(1000, 99999)}"
        if item["type"] == "webpage":
            entry["accessed"] = {"date-parts": [[2025, rng.randint(1, 12), rng.randint(1, 28)]]}
        items.append(entry)
    return items


def _yaml_scalar(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def bibliography_yaml(items: list[dict]) -> str:
    """CSL-YAML as Zotero/Better BibTeX write it (flow mappings for names and dates)."""
    lines = ["references:"]
    for item in items:
        lines.append(f"- id: {item['id']}")
        for key, value in item.items():
            if key == "id":
                continue
            if key == "author":
                names = ", ".join("{" + ", ".join(f"{k}: {_yaml_scalar(v)}" for k, v in a.items()) + "}" for a in value)
                lines.append(f"  author: [{names}]")
            elif isinstance(value, dict):  # issued / accessed
                parts = ", ".join(str(p) for p in value["date-parts"][0])
                lines.append(f"  {key}: {{date-parts: [[{parts}]]}}")
            else:
                lines.append(f"  {key}: {_yaml_scalar(value)}")
    return "\n".join(lines) + "\n"


# -- charts ----------------------------------------------------------------------------------


@dataclass
class Chart:
    id: str
    kind: str
    title: str
    data_name: str
    data: str
    keys: list[str]


def make_chart(rng: random.Random, prose: Prose, index: int, keys: list[str]) -> Chart:
    kind = KINDS[index % len(KINDS)]
    cid = f"fig-{kind}-{index + 1:02d}"
    sources = rng.sample(keys, k=min(len(keys), rng.randint(2, 4)))
    title = prose.title(3, 7)
    if kind == "line":
        year, value = rng.randint(2015, 2023), rng.randint(100, 5000)
        rows = ["date,value,source"]
        for step in range(rng.randint(8, 16)):
            value += rng.randint(0, 4000)
            rows.append(f"{year + step // 12}-{step % 12 + 1:02d}-01,{value},{rng.choice(sources)}")
        return Chart(cid, kind, title, f"{cid}.csv", "\n".join(rows) + "\n", sources)
    if kind == "bar":
        rows = ["label,value,source"]
        for _ in range(rng.randint(4, 8)):
            rows.append(f'"{prose.title(1, 3)}",{rng.randint(50, 9000)},{rng.choice(sources)}')
        return Chart(cid, kind, title, f"{cid}.csv", "\n".join(rows) + "\n", sources)
    rows = []
    for _ in range(rng.randint(6, 12)):
        date = rng.choice((f"{rng.randint(1992, 2025)}", f"{rng.randint(1992, 2025)}-{rng.randint(1, 12):02d}",
                           f"{rng.randint(1992, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"))
        label = prose.title(2, 5).replace('"', "")
        rows.append(f'- {{date: {date}, label: "{label}", kind: {rng.choice(EVENT_KINDS)}, source: {rng.choice(sources)}}}')
    return Chart(cid, kind, title, f"{cid}.yaml", "\n".join(rows) + "\n", sources)


def chart_config(chart: Chart) -> str:
    lines = [f"  - id: {chart.id}", f"    kind: {chart.kind}", f"    data: content/data/{chart.data_name}",
             f"    title: {_yaml_scalar(chart.title)}"]
    if chart.kind == "line":
        lines += ["    x: date", "    y: value", '    x_label: "Date"', '    y_label: "Count"']
    elif chart.kind == "bar":
        lines += ["    x: label", "    y: value", '    y_label: "Value"']
    return "\n".join(lines)


# -- sections --------------------------------------------------------------------------------


class CitationDeck:
    """Hands out citation keys: every source once (shuffled), then at random."""

    def __init__(self, rng: random.Random, keys: list[str]) -> None:
        self.rng = rng
        self.unused = list(keys)
        rng.shuffle(self.unused)
        self.keys = keys

    def key(self) -> str:
        return self.unused.pop() if self.unused else self.rng.choice(self.keys)


class SectionWriter:
    """Writes one section's Markdown with a fixed number of citation clusters."""

    def __init__(self, rng: random.Random, prose: Prose, deck: CitationDeck) -> None:
        self.rng = rng
        self.prose = prose
        self.deck = deck

    def cluster(self, note_id: str, notes: list[str]) -> str:
        """One citation in one of the Pandoc forms, weighted as briefs use them."""
        rng, key = self.rng, self.deck.key
        form = rng.random()
        if form < 0.38:
            return f" [@{key()}]"
        if form < 0.56:
            return f" [@{key()}, {rng.choice((str(rng.randint(2, 240)), f'{(p := rng.randint(2, 200))}-{p + 3}'))}]"
        if form < 0.70:
            return f" [see @{key()}, {rng.randint(2, 90)}; @{key()}]"
        if form < 0.76:
            return f" [@{key()}; @{key()}; @{key()}]"
        if form < 0.88:
            return f"\x00@{key()}"  # in-text: placed at the start of the sentence below
        # An author footnote with a citation inside.
        notes.append(f"[^{note_id}]: {self.prose.sentence()}, as discussed in [@{key()}, {rng.randint(3, 60)}].")
        return f"[^{note_id}]"

    def paragraph(self, words: int, cites: int, refs: list[str], tag: str, notes: list[str]) -> tuple[str, int]:
        """A paragraph of about `words` words carrying `cites` clusters; `refs` are @sec-/@fig- targets."""
        sentences: list[str] = []
        total = 0
        while total < words:
            sentences.append(self.prose.sentence())
            total += len(sentences[-1].split())
        slots = sorted(self.rng.sample(range(len(sentences)), k=min(cites, len(sentences))))
        for number, index in enumerate(slots):
            cite = self.cluster(f"{tag}n{number}", notes)
            if cite.startswith("\x00"):
                body = sentences[index][0].lower() + sentences[index][1:]
                sentences[index] = f"{cite[1:]} {self.rng.choice(('argues that', 'reports that', 'notes that'))} {body}."
            else:
                sentences[index] += ("." + cite) if cite.startswith("[^") else (cite + ".")
        for index in range(len(sentences)):
            if not sentences[index].endswith((".", "]")):
                sentences[index] += "."
        for ref in refs:  # cross-references, as analysts write them
            phrase = self.rng.choice(("As set out in @{}, the background matters here.", "The figures are discussed in @{}.",
                                      "This repeats a pattern traced in @{}."))
            sentences.insert(self.rng.randrange(len(sentences) + 1), phrase.format(ref))
        return " ".join(sentences), len(slots)

    def section(self, number: int, sid: str, words: int, cites: int, charts: list[Chart],
                earlier: list[str], first: bool) -> str:
        parts = [f"# {self.prose.title()} {{#{sid}}}", ""]
        notes: list[str] = []
        if first:
            parts += ["::: {.key-findings}"]
            for _ in range(4):
                parts.append(f"- {self.prose.sentence()} [@{self.deck.key()}].")
            parts += [":::", ""]
            cites = max(cites - 4, 0)
        paragraphs = max(2, round(words / 90))
        per_par = [cites // paragraphs + (1 if i < cites % paragraphs else 0) for i in range(paragraphs)]
        sub = 0
        for index, count in enumerate(per_par):
            if index and index % 4 == 0:  # a subsection every few paragraphs
                sub += 1
                parts += [f"## {self.prose.title(2, 4)} {{#{sid}-{sub}}}", ""]
            refs = []
            if earlier and self.rng.random() < 0.15:
                refs.append(self.rng.choice(earlier))
            text, _ = self.paragraph(self.rng.randint(int(words / paragraphs * 0.6), int(words / paragraphs * 1.4)),
                                     count, refs, f"s{number}p{index}", notes)
            parts += [text, ""]
            if index < len(charts):
                chart = charts[index]
                parts += [f"As @{chart.id} shows, {self.prose.sentence().lower()}.", "",
                          f"![{self.prose.sentence()}.](figures/{chart.id}.svg){{#{chart.id}}}", ""]
        parts += notes
        return "\n".join(parts).rstrip() + "\n"


# -- the project -----------------------------------------------------------------------------


def _spread(total: int, bins: int, rng: random.Random) -> list[int]:
    """`total` split over `bins`, roughly even with some jitter."""
    base = [total // bins + (1 if i < total % bins else 0) for i in range(bins)]
    for _ in range(bins):
        a, b = rng.randrange(bins), rng.randrange(bins)
        if base[a] > 1:
            base[a] -= 1
            base[b] += 1
    return base


def config_yaml(name: str, sections: list[str], charts: list[Chart]) -> str:
    section_lines = "\n".join(f"  - content/sections/{s}" for s in sections)
    chart_lines = "\n".join(chart_config(c) for c in charts)
    return f"""\
# Generated by bench/generate.py ({name}); deterministic, do not edit.
title: "Synthetic Brief ({name}): The Corridor, the Alliance and the Border"
subtitle: "A generated policy brief for benchmarking reportgen"
short_title: "Synthetic Brief ({name})"
authors:
  - name: Benchmark Desk
    affiliation: reportgen
organisation: reportgen Benchmarks
date: 2026-11-22
language: en-US
keywords: [benchmark, synthetic, {name}]
abstract: >-
  A synthetic brief generated for issue #7's benchmark: lorem-like prose with citations in
  every supported form, footnotes, cross-references and charts.
sections:
{section_lines}
bibliography: content/references.yaml
csl: chicago-notes-bibliography
charts:
{chart_lines}
outputs: [pdf, docx]
output_name: bench-{name}
"""


def generate(name: str, dest: Path, size: Size | None = None) -> Path:
    """Write the project for size `name` into `dest` (created; existing files overwritten)."""
    size = size or SIZES[name]
    rng = random.Random(zlib.crc32(name.encode()))  # same name, same bytes
    prose = Prose(rng)
    items = bibliography(rng, prose, size.sources)
    keys = [item["id"] for item in items]
    charts = [make_chart(rng, prose, i, keys) for i in range(size.charts)]
    deck = CitationDeck(rng, keys)
    writer = SectionWriter(rng, prose, deck)
    chart_slots = _spread(size.charts, size.sections, rng) if size.charts < size.sections else [1] * size.sections
    cites = _spread(size.citations, size.sections, rng)
    files: dict[str, str] = {"content/references.yaml": bibliography_yaml(items)}
    names: list[str] = []
    sids = [f"sec-{i + 1:03d}" for i in range(size.sections)]
    chart_iter = iter(charts)
    for i in range(size.sections):
        placed = [c for c in (next(chart_iter, None) for _ in range(chart_slots[i])) if c]
        words = rng.randint(int(size.words * 0.7), int(size.words * 1.3))
        text = writer.section(i + 1, sids[i], words, cites[i], placed, sids[:i], first=i == 0)
        names.append(f"{i + 1:03d}-section.md")
        files[f"content/sections/{names[-1]}"] = text
    for chart in charts:
        files[f"content/data/{chart.data_name}"] = chart.data
    files["reportgen.yml"] = config_yaml(name, names, charts)
    for rel, text in files.items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    shutil.copytree(REPO / "templates", dest / "templates", dirs_exist_ok=True)
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", choices=sorted(SIZES))
    parser.add_argument("dest", type=Path)
    args = parser.parse_args()
    generate(args.size, args.dest)
    print(args.dest)


if __name__ == "__main__":
    main()
