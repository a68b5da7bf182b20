"""Content keys of the data a step reads: they follow the bytes, within one long-lived process too."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sparsexlt.recipe.inputs import content_hash


def _freeze_mtime(path: Path, ns: int) -> None:
    os.utime(path, ns=(ns, ns))


def test_a_file_edited_inside_a_folder_changes_the_folders_key(tmp_path: Path):
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "train.txt").write_text("alpha\n")
    (folder / "test.txt").write_text("beta\n")
    _freeze_mtime(folder, 1_000_000_000)
    before = content_hash(folder)
    assert content_hash(folder) == before  # memoised, same answer

    (folder / "sub" / "train.txt").write_text("gamma\n")  # same size, new bytes
    _freeze_mtime(folder / "sub" / "train.txt", 2_000_000_000)
    _freeze_mtime(folder, 1_000_000_000)  # the folder's own stat is unchanged
    assert content_hash(folder) != before


def test_a_moved_folder_keeps_its_key(tmp_path: Path):
    folder = tmp_path / "a"
    folder.mkdir()
    (folder / "x.txt").write_text("same bytes\n")
    key = content_hash(folder)
    moved = tmp_path / "b"
    shutil.move(folder, moved)
    assert content_hash(moved) == key
    assert content_hash(moved / "x.txt") != key  # a file hashes its bytes, a folder its tree
