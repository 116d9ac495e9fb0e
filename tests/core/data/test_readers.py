"""Reading user files: every bad input is a DataError that names the file (and line) and says what to do."""

from __future__ import annotations

import pytest

from rnnviz.core.data.readers import decode_text, parse_pairs, read_pairs, read_text
from rnnviz.core.errors import DataError, RnnvizError


def _write(tmp_path, name: str, data: bytes | str):
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="")
    else:
        path.write_bytes(data)
    return path


def _error(func, *args) -> str:
    with pytest.raises(DataError) as info:
        func(*args)
    assert isinstance(info.value, RnnvizError)
    return str(info.value)


# --- plain text ----------------------------------------------------------------------


def test_reads_utf8_text(tmp_path):
    path = _write(tmp_path, "story.txt", "Été à Paris\nline two\n")
    assert read_text(path) == "Été à Paris\nline two\n"
    assert read_text(str(path)) == "Été à Paris\nline two\n"


def test_utf8_bom_is_stripped(tmp_path):
    path = _write(tmp_path, "bom.txt", b"\xef\xbb\xbfHello world\n")
    assert read_text(path) == "Hello world\n"


def test_missing_file_names_it_and_says_to_check_the_path(tmp_path):
    path = tmp_path / "nowhere.txt"
    message = _error(read_text, path)
    assert str(path) in message
    assert "no such file" in message and "check the path" in message.lower()


def test_folder_is_refused_with_its_name(tmp_path):
    folder = tmp_path / "corpora"
    folder.mkdir()
    message = _error(read_text, folder)
    assert str(folder) in message and "folder" in message


def test_zero_byte_file_is_empty(tmp_path):
    path = _write(tmp_path, "zero.txt", b"")
    message = _error(read_text, path)
    assert str(path) in message and "empty" in message


@pytest.mark.parametrize("data", [b"   \n\t\n\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf \n"])
def test_whitespace_only_file_is_empty(tmp_path, data):
    path = _write(tmp_path, "blank.txt", data)
    message = _error(read_text, path)
    assert "blank.txt" in message and "empty" in message


def test_binary_file_is_refused(tmp_path):
    path = _write(tmp_path, "model.bin", b"PK\x03\x04\x00\x00\x08\x00binary junk")
    message = _error(read_text, path)
    assert str(path) in message
    assert "binary" in message and "plain-text" in message


def test_utf16_file_is_refused_with_advice_to_save_as_utf8(tmp_path):
    path = _write(tmp_path, "windows.txt", "Go.\tVa !\n".encode("utf-16"))
    message = _error(read_text, path)
    assert "windows.txt" in message and "UTF-8" in message


def test_non_utf8_names_line_and_column_of_the_bad_byte(tmp_path):
    path = _write(tmp_path, "latin1.txt", "first line\nsecond\ntrès bien\n".encode("latin-1"))
    message = _error(read_text, path)
    assert str(path) in message
    assert "UTF-8" in message
    assert "line 3" in message and "column 3" in message  # the è of "très"
    assert "0xe8" in message


def test_non_utf8_column_counts_characters_as_an_editor_does(tmp_path):
    # A UTF-8 file with one Windows-1252 apostrophe (0x92) after accented letters.
    path = _write(tmp_path, "fr.txt", "Go.\tVa !\n".encode() + "Ça a été".encode() + b"\x92s\n")
    message = _error(read_text, path)
    assert "line 2" in message and "column 9" in message and "0x92" in message


def test_non_utf8_on_the_first_line(tmp_path):
    path = _write(tmp_path, "cp1252.txt", b"caf\xe9\n")
    message = _error(read_text, path)
    assert "line 1" in message and "column 4" in message


def test_decode_text_uses_the_given_name():
    message = _error(decode_text, b"ok\n\xff", "my corpus")
    assert message.startswith("my corpus") and "line 2" in message and "column 1" in message


# --- sentence pairs ------------------------------------------------------------------


def test_reads_the_books_pairs(tmp_path):
    path = _write(tmp_path, "fra.txt", "Go.\tVa !\nHi.\tSalut !\nRun!\tCours\u202f!\n")
    assert read_pairs(path) == [("Go.", "Va !"), ("Hi.", "Salut !"), ("Run!", "Cours\u202f!")]


def test_manythings_attribution_column_is_ignored(tmp_path):
    path = _write(
        tmp_path,
        "fra.txt",
        "Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM) & #1158250 (Wittydev)\n"
        "Hi.\tSalut !\tCC-BY 2.0 (France) Attribution: tatoeba.org #538123 (CM) & #509819 (Aiji)\n",
    )
    assert read_pairs(path) == [("Go.", "Va !"), ("Hi.", "Salut !")]


def test_crlf_bom_blank_lines_and_surrounding_spaces_are_tolerated(tmp_path):
    path = _write(tmp_path, "win.tsv", b"\xef\xbb\xbfGo.\tVa !\r\n\r\n  Hi. \t Salut !  \r\n")
    assert read_pairs(path) == [("Go.", "Va !"), ("Hi.", "Salut !")]


def test_line_without_tab_is_named_by_number(tmp_path):
    path = _write(tmp_path, "pairs.tsv", "Go.\tVa !\nHi.\tSalut !\n\nRun!    Cours !\nWow!\tÇa alors !\n")
    message = _error(read_pairs, path)
    assert str(path) in message
    assert "line 4" in message  # blank line 3 still counts
    assert "TAB" in message


def test_line_numbers_count_only_real_line_ends(tmp_path):
    # A sentence with U+2028 (line separator) or a form feed is still one line of the file.
    text = "Go.\tVa !\nOne\u2028two.\tUn\u2028deux.\nPage\x0cbreak.\tSaut.\nbroken line\n"
    path = _write(tmp_path, "odd.tsv", text)
    message = _error(read_pairs, path)
    assert "line 4" in message
    assert parse_pairs(text.rsplit("broken", 1)[0], "odd") == [
        ("Go.", "Va !"), ("One\u2028two.", "Un\u2028deux."), ("Page\x0cbreak.", "Saut."),
    ]


def test_empty_source_is_named(tmp_path):
    path = _write(tmp_path, "pairs.tsv", "Go.\tVa !\n\tSalut !\n")
    message = _error(read_pairs, path)
    assert str(path) in message and "line 2" in message and "source" in message


@pytest.mark.parametrize("line", ["Hi.\t", "Hi.\t   ", "Hi.\t\tCC-BY 2.0"])
def test_empty_target_is_named(tmp_path, line):
    path = _write(tmp_path, "pairs.tsv", f"Go.\tVa !\nRun!\tCours !\n{line}\n")
    message = _error(read_pairs, path)
    assert str(path) in message and "line 3" in message and "target" in message


def test_file_with_no_pairs_at_all(tmp_path):
    message = _error(parse_pairs, "\n \n\t\n", "blank.tsv")
    assert "blank.tsv" in message


def test_messages_say_what_a_pair_line_looks_like(tmp_path):
    message = _error(parse_pairs, "just a sentence", "notes.tsv")
    assert message.startswith("notes.tsv, line 1")
    assert "source sentence, a TAB" in message


def test_read_pairs_checks_the_file_first(tmp_path):
    message = _error(read_pairs, tmp_path / "missing.tsv")
    assert "missing.tsv" in message
    path = _write(tmp_path, "latin1.tsv", "Go.\tVa !\nSummer.\tÉté.\n".encode("latin-1"))
    message = _error(read_pairs, path)
    assert "line 2" in message and "column 9" in message and "UTF-8" in message
