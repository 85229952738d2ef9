"""The recommendation read from the energy summary (what the Compare page asks for) agrees with the
full recommendation over every candidate, on the bundled data, for every group, threshold and
objective; with few candidates to show, its lists are cut but what it shows is the same."""

import pytest

from effdash.candidates import list_groups, list_quality_keys
from effdash.compare import compare
from effdash.recommend import Recommendation
from effdash.shortlist import shortlist

TASK = "text-classification"


def comparisons(session):
    for g in list_groups(session, TASK):
        for key, _ in list_quality_keys(session, TASK):
            for threshold in (0.0, 0.9, 0.93, 1.0):
                for objective in ("params", "energy"):
                    yield dict(task=TASK, threshold=threshold, metric=key.metric, dataset=key.dataset,
                               split=key.split, slice=key.slice, group=g.group, objective=objective)


def same_headline(full: Recommendation, fast: Recommendation) -> None:
    assert fast.recommended == full.recommended
    assert (fast.saving_vs_largest, fast.saving_vs_hungriest) == (full.saving_vs_largest, full.saving_vs_hungriest)
    assert (fast.closest, fast.reason) == (full.closest, full.reason)


def test_the_page_path_gives_the_full_answer_when_everything_fits(reference_store):
    with reference_store.session() as s:
        for wanted in comparisons(s):
            full, fast = compare(s, **wanted).result, compare(s, complete=False, **wanted).result
            same_headline(full, fast)
            assert (fast.candidates, fast.qualifying, fast.excluded) == (full.candidates, full.qualifying, full.excluded)
            assert fast.shown_of == len(full.candidates) + sum(e.candidate.wh_per_1k is None for e in full.excluded)


@pytest.mark.parametrize("shown", [4, 8])
def test_cut_lists_keep_the_recommendation_and_show_real_rows(reference_store, shown):
    with reference_store.session() as s:
        for wanted in comparisons(s):
            cmp = compare(s, **wanted)
            full = cmp.result
            fast = shortlist(s, TASK, cmp.group, cmp.key, cmp.request, cmp.grid, cmp.key.label, shown=shown)
            same_headline(full, fast)
            by_id = {c.model_id: c for c in full.candidates}
            assert all(by_id[c.model_id] == c for c in fast.candidates)  # stars over the whole group
            reasons = {e.candidate.model_id: e.reason for e in full.excluded}
            assert all(reasons[e.candidate.model_id] == e.reason for e in fast.excluded)
            order = [c.model_id for c in full.qualifying]
            assert [c.model_id for c in fast.qualifying] == [m for m in order if m in {c.model_id for c in fast.qualifying}]
            if full.recommended:
                assert fast.qualifying[0] == full.recommended



UNMEASURED_CSV = """model_id,task,hardware,wh_per_1k,quality_metric,quality_value,quality_dataset
org/zeta,text-classification,GPU A,1.0,accuracy,0.95,set
org/mid,text-classification,GPU A,1.1,accuracy,0.90,set
org/alpha,text-classification,GPU A,1.2,accuracy,0.95,set
org/low,text-classification,GPU A,1.3,accuracy,0.70,set
org/measured,text-classification,GPU B,2.0,accuracy,0.85,set
"""


@pytest.mark.parametrize("shown, expected", [(4, ["org/alpha"]), (8, ["org/alpha", "org/zeta"]),
                                             (12, ["org/alpha", "org/mid", "org/zeta"])])
def test_cut_lists_show_the_best_scored_of_the_models_not_measured_in_the_group(store, shown, expected):
    """In the GPU B group, four scored models have no energy figure; with room for shown // 4 of them,
    the page lists the best scored ones (0.95, 0.95, then 0.90; the tie by model id)."""
    from effdash.ingest import import_file
    from effdash.ingest.reading import Upload
    from effdash.methods import ComparisonGroup

    import_file(store, Upload.from_bytes("unmeasured.csv", UNMEASURED_CSV.encode()))
    with store.session() as s:
        group = next(g.group for g in list_groups(s, TASK) if g.group.hardware == "GPU B")
        assert isinstance(group, ComparisonGroup)
        cmp = compare(s, task=TASK, threshold=0.8, metric="accuracy", dataset="set", group=group, complete=False)
        fast = shortlist(s, TASK, group, cmp.key, cmp.request, cmp.grid, cmp.key.label, shown=shown)
    unmeasured = sorted(e.candidate.model_id for e in fast.excluded if e.candidate.wh_per_1k is None)
    assert unmeasured == expected
    assert fast.recommended.model_id == "org/measured"
    assert fast.shown_of == 5
