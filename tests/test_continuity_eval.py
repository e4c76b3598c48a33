"""`writersroom eval continuity`: the rules measured on the labeled set of planted errors."""

from __future__ import annotations

import json

from conftest import wr

from writersroom.evals.continuity_eval import TYPES, cases


def test_the_set_is_labeled_and_covers_every_rule() -> None:
    labeled = cases()
    planted = [e["kind"] for c in labeled for e in c["errors"]]
    assert set(planted) == set(TYPES)
    assert all(planted.count(kind) >= 4 for kind in TYPES)
    assert sum(1 for c in labeled if not c["errors"]) >= 12
    assert {c["source"][:7] for c in labeled} == {"script_"}  # DramaBench excerpts


def test_the_command_reports_precision_and_recall_and_a_clean_clean_set() -> None:
    result = wr("eval", "continuity", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["errors_on_clean_scripts"] == []
    assert set(report["per_type"]) == set(TYPES)
    for kind, row in report["per_type"].items():
        assert row["planted"] >= 4, kind
        assert row["precision"] >= 0.9 and row["recall"] >= 0.75, (kind, row)
    table = wr("eval", "continuity")
    assert "Errors on the clean scripts: 0" in table.stdout
    assert "name_drift" in table.stdout and "Precision" in table.stdout
