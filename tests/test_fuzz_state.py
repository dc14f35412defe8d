"""Property tests for what reportgen keeps between runs and what the sources check reads:
whatever bytes the state files hold and whatever a bibliography gives as a URL or a date,
reading them never raises (a warning and a fresh start), and the URL check never crashes.

The default profile runs a few dozen examples each; `--hypothesis-profile=fuzz` thousands.
"""

from __future__ import annotations

import json

from hypothesis import example, given
from hypothesis import strategies as st

from reportgen.pipeline.history import read_entries
from reportgen.pipeline.manifest import Digests, Manifest
from reportgen.project.config import BCP47
from reportgen.project.csl_dates import date_problems
from reportgen.sources.check import _http_url, read_lock

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
LOCK_KEYS = ["status", "redirect", "final_url", "etag", "last_modified", "sha256", "truncated", "checked_at", "keys"]


def lock_like() -> st.SearchStrategy[bytes]:
    """Lock files near the real shape: records whose fields take any JSON value."""
    record = st.dictionaries(st.sampled_from(LOCK_KEYS), JSON, max_size=6)
    lock = st.fixed_dictionaries({"version": st.sampled_from([1, 1, 2, "1"]),
                                  "sources": st.dictionaries(st.text(max_size=30), record | JSON, max_size=3)})
    return st.one_of(lock.map(lambda d: json.dumps(d).encode()), JSON.map(lambda d: json.dumps(d).encode()),
                     st.binary(max_size=200))


def manifest_like() -> st.SearchStrategy[bytes]:
    target = st.fixed_dictionaries({"inputs": st.dictionaries(st.text(max_size=8), JSON, max_size=3),
                                    "outputs": st.dictionaries(st.text(max_size=8), JSON, max_size=3)})
    manifest = st.fixed_dictionaries({
        "version": st.sampled_from([1, 1, 2]), "config": JSON, "default_formats": JSON | st.just(["pdf"]),
        "formats": st.dictionaries(st.text(max_size=8), JSON, max_size=2),
        "targets": st.dictionaries(st.sampled_from(["pdf:build/x.pdf", "chart:fig-a", "docx"]), target | JSON, max_size=3),
    })
    return st.one_of(manifest.map(lambda d: json.dumps(d).encode()), st.binary(max_size=200))


@given(lock_like())
@example(b'{"version": 1, "sources": {"http://x/": {"etag": "\\u00e8tag", "status": true}}}')
@example(b"\xef\xbb\xbf{}")
def test_any_lock_file_reads_or_warns(tmp_path_factory, data: bytes) -> None:
    root = tmp_path_factory.mktemp("lock")
    (root / "sources.lock.json").write_bytes(data)
    records, warnings = read_lock(root / "sources.lock.json", root)
    assert isinstance(records, dict) and all(isinstance(r, dict) for r in records.values())
    assert all(w.startswith("sources.lock.json") and ": warning: " in w for w in warnings)


@given(manifest_like())
def test_any_manifest_loads_or_starts_afresh(tmp_path_factory, data: bytes) -> None:
    root = tmp_path_factory.mktemp("manifest")
    (root / ".reportgen").mkdir()
    (root / ".reportgen" / "manifest.json").write_bytes(data)
    manifest = Manifest.load(root)
    assert not manifest.problem or not (manifest.targets or manifest.formats), "a damaged manifest loads nothing"
    manifest.quick_changes("build", None, Digests(root))  # what a build does first; must not raise
    for name in list(manifest.targets):
        manifest.changes(name, {"x": "y"}, Digests(root))


@given(st.lists(st.one_of(JSON.map(lambda d: json.dumps(d).encode()), st.binary(max_size=60)), max_size=6))
def test_any_history_reads(tmp_path_factory, lines: list[bytes]) -> None:
    root = tmp_path_factory.mktemp("history")
    (root / ".reportgen").mkdir()
    (root / ".reportgen" / "history.jsonl").write_bytes(b"\n".join(lines))
    entries, damaged = read_entries(root)
    assert all(isinstance(e, dict) and isinstance(e["time"], str) for e in entries)
    assert all(isinstance(n, int) for n in damaged)


@given(st.one_of(st.text(max_size=60), st.builds(lambda h: f"http://{h}/", st.text(max_size=40)), JSON))
@example("http://www..example.com/")
@example("http://xn--a.com/")
@example("http://[::1/")
@example("https://\u0080.example/")
def test_any_url_value_is_fetched_or_skipped_with_a_reason(value: object) -> None:
    url, reason = _http_url(value)
    assert (url is None) == bool(reason)


@given(st.dictionaries(st.sampled_from(["issued", "accessed", "title"]),
                       st.fixed_dictionaries({"date-parts": JSON}) | JSON, max_size=3))
@example({"issued": {"date-parts": [[99999999999999999999, 13, 45]]}})
@example({"issued": {"date-parts": [["-0", "1", "1"]]}})
def test_any_date_is_checked_without_raising(item: dict) -> None:
    for field, problem in date_problems(item):
        assert field in item and problem


@given(st.text(max_size=30))
def test_a_language_tag_is_a_tag(text: str) -> None:
    if BCP47.fullmatch(text):
        assert all(c.isascii() and (c.isalnum() or c == "-") for c in text)
