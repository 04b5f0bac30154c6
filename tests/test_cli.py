"""The operator CLI as an operator uses it: real processes, real files, one-line errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.world import CUSTOMER_HEADER, ORDER_HEADER, acme_orders, write_csv

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DCM_")}
    full_env["PYTHONPATH"] = str(ROOT)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd or ROOT, input=stdin, timeout=120)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"DCM_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}


def test_help_lists_the_commands() -> None:
    out = cli("--help").stdout
    for command in ("run", "demo", "db", "staff", "import", "invite"):
        assert command in out
    assert "customers" in cli("import", "--help").stdout
    assert "--telegram-id" in cli("staff", "add", "--help").stdout


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("DCM_TIMEZONE", "Mars/Olympus", "DCM_TIMEZONE: unknown time zone 'Mars/Olympus'"),
    ("DCM_HOLIDAY_REGION", "XX", "DCM_HOLIDAY_REGION: unknown holiday region 'XX'"),
    ("DCM_DEFAULT_LOCALE", "fr", "DCM_DEFAULT_LOCALE: unknown locale 'fr'"),
    ("DCM_COMPLAINT_SOLUTION_DAYS", "five", "DCM_COMPLAINT_SOLUTION_DAYS:"),
    ("DCM_TELEGRAM_API_URL", "ftp://x", "DCM_TELEGRAM_API_URL: 'ftp://x' is not an http(s) URL"),
    ("DCM_DATABASE_URL", "mysql://x/y", "DCM_DATABASE_URL: unsupported database 'mysql'"),
    ("DCM_TELEGRAM_TOKEN", "nonsense", "DCM_TELEGRAM_TOKEN: does not look like a bot token"),
])
def test_a_bad_setting_stops_with_one_line(name: str, value: str, expected: str) -> None:
    result = cli("db", "upgrade", env={name: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    if name == "DCM_TELEGRAM_TOKEN":
        assert value not in result.stderr or value == "nonsense"


def test_settings_come_from_a_toml_file_and_the_environment_wins(tmp_path: Path) -> None:
    from bot.settings import load_settings

    config = tmp_path / "dcm.toml"
    config.write_text('timezone = "Asia/Taipei"\nholiday_region = "TW"\n'
                      "complaint_solution_days = 7\n")
    old = dict(os.environ)
    try:
        os.environ["DCM_CONFIG"] = str(config)
        os.environ["DCM_HOLIDAY_REGION"] = "HK"
        settings = load_settings()
    finally:
        os.environ.clear()
        os.environ.update(old)
    assert settings.timezone == "Asia/Taipei" and settings.complaint_solution_days == 7
    assert settings.holiday_region == "HK"


def test_staff_import_invite_round_trip(env: dict[str, str], tmp_path: Path) -> None:
    assert cli("db", "upgrade", env=env).returncode == 0
    bad_role = cli("staff", "add", "--telegram-id", "9101", "--name", "Wang", "--role",
                   "sales,boss", env=env)
    assert bad_role.returncode == 2 and "unknown role 'boss'" in bad_role.stderr
    ok = cli("staff", "add", "--telegram-id", "9101", "--name", "Wang", "--role",
             "sales,sales_head", env=env)
    assert ok.returncode == 0 and "sales, sales_head" in ok.stdout

    customers = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, [
        ["ACME", "Acme", "Chen", "Taipei", "1", "Hardware", "9101", "A", "", ""],
        ["BAD", "Bad", "X", "Y", "2", "Z", "777", "", "", ""],
    ])
    failed = cli("import", "customers", str(customers), env=env)
    assert failed.returncode == 1
    assert "line 3: sales_rep_telegram_id: no staff member with Telegram id 777" in failed.stderr
    assert "nothing imported" in failed.stderr

    write_csv(customers, CUSTOMER_HEADER, [
        ["ACME", "Acme", "Chen", "Taipei", "1", "Hardware", "9101", "A", "", ""]])
    assert "1 created" in cli("import", "customers", str(customers), env=env).stdout
    orders = write_csv(tmp_path / "orders.csv", ORDER_HEADER, acme_orders(3))
    assert "3 created" in cli("import", "orders", str(orders), env=env).stdout
    assert "3 unchanged" in cli("import", "orders", str(orders), env=env).stdout

    invite = cli("invite", "ACME", env={**env, "DCM_BOT_USERNAME": "acme_helper_bot"})
    lines = invite.stdout.strip().splitlines()
    assert invite.returncode == 0
    assert lines[-2] == f"https://t.me/acme_helper_bot?start={lines[-1]}"
    assert len(lines[-1]) >= 32
    unknown = cli("invite", "NOPE", env=env)
    assert unknown.returncode == 1 and "no customer with code 'NOPE'" in unknown.stderr

    header = ["invoice_no", "customer_code", "order_no", "amount", "currency", "issued_on",
              "due_on"]
    invoices = write_csv(tmp_path / "invoices.csv", header, [
        ["INV-1", "ACME", "PO-1001", "1200.50", "TWD", "2026-10-01", "2026-10-31"],
        ["INV-2", "ACME", "", "abc", "TWD", "2026-10-01", "2026-10-31"]])
    failed = cli("import", "invoices", str(invoices), env=env)
    assert failed.returncode == 1 and "line 3: amount: 'abc' is not a number" in failed.stderr
    write_csv(invoices, header, [
        ["INV-1", "ACME", "PO-1001", "1200.50", "TWD", "2026-10-01", "2026-10-31"]])
    assert "1 created" in cli("import", "invoices", str(invoices), env=env).stdout
    payments = write_csv(tmp_path / "payments.csv", ["invoice_no", "amount", "paid_on"],
                         [["INV-1", "200.50", "2026-11-02"], ["INV-1", "1000", "2026-11-09"]])
    assert "2 created" in cli("import", "payments", str(payments), env=env).stdout
    assert "2 unchanged" in cli("import", "payments", str(payments), env=env).stdout


def test_a_missing_file_is_one_line(env: dict[str, str]) -> None:
    result = cli("import", "orders", "/nonexistent/orders.csv", env=env)
    assert result.returncode == 1
    assert "nothing imported: /nonexistent/orders.csv: no such file" in result.stderr


def test_run_without_a_token_says_what_to_do(env: dict[str, str]) -> None:
    result = cli("run", env=env)
    assert result.returncode == 2
    assert "DCM_TELEGRAM_TOKEN" in result.stderr and "demo" in result.stderr


def test_the_demo_runs_in_one_command_with_scripted_input(tmp_path: Path) -> None:
    script = "/orders\n#6\n:as 3\n/order GL-2026-001\n/order AC-2026-001\n:as 7\n:quit\n"
    result = cli(env={"PYTHONUNBUFFERED": "1"}, cwd=tmp_path, stdin=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "starting the local demo" in result.stderr
    assert "14 筆訂單" in out or "14 筆" in out  # Chen reads Traditional Chinese
    assert "(edited)" in out  # pressing "older" edits the list in place
    assert "Order GL-2026-001" in out and "HKD\u00a098,000.00" in out
    assert "Order AC-2026-001 was not found." in out  # John cannot see Acme's order
    assert (tmp_path / "var" / "demo.sqlite3").exists()


def test_a_bad_cell_is_one_line_not_a_traceback(db_url: str, tmp_path: Path) -> None:
    """A field over 128 KiB made the csv module raise, a NUL made PostgreSQL raise: both came
    out as a traceback with part of the file written or not. Now: the line and the column."""
    env = {"DCM_DATABASE_URL": db_url}
    assert cli("staff", "add", "--telegram-id", "9101", "--name", "Wang", "--role", "sales",
               env=env).returncode == 0
    customers = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, [
        ["ACME", "Acme", "Chen", "Taipei", "1", "Hardware", "9101", "A", "", ""],
        ["BIG", "Big", "Chen", "Taipei", "1", "x" * 200_000, "9101", "A", "", ""]])
    rows = acme_orders(3)
    rows[2][3] = "Steel\x00pipe"
    orders = write_csv(tmp_path / "orders.csv", ORDER_HEADER, rows)
    for kind, path, expected in (
            ("customers", customers, "line 3: business_scope: longer than 131072 characters"),
            ("orders", orders, "line 4: product: contains a NUL character")):
        if kind == "orders":
            write_csv(customers, CUSTOMER_HEADER, [
                ["ACME", "Acme", "Chen", "Taipei", "1", "Hardware", "9101", "A", "", ""]])
            assert cli("import", "customers", str(customers), env=env).returncode == 0
        result = cli("import", kind, str(path), env=env)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert expected in result.stderr and "nothing imported" in result.stderr
        assert not result.stdout
    again = cli("import", "orders", str(write_csv(orders, ORDER_HEADER, acme_orders(3))),
                env=env)
    assert "3 created" in again.stdout  # nothing of the refused file was written before


def test_staff_list_shows_everyone_with_roles_language_and_whether_active(
        env: dict[str, str]) -> None:
    assert cli("db", "upgrade", env=env).returncode == 0
    empty = cli("staff", "list", env=env)
    assert empty.returncode == 0 and "no staff yet" in empty.stdout
    assert cli("staff", "add", "--telegram-id", "9201", "--name", "梅 Mei", "--role",
               "finance,executive", "--locale", "zh_Hant", env=env).returncode == 0
    assert cli("staff", "add", "--telegram-id", "9101", "--name", "Wang", "--role", "sales",
               env=env).returncode == 0
    removed = cli("staff", "remove", "--telegram-id", "9101", env=env)
    assert removed.returncode == 0 and "removed staff Wang (9101)" in removed.stdout
    unknown = cli("staff", "remove", "--telegram-id", "4242", env=env)
    assert unknown.returncode == 1 and "no staff member with Telegram id 4242" in unknown.stderr
    lines = cli("staff", "list", env=env).stdout.rstrip("\n").splitlines()
    assert lines == [
        "telegram_id  name    roles              locale   active",
        "-----------  ------  -----------------  -------  ------",
        "9101         Wang    sales              -        no",
        "9201         梅 Mei  finance,executive  zh_Hant  yes",  # 梅 takes two columns
    ]


def test_run_with_the_bot_api_unreachable_says_so_in_one_line(env: dict[str, str]) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = "424242:UNREACHABLE-test-token-abcdefghij"
    assert cli("db", "upgrade", env=env).returncode == 0
    result = cli("run", env={**env, "DCM_TELEGRAM_TOKEN": token,
                             "DCM_TELEGRAM_API_URL": f"http://127.0.0.1:{port}"})
    assert result.returncode == 5, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "Unclosed" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "CRITICAL" in line
              or "ERROR" in line]
    assert len(errors) == 1 and "cannot reach the Bot API server" in errors[0], errors
    assert f"http://127.0.0.1:{port}" in errors[0] and token.split(":")[1] not in result.stderr


def test_the_demo_shows_visits_receivables_files_and_takes_a_file(tmp_path: Path) -> None:
    (tmp_path / "consent.pdf").write_bytes(b"%PDF-1.4 a signed consent")
    script = (":as 4\n/visits\n:as 5\n/receivables\n:as 1\n/complaint\n:file consent.pdf\n"
              ":file missing.pdf\n/cancel\n:open\n:quit\n")
    result = cli(env={"PYTHONUNBUFFERED": "1", "PATH": "/usr/bin:/bin"}, cwd=tmp_path,
                 stdin=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "⚠️" in out and "ACME" in out.split("未来几周的回访")[1]  # an overdue visit, day one
    assert "Most overdue" in out and "up to 35 days overdue" in out
    saved = re.search(r"\[photo: (\S+\.png)\]", out)  # the chart, kept where :open finds it
    assert saved is not None and (tmp_path / saved.group(1)).read_bytes().startswith(b"\x89PNG")
    assert "請點選其中一個按鈕" in out  # the file reached the bot inside the dialog
    assert "no file 'missing.pdf'" in out
    assert "Traceback" not in result.stderr
