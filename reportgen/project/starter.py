"""`reportgen init`: a small project that builds at once, to start a brief from.

Two sections with citations and a cross-reference, a chart drawn from a CSV file whose rows
name their sources, and a bibliography of plainly invented example sources (example.org
addresses, "Example" authors), so nothing in it passes for a real reference.
"""

from __future__ import annotations

from pathlib import Path

from reportgen.document.model import Location
from reportgen.errors import ReportgenError

STARTER: dict[str, str] = {
    "reportgen.yml": """\
# reportgen project config: metadata, section order, sources, charts, outputs.
title: "Example Brief: Water Use in Exampleland"
subtitle: A starting point; replace every word of it
authors:
  - name: Ada Example
    affiliation: Example Institute
organisation: Example Institute
language: en-US
keywords: [example, water]
abstract: >-
  A two-section brief that shows how reportgen cites sources, draws a chart from data
  and places notes and a bibliography.
sections:
  - content/sections/01-summary.md
  - content/sections/02-trends.md
bibliography: content/references.yaml
csl: chicago-notes-bibliography
charts:
  - id: fig-use
    kind: bar
    data: content/data/water-use.csv
    x: year
    y: litres_per_day
    title: Household water use in Exampleland
    y_label: Litres per person per day
outputs: [pdf, docx]
output_name: example-brief
""",
    "content/sections/01-summary.md": """\
# Summary {#sec-summary}

::: {.key-findings}
- Household water use fell by about a fifth over four years [@example2024survey].
- Two readings of the fall compete: efficiency or prices [@sample2023prices; @example2024survey].
:::

This brief is an example: its sources are invented, and so are its numbers. It shows the
forms a brief uses: a citation [@sample2023prices, 12], a note of the author's own,[^own]
and a cross-reference to @sec-trends.

[^own]: An author's note, numbered with the citations; it can cite too [@placeholder2022].
""",
    "content/sections/02-trends.md": """\
# Trends {#sec-trends}

@example2024survey reports that use fell from 150 to 121 litres a day between 2020 and
2024, as @fig-use shows.

![Household water use, litres per person per day.](figures/fig-use.svg){#fig-use}

Another reading credits higher prices rather than better appliances [@sample2023prices].
""",
    "content/references.yaml": """\
# CSL-YAML; a CSL-JSON, BibTeX or BibLaTeX file does as well. These sources are invented.
references:
- id: example2024survey
  type: report
  title: Household Water Survey of Exampleland
  author: [{family: Example, given: Ada}]
  publisher: Example Institute
  issued: {date-parts: [[2024, 3, 1]]}
  URL: https://example.org/water-survey
- id: sample2023prices
  type: article-journal
  title: Prices and Water Use in an Example Economy
  author: [{family: Sample, given: Sam}, {family: Placeholder, given: Pat}]
  container-title: Journal of Examples
  volume: 7
  page: 10-24
  issued: {date-parts: [[2023]]}
- id: placeholder2022
  type: webpage
  title: Saving Water at Home, an Example Guide
  author: [{literal: Example Water Office}]
  issued: {date-parts: [[2022, 6, 15]]}
  URL: https://example.org/guide
""",
    "content/data/water-use.csv": """\
year,litres_per_day,source
2020,150,example2024survey
2021,142,example2024survey
2022,133,example2024survey
2023,126,example2024survey
2024,121,example2024survey
""",
    ".gitignore": "build/\n.reportgen/\nfigures/*.svg\nfigures/*.png\n",
}


def write_starter(directory: Path) -> list[Path]:
    """Write the starter project into `directory`; refuse if any of its files exists."""
    existing = [name for name in STARTER if (directory / name).exists()]
    if existing:
        raise ReportgenError("already exists; reportgen init writes only where none of its files are",
                             Location(directory / existing[0]))
    written = []
    for name, text in STARTER.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as file:  # "x": never replace a file made meanwhile
            file.write(text)
        written.append(path)
    return written
