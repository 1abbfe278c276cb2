"""What the env writes, the agents' readers read back: each format and its pattern agree."""

from datetime import datetime

from mailenv import formats as fmt

WHEN = datetime(2026, 3, 12, 16, 5)


def test_inbox_lines_read_back() -> None:
    for unread in (True, False):
        line = fmt.inbox_line(unread, "m012", WHEN, "Leah Brandt <leah@x.co>", "Console ready")
        m = fmt.INBOX_LINE.match(line)
        assert m is not None
        assert m.groups() == (
            "m012",
            "Thu 12 Mar 16:05",
            "Leah Brandt <leah@x.co>",
            "Console ready",
        )


def test_call_results_and_status_lines_read_back() -> None:
    m = fmt.CALL_RESULT.match(fmt.call_result(WHEN, "read_email", "\nId: m001"))
    assert m is not None and m.group(1) == "read_email"
    for line in (fmt.now_line(WHEN), fmt.over_line("session_ended", WHEN), fmt.NEW_MAIL):
        assert fmt.STATUS.match(line)


def test_quote_marks_every_line() -> None:
    assert fmt.quote("a\n\nb") == "> a\n>\n> b"
