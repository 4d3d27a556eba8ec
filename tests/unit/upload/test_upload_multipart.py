"""multipart/form-data parsing for POST /v1/upload: fields, limits while parsing, and malformed forms."""

from __future__ import annotations

import pytest

from cveval_upload.domain.errors import BadForm, FileTooLarge
from cveval_upload.domain.multipart_form import MultipartFormReader, parse_multipart, require_fields
from tests.fixtures.documents import SAMPLE_CV, make_multipart, make_pdf, make_txt

MIB = 1024 * 1024


def test_two_files_are_parsed() -> None:
    pdf = make_pdf(SAMPLE_CV)
    body, content_type = make_multipart(
        {"cv": ("cv.pdf", "application/pdf", pdf), "project": ("report.txt", "text/plain", b"report\r\n--x")}
    )
    form = parse_multipart(body, content_type, max_file_bytes=MIB)
    require_fields(form, ("cv", "project"))
    assert form["cv"].data == pdf
    assert form["cv"].filename == "cv.pdf"
    assert form["cv"].content_type == "application/pdf"
    assert form["project"].data == b"report\r\n--x"
    assert form["project"].field == "project"


def test_chunked_feeding_gives_the_same_result() -> None:
    body, content_type = make_multipart({"cv": ("cv.txt", "text/plain", make_txt(SAMPLE_CV))})
    reader = MultipartFormReader(content_type, max_file_bytes=MIB)
    for start in range(0, len(body), 7):
        reader.feed(body[start : start + 7])
    assert reader.finish()["cv"].data == make_txt(SAMPLE_CV)


def test_per_file_limit_is_enforced_while_parsing() -> None:
    body, content_type = make_multipart(
        {"cv": ("cv.txt", "text/plain", b"a" * 100), "project": ("p.txt", "text/plain", b"b" * (MIB + 1))}
    )
    with pytest.raises(FileTooLarge) as caught:
        parse_multipart(body, content_type, max_file_bytes=MIB)
    assert caught.value.field == "project"
    assert "'project'" in caught.value.message
    assert "1 MiB" in caught.value.message


def test_file_exactly_at_the_limit_is_accepted() -> None:
    body, content_type = make_multipart({"cv": ("cv.txt", "text/plain", b"a" * 1000)})
    assert len(parse_multipart(body, content_type, max_file_bytes=1000)["cv"].data) == 1000


def test_missing_field_is_bad_form() -> None:
    body, content_type = make_multipart({"cv": ("cv.txt", "text/plain", b"cv")})
    form = parse_multipart(body, content_type, max_file_bytes=MIB)
    with pytest.raises(BadForm, match="missing form field 'project'") as caught:
        require_fields(form, ("cv", "project"))
    assert caught.value.code == "BAD_FORM"
    assert caught.value.http_status == 400


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; charset=utf-8"],
)
def test_no_boundary_is_bad_form(content_type: str) -> None:
    with pytest.raises(BadForm, match="no boundary"):
        parse_multipart(b"--x\r\n", content_type, max_file_bytes=MIB)


@pytest.mark.parametrize("content_type", ["application/json", "", "text/plain; boundary=x"])
def test_not_multipart_is_bad_form(content_type: str) -> None:
    with pytest.raises(BadForm, match="expected a multipart/form-data request"):
        parse_multipart(b"{}", content_type, max_file_bytes=MIB)


def test_overlong_boundary_is_bad_form() -> None:
    with pytest.raises(BadForm, match="boundary is invalid"):
        parse_multipart(b"", "multipart/form-data; boundary=" + "b" * 71, max_file_bytes=MIB)


def test_body_not_matching_boundary_is_bad_form() -> None:
    body, _ = make_multipart({"cv": ("cv.txt", "text/plain", b"cv")})
    with pytest.raises(BadForm):
        parse_multipart(body, "multipart/form-data; boundary=something-else", max_file_bytes=MIB)


def test_truncated_body_is_bad_form() -> None:
    body, content_type = make_multipart({"cv": ("cv.txt", "text/plain", b"cv text")})
    with pytest.raises(BadForm, match="incomplete"):
        parse_multipart(body[:-30], content_type, max_file_bytes=MIB)


def test_same_field_twice_is_rejected() -> None:
    boundary = "dup-boundary"
    part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="cv"; filename="a.txt"\r\n'
        "Content-Type: text/plain\r\n\r\nfirst\r\n"
    )
    body = (part + part.replace("first", "second") + f"--{boundary}--\r\n").encode()
    with pytest.raises(BadForm, match="'cv' was sent more than once") as caught:
        parse_multipart(body, f"multipart/form-data; boundary={boundary}", max_file_bytes=MIB)
    assert caught.value.field == "cv"


def test_too_many_parts_is_bad_form() -> None:
    fields = {f"f{i}": (f"{i}.txt", "text/plain", b"x") for i in range(5)}
    body, content_type = make_multipart(fields)
    with pytest.raises(BadForm, match="more than 4 parts"):
        parse_multipart(body, content_type, max_file_bytes=MIB)


def test_part_without_field_name_is_bad_form() -> None:
    body = b'--b\r\nContent-Disposition: form-data; filename="a.txt"\r\n\r\nx\r\n--b--\r\n'
    with pytest.raises(BadForm, match="field name"):
        parse_multipart(body, "multipart/form-data; boundary=b", max_file_bytes=MIB)


def test_plain_field_and_path_in_filename() -> None:
    body = (
        b'--b\r\nContent-Disposition: form-data; name="cv"\r\n\r\nplain cv text\r\n'
        b'--b\r\nContent-Disposition: form-data; name="project"; '
        b'filename="C:\\\\Users\\\\me\\\\r\xc3\xa9sum\xc3\xa9.pdf"\r\n'
        b"\r\nproject\r\n--b--\r\n"
    )
    form = parse_multipart(body, 'multipart/form-data; boundary="b"', max_file_bytes=MIB)
    assert form["cv"].filename == ""
    assert form["cv"].content_type == "application/octet-stream"
    assert form["cv"].data == b"plain cv text"
    assert form["project"].filename == "résumé.pdf"
