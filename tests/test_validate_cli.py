"""``shafaf validate FILE|DIR|URL``: what an agency's data officer runs before sending a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from faultserver import respond

from shafaf import standard
from shafaf.cli import cli

SERVICES = """\
service_id,name_fa,name_en,audience
S1,صدور گواهی,Certificate,citizens
S2,استعلام,Inquiry,aliens
S3,ثبت نام,Registration,citizens
"""

PERFORMANCE = """\
service_id,period,channel,applications,completed,satisfaction,availability_pct
S1,1402-07,online,100,90,85,99
S9,1402-07,online,100,90,85,99
S3,1402-07,online,100,90,120,-1
S1,1402-08,online,100,90,85,99
"""

GOOD_PERFORMANCE = "service_id,period,channel,applications,completed\nS1,1402-07,online,100,90\n"


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args, env=None):
        """English unless the test says otherwise (by --lang or SHAFAF_LANG): the default is the portal's, fa."""
        chosen = "--lang" in args or "SHAFAF_LANG" in (env or {})
        args = (*args, *(() if chosen else ("--lang", "en")))
        result = runner.invoke(cli, ["validate", *[str(a) for a in args]], env=env, catch_exceptions=False)
        assert "Traceback" not in result.output
        return result

    return invoke


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "exports"
    root.mkdir()
    (root / "service_performance.csv").write_text(PERFORMANCE, encoding="utf-8")
    (root / "services.csv").write_text(SERVICES, encoding="utf-8")
    (root / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (root / "readme.txt.bak").write_text("not data", encoding="utf-8")
    return root


def test_a_file_named_after_its_dataset_needs_no_dataset_option(run, tmp_path):
    path = tmp_path / "services.csv"
    path.write_text(SERVICES.replace("aliens", "businesses"), encoding="utf-8")
    result = run(path)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("services.csv: valid as Services ('services'): 3 of 3 rows passed")

    prefixed = tmp_path / "tax_service_performance.csv"
    prefixed.write_text(GOOD_PERFORMANCE, encoding="utf-8")
    assert run(prefixed).exit_code == 0

    unnamed = tmp_path / "export-1402.csv"
    unnamed.write_text(GOOD_PERFORMANCE, encoding="utf-8")
    result = run(unnamed)
    assert result.exit_code == 2
    assert "does not say which dataset" in result.output
    assert all(kind in result.output for kind in standard.DATASET_KINDS)
    assert run(unnamed, "--dataset", "service_performance").exit_code == 0


def test_an_invalid_file_reports_row_column_value_and_what_to_fix(run, tmp_path):
    path = tmp_path / "service_performance.csv"
    path.write_text(PERFORMANCE, encoding="utf-8")
    result = run(path)
    assert result.exit_code == 1
    out = result.stdout
    assert "INVALID as Service performance ('service_performance'): 3 of 4 rows passed, 1 failed" in out
    assert "constraint-error: 2 (value not allowed)" in out
    assert "row 4, column satisfaction (Satisfaction (0-100)): '120' is above the maximum of 100" in out
    assert "row 4, column availability_pct (Availability (%)): '-1' is below the minimum of 0" in out
    assert "    fix: Use only what the standard allows" in out
    assert "foreign-key" not in out  # a lone file has no services list to check against


def test_a_folder_checks_services_first_and_the_performance_ids_against_them(run, folder):
    result = run(folder)
    assert result.exit_code == 1
    out = result.stdout
    assert out.index("services.csv: INVALID") < out.index("service_performance.csv: INVALID")
    assert "foreign-key: 1 (unknown service)" in out
    assert "row 3, column service_id: Service 'S9' is not in this agency's services list" in out
    assert "skipped notes.csv: its name does not say which dataset of the standard it is" in out
    assert out.rstrip().endswith("2 files checked: 0 valid, 2 invalid")

    data = json.loads(run(folder, "--json", "--agency", "tax").stdout)
    assert data["valid"] is False and [f["file"] for f in data["files"]] == ["services.csv", "service_performance.csv"]
    services, performance = data["files"]
    assert services["rows_passed"] == 2  # S2 (audience 'aliens') is left out...
    fk = [e for e in performance["errors"] if e["error_type"] == "foreign-key"]
    assert [e["value"] for e in fk] == ["S9"]  # ...but only rows of S9 name an unknown service
    assert fk[0]["message"] == "Service 'S9' is not in the services list of agency 'tax'"
    assert fk[0]["message_fa"] == "خدمت «S9» در فهرست خدمات دستگاه «tax» نیست"
    assert data["skipped"] == [{"file": "notes.csv", "reason": "no_dataset"}]


def test_a_folder_with_a_datapackage_uses_its_resources(run, tmp_path):
    root = tmp_path / "pkg"
    (root / "data").mkdir(parents=True)
    (root / "data" / "a.csv").write_text(SERVICES.replace("aliens", "citizens"), encoding="utf-8")
    (root / "data" / "b.csv").write_text(PERFORMANCE.replace("S9", "S2").replace(",120,-1", ",80,99"), encoding="utf-8")
    (root / "datapackage.json").write_text(
        json.dumps(
            {
                "name": "x",
                "resources": [
                    {"name": "service_performance", "path": "data/b.csv"},
                    {"name": "services", "path": "data/a.csv"},
                    {"name": "secrets", "path": "../../etc/passwd"},
                    {"name": "remote", "path": "https://example.org/services.csv"},
                ],
            }
        ),
        encoding="utf-8",
    )
    result = run(root, "--json")
    assert result.exit_code == 0, result.stdout
    data = json.loads(result.stdout)
    assert [(f["file"], f["dataset"], f["valid"]) for f in data["files"]] == [
        ("a.csv", "services", True),
        ("b.csv", "service_performance", True),
    ]
    assert data["skipped"] == [
        {"file": "../../etc/passwd", "reason": "outside"},
        {"file": "https://example.org/services.csv", "reason": "remote"},
    ]


def test_persian_report_uses_persian_titles_and_digits(run, folder):
    result = run(folder / "service_performance.csv", "--lang", "fa")
    assert result.exit_code == 1
    out = result.stdout
    assert "service_performance.csv: نامعتبر به‌عنوان «عملکرد خدمات» (service_performance)" in out
    assert "۳ سطر از ۴ سطر پذیرفته شد، ۱ سطر رد شد" in out
    assert "مقدار غیرمجاز (constraint-error): ۲" in out
    assert "سطر ۴، ستون «رضایت (۰ تا ۱۰۰)» (satisfaction):" in out
    assert "«120» بیشتر از بیشینه مجاز (۱۰۰) است" in out
    assert "«دسترس‌پذیری (٪)»" in out and "چه باید کرد:" in out
    assert run(folder / "service_performance.csv", env={"SHAFAF_LANG": "fa_IR.UTF-8"}).stdout == out
    assert (
        run(folder / "service_performance.csv", env={"SHAFAF_LANG": "de"}).stdout == out
    )  # none we speak: the portal's
    assert run(folder / "service_performance.csv", "--lang", "de").exit_code == 2


def test_refused_file_says_why_and_what_to_fix_in_both_languages(run, tmp_path):
    path = tmp_path / "services.csv"
    path.write_text("code,title\n1,a\n", encoding="utf-8")
    result = run(path)
    assert result.exit_code == 1
    assert "services.csv: INVALID (missing_column: a required column is missing)" in result.stdout
    assert "fix: Add the column" in result.stdout
    fa = run(path, "--lang", "fa").stdout
    assert "ستون «service_id» را ندارد" in fa and "ستون‌های فایل: «code»، «title»" in fa
    data = json.loads(run(path, "--json").stdout)
    assert data["fatal_reason"] == "missing_column" and "«service_id»" in data["fatal_message_fa"]

    broken = tmp_path / "services.xlsx"
    broken.write_bytes(b"PK\x03\x04 this is not really a workbook")
    result = run(broken)
    assert result.exit_code == 1 and "INVALID (unreadable" in result.stdout


def test_json_is_one_parseable_document_on_stdout(run, folder):
    result = run(folder / "services.csv", "--json")
    assert result.exit_code == 1 and result.stderr == ""
    data = json.loads(result.stdout)
    assert data["valid"] is False and data["rows_failed"] == 1
    assert {"message", "message_fa", "row_number", "field", "value", "column_number"} <= set(data["errors"][0])


def test_usage_errors_exit_2(run, tmp_path, folder):
    assert run(tmp_path / "missing.csv").exit_code == 2
    assert run(folder / "services.csv", "--dataset", "nonsense").exit_code == 2
    assert run(folder, "--dataset", "services").exit_code == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(empty)
    assert result.exit_code == 2 and "has no file whose name gives a dataset" in result.output
    result = run("ftp://example.org/services.csv")
    assert result.exit_code == 2 and "only http:// and https://" in result.output


def test_a_url_is_fetched_through_the_guarded_fetch(run, fault_server):
    fault_server.add("/open-data/services.csv", respond(200, SERVICES, {"Content-Type": "text/csv"}))
    url = fault_server.url("/open-data/services.csv")
    allow = {"SHAFAF_ALLOW_PRIVATE_NETWORKS": "1"}

    result = run(url, env=allow)
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith("services.csv: INVALID as Services ('services'): 2 of 3 rows passed, 1 failed")
    assert f"from {url}" in result.stdout and "row 3, column audience" in result.stdout
    data = json.loads(run(url, "--json", env=allow).stdout)
    assert data["url"] == url and data["dataset"] == "services" and data["rows_failed"] == 1

    # Without the permission a loopback address is refused, as for any harvest.
    result = run(url)
    assert result.exit_code == 1 and "destination_blocked" in result.stderr

    missing = fault_server.url("/open-data/service_performance.csv")
    result = run(missing, "--json", env=allow)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["valid"] is False and data["fatal_reason"] == "http_404" and data["fatal_message_fa"]
    assert "http_404" in result.stderr and "fix: Check the address" in result.stderr

    unnamed = fault_server.add("/api/export", respond(200, SERVICES, {"Content-Type": "text/csv"}))
    assert run(unnamed, env=allow).exit_code == 2  # nothing says which dataset: a usage error, before fetching
    assert fault_server.hits("/api/export") == 0
    assert run(unnamed, "--dataset", "services", env=allow).exit_code == 1


# -- the report's language, --all, did-you-mean, usage errors (issue 18's last paragraph)


def test_the_report_is_in_the_portals_default_language_unless_asked(tmp_path):
    runner = CliRunner()
    path = tmp_path / "services.csv"
    path.write_text(SERVICES, encoding="utf-8")
    english = tmp_path / "en.yml"
    english.write_text("portal:\n  title_fa: درگاه\n  default_language: en\nagencies: []\n", encoding="utf-8")

    def out(*args: str, env: dict[str, str] | None = None) -> str:
        return runner.invoke(cli, ["validate", str(path), *args], env=env, catch_exceptions=False).stdout

    assert out().startswith("services.csv: نامعتبر به‌عنوان «فهرست خدمات» (services)")  # no registry here: fa
    assert out("--registry", str(english)).startswith("services.csv: INVALID as Services ('services')")
    assert out(env={"SHAFAF_REGISTRY": str(english)}).startswith("services.csv: INVALID")
    assert out("--registry", str(english), "--lang", "fa").startswith("services.csv: نامعتبر")
    assert out(env={"SHAFAF_REGISTRY": str(english), "SHAFAF_LANG": "fa_IR.UTF-8"}).startswith("services.csv: نامعتبر")
    broken = tmp_path / "broken.yml"
    broken.write_text("portal: [", encoding="utf-8")
    assert out("--registry", str(broken)).startswith("services.csv: نامعتبر")  # unreadable: the default, fa


def test_all_lists_every_error_and_the_short_report_says_how_many_it_left_out(run, tmp_path):
    path = tmp_path / "service_performance.csv"
    rows = "".join(f"S{i},1402-07,online,100,90,{120 + i},99\n" for i in range(5))
    path.write_text(
        "service_id,period,channel,applications,completed,satisfaction,availability_pct\n" + rows, encoding="utf-8"
    )
    short, full = run(path).stdout, run(path, "--all").stdout
    assert short.count("is above the maximum of 100") == 3 and "… and 2 more" in short and "--all" in short
    assert full.count("is above the maximum of 100") == 5 and "more" not in full
    for n in range(2, 7):
        assert f"row {n}, column satisfaction" in full
    fa = run(path, "--all", "--lang", "fa").stdout
    assert fa.count("بیشتر از بیشینه مجاز (۱۰۰) است") == 5 and "سطر ۶،" in fa


def test_a_misspelled_header_is_said_to_look_like_the_standards_column(run, tmp_path):
    path = tmp_path / "service_performance.csv"
    path.write_text(
        "service_id,period,channel,applications,completed,satisfation\nS1,1402-07,online,100,90,85\n", encoding="utf-8"
    )
    en = run(path)
    assert en.exit_code == 0 and "satisfation (did you mean satisfaction?)" in en.stdout
    assert "satisfation (شاید منظور satisfaction است؟)" in run(path, "--lang", "fa").stdout
    path.write_text(
        "service_id,period,channel,applications,completed,notes\nS1,1402-07,online,100,90,x\n", encoding="utf-8"
    )
    assert "ignored): notes\n" in run(path).stdout  # nothing close: no guess


@pytest.mark.parametrize(
    ("args", "fa", "en"),
    [
        ((), "خطا: آرگومان لازم داده نشده است: 'FILE|DIR|URL'.", "Error: Missing argument 'FILE|DIR|URL'."),
        (
            ("x.csv", "--dataset", "nonsense"),
            "خطا: مقدار نادرست برای '--dataset': 'nonsense' از مقادیر مجاز",
            "Error: Invalid value for '--dataset': 'nonsense' is not one of",
        ),
        (("x.csv", "--bogus"), "خطا: گزینه‌ای به نام '--bogus' نیست.", "Error: No such option '--bogus'."),
        (("x.csv", "--lang"), "خطا: گزینه '--lang' مقدار می‌خواهد.", "Error: Option '--lang' requires an argument."),
        (
            ("notes.txt",),
            "خطا: از نام «notes.txt» پیدا نیست کدام مجموعه‌داده است",
            "Error: the name 'notes.txt' does not say which dataset it is",
        ),
    ],
)
def test_usage_errors_are_in_the_reports_language(tmp_path, args, fa, en):
    (tmp_path / "notes.txt").write_text("a\n1\n", encoding="utf-8")
    runner = CliRunner()
    args = tuple(str(tmp_path / a) if a == "notes.txt" else a for a in args)
    persian = runner.invoke(cli, ["validate", *args])
    assert persian.exit_code == 2 and fa in persian.stderr, persian.stderr
    assert "Usage:" not in persian.stderr and "Error:" not in persian.stderr
    english = runner.invoke(cli, ["validate", *args], env={"SHAFAF_LANG": "en"})
    assert english.exit_code == 2 and en in english.stderr, english.stderr
    assert ("Usage:" in english.stderr) == ("کاربرد:" in persian.stderr)  # click shows the usage line when it can


def test_the_click_messages_we_translate_are_still_clicks():
    import click

    from shafaf.cli import click_words

    source = "".join(p.read_text(encoding="utf-8") for p in Path(click.__file__).parent.glob("*.py"))
    for msgid in [*click_words.WORDS, *(m for pair in click_words.PLURALS for m in pair)]:
        assert f'"{msgid}"' in source, msgid
