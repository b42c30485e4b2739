"""A risky step (⚠, e.g. 上梯作业) and a guide's 识别图 travel in packs, and older packs still read.

Both fields are left out of a record's dictionary at their default (not risky, no 识别图), so a
format-2 pack written by an older app, which has neither, reads exactly as it did, and a guide
that uses neither hashes as before (tests/storage/test_guide_step_migration.py).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from desktop_app.core.errors import ImportRejectedError, ValidationError
from desktop_app.services import catalog as c
from desktop_app.services import pack_format as pf
from desktop_app.services import packs
from desktop_app.services.records import get_record
from desktop_app.storage.kinds import record_to_dict
from desktop_app.storage.library import Library
from tests.services.packkit import add_photo, edit_records, read_members, write_pack


def record_dict(library: Library, kind: str, record_id: str) -> dict[str, Any]:
    with library.session() as s:
        return record_to_dict(kind, get_record(s, kind, record_id))


def risky_guide(library: Library) -> tuple[str, str]:
    """A guide whose first step is risky and whose 识别图 is that step's photo."""
    photo = add_photo(library, b"ladder" * 60, caption="梯子")
    guide_id = c.save_guide(
        library,
        c.GuideData(
            title="高枝修剪",
            safety_notes=["两人扶梯"],
            steps=[
                c.StepData("上梯作业：架好梯子，一人扶梯。", photo_ids=[photo], risky=True),
                c.StepData("剪去过密枝。"),
            ],
            recognition_photo_id=photo,
        ),
    )
    return guide_id, photo


def test_the_guides_dictionary_says_risky_and_recognition_only_when_set(
    demo_library: Library,
) -> None:
    guide_id, photo = risky_guide(demo_library)
    data = c.load_guide(demo_library, guide_id)
    assert data.recognition_photo_id == photo
    assert [s.risky for s in data.steps] == [True, False]
    stored = record_dict(demo_library, "guide", guide_id)
    assert stored["recognition_photo_id"] == photo
    assert stored["steps"][0]["risky"] is True and "risky" not in stored["steps"][1]
    # The 识别图 is a reference like the steps' photos: merge and packs map and carry it.
    assert ("photo", photo) in set(pf.references("guide", stored))
    mapped = pf.map_references("guide", stored, "photo", lambda p: "new-" + p[:8])
    assert mapped["recognition_photo_id"] == "new-" + photo[:8]


def test_an_older_apps_pack_reads_as_not_risky_and_no_recognition_photo(
    demo_library: Library,
) -> None:
    guide_id, _photo = risky_guide(demo_library)
    new = record_dict(demo_library, "guide", guide_id)
    old: dict[str, Any] = copy.deepcopy(new)
    del old["recognition_photo_id"]
    for step in old["steps"]:
        step.pop("risky", None)
    read = pf.normalise_record("guide", old)
    assert "recognition_photo_id" not in read and all("risky" not in s for s in read["steps"])
    # What an explicit default says is what an absent key says: the same dictionary.
    explicit = copy.deepcopy(old)
    explicit["recognition_photo_id"] = None
    for step in explicit["steps"]:
        step["risky"] = False
    assert pf.normalise_record("guide", explicit) == read
    assert pf.normalise_record("guide", copy.deepcopy(new)) == new
    # A value of the wrong type is refused and named.
    bad = copy.deepcopy(new)
    bad["steps"][0]["risky"] = "yes"
    with pytest.raises(pf._Bad) as caught:
        pf.normalise_record("guide", bad)
    assert caught.value.args == ("steps",)


def test_a_recognition_photo_not_on_a_step_is_refused(demo_library: Library) -> None:
    guide_id, _photo = risky_guide(demo_library)
    data = c.load_guide(demo_library, guide_id)
    data.steps[0].photo_ids = []
    with pytest.raises(ValidationError) as caught:
        c.save_guide(demo_library, data, guide_id)
    assert "recognition_photo_id" in caught.value.fields
    stored = record_dict(demo_library, "guide", guide_id)
    stored["steps"][0]["photo_ids"] = []
    with pytest.raises(ImportRejectedError, match="recognition"):
        pf._parse_entry("guide", {"record": stored}, "records/guides.json", 0)


def test_risky_steps_and_the_recognition_photo_travel_in_a_pack(
    demo_library: Library, tmp_path: Path, empty_library: Library
) -> None:
    guide_id, photo = risky_guide(demo_library)
    pack = tmp_path / "guide.jxpack"
    packs.export_pack(demo_library, pack, guides=[guide_id])
    packs.import_pack(empty_library, pack, backup=False)
    there = c.load_guide(empty_library, guide_id)
    assert [s.risky for s in there.steps] == [True, False]
    assert there.recognition_photo_id == photo
    # The same pack as an older app would have written it (no such keys) still imports,
    # as a guide without risky steps or 识别图.
    members = read_members(pack)

    def strip(items: list[Any]) -> None:
        for item in items:
            record = item["record"]
            record.pop("recognition_photo_id", None)
            for step in record["steps"]:
                step.pop("risky", None)

    edit_records(members, "guide", strip)
    old_pack = write_pack(tmp_path / "old.jxpack", members)
    read = pf.read_pack(old_pack)
    try:
        (entry,) = [e for e in read.entries["guide"] if e.id == guide_id]
    finally:
        read.close()
    assert entry.data is not None and "recognition_photo_id" not in entry.data
    assert all("risky" not in step for step in entry.data["steps"])


def test_deleting_the_recognition_photo_says_which_guide_shows_it(demo_library: Library) -> None:
    from desktop_app.services import usage

    _guide_id, photo = risky_guide(demo_library)
    found = usage.usage_of(demo_library, "photo", [photo])
    assert found.count("photo_recognition") == 1 and found.count("photo_guides") == 1
    question = usage.delete_question(demo_library, "photo", [photo], "梯子")
    assert "1 guide has this photo as its recognition photo (识别图): 高枝修剪" in question
