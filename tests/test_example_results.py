"""Example results: a clicked example is computed once for every visitor; any other image runs every time."""

import shutil

from core.common.example_results import file_digest, for_examples


def test_an_example_is_computed_once_whatever_copy_of_it_arrives(tmp_path):
    example, other = tmp_path / "cat.png", tmp_path / "mine.png"
    example.write_bytes(b"\x89PNG cat")
    other.write_bytes(b"\x89PNG someone else's photo")
    calls = []

    @for_examples([example])
    def handler(path, level):
        calls.append((path, level))
        return f"result of {level}"

    copy = tmp_path / "gradio-cache" / "abc123" / "cat.png"  # Gradio hands the handler a copy in its cache
    copy.parent.mkdir(parents=True)
    shutil.copy(example, copy)
    assert handler(str(copy), 25) == handler(str(example), 25) == "result of 25"
    assert calls == [(str(example), 25)]  # once, on the example's own file
    handler(str(copy), 50)  # other settings: computed once more
    handler(str(other), 25), handler(str(other), 25)  # an upload: every time, never kept
    assert [c[1] for c in calls] == [25, 50, 25, 25] and calls[-1][0] == str(other)


def test_what_cannot_be_an_example_is_passed_through(tmp_path):
    seen = []
    handler = for_examples([tmp_path / "missing.png"])(lambda path, *rest: seen.append(path))
    handler(None)
    handler(str(tmp_path))  # a folder
    assert seen == [None, str(tmp_path)] and handler.examples == {}
    assert file_digest(tmp_path / "nothing") is None
