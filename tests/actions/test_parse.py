import json

import pytest

from mailenv.actions import (
    MAX_BODY_CHARS,
    MAX_CALLS_PER_STEP,
    ForwardEmail,
    ReadEmail,
    ReadInbox,
    SendEmail,
    Wait,
    parse_action,
    tool_specs,
)


def test_tag_block_in_the_published_format() -> None:
    text = (
        'Let me act.\n<tool_use:email>\nto: "kim@x.com",\nsubject: "Hello",\n'
        'body: "Line one.\nsubject: not a field here\nLine three.",\n</tool_use:email>'
    )
    parsed = parse_action(text)
    assert parsed.errors == []
    (call,) = parsed.calls
    assert isinstance(call, SendEmail)
    assert call.to == ["kim@x.com"] and call.subject == "Hello"
    assert call.body == "Line one.\nsubject: not a field here\nLine three."


def test_json_calls_in_text_run_in_order_with_tags() -> None:
    args = json.dumps({"email_id": "m003"})
    text = (
        '{"tool": "read_inbox"} then <tool_use:wait>minutes: 5</tool_use:wait> then\n'
        "```json\n" + json.dumps({"name": "read_email", "arguments": args}) + "\n```"
    )
    parsed = parse_action(text)
    assert [type(c) for c in parsed.calls] == [ReadInbox, Wait, ReadEmail]
    assert parsed.calls[2].id == "m003" and parsed.calls[1].minutes == 5


def test_openai_and_anthropic_shaped_dicts() -> None:
    openai_call = {"type": "function", "function": {"name": "wait", "arguments": '{"minutes": 3}'}}
    anthropic_call = {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "read_email",
        "input": {"id": "m1"},
    }
    parsed = parse_action([openai_call, anthropic_call])
    assert parsed.errors == []
    assert parsed.calls == [Wait(minutes=3), ReadEmail(id="m1")]


def test_models_and_flat_dicts_are_accepted() -> None:
    assert parse_action(Wait(minutes=2)).calls == [Wait(minutes=2)]
    flat = parse_action({"tool": "send_email", "to": "a@b.co; c@d.co", "body": "x"})
    assert flat.calls[0].to == ["a@b.co", "c@d.co"]


def test_plain_text_is_thinking_not_an_error() -> None:
    parsed = parse_action("I should think about this carefully.")
    assert parsed.calls == [] and parsed.errors == [] and not parsed.attempted


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ({"tool": "launch_missiles"}, "unknown tool 'launch_missiles'"),
        ({"tool": "read_email", "args": {}}, "read_email: id: missing"),
        ({"tool": "wait", "args": {"minutes": "soon"}}, "wait: minutes:"),
        ({"tool": "wait", "args": {"minutes": 100000}}, "wait: minutes:"),
        ({"tool": "send_email", "args": {"to": [], "body": "x"}}, "send_email: to:"),
        ({"tool": "send_email", "args": {"to": "a@b.co", "subject": 5}}, "send_email: subject:"),
        ({"tool": "send_email", "args": "{not json"}, "not valid JSON"),
        ({"args": {}}, 'needs a "tool"'),
        (12.5, "the action is a float"),
        (None, "the action is a NoneType"),
        ([1, {"tool": "read_inbox"}], "item 0 of the action list is a int"),
    ],
)
def test_bad_calls_become_clear_errors(action: object, expected: str) -> None:
    parsed = parse_action(action)
    assert any(expected in e for e in parsed.errors), parsed.errors


def test_huge_body_is_capped_with_a_notice() -> None:
    parsed = parse_action({"tool": "send_email", "args": {"to": "a@b.co", "body": "x" * 1_000_000}})
    assert len(parsed.calls[0].body) == MAX_BODY_CHARS
    assert any("cut to" in n for n in parsed.notices)


def test_too_many_calls_are_cut() -> None:
    parsed = parse_action([{"tool": "read_inbox"}] * (MAX_CALLS_PER_STEP + 5))
    assert len(parsed.calls) == MAX_CALLS_PER_STEP
    assert any("only the first" in e for e in parsed.errors)
    text = "".join(
        '{"tool": "wait", "args": {"minutes": 1}} ' for _ in range(MAX_CALLS_PER_STEP + 5)
    )
    assert len(parse_action(text).calls) == MAX_CALLS_PER_STEP


def test_a_huge_list_of_junk_gives_a_bounded_answer() -> None:
    parsed = parse_action([None] * 1_000_000)
    assert len(parsed.errors) == MAX_CALLS_PER_STEP + 1 and "1000000 items" in parsed.errors[0]


def test_unknown_arguments_are_ignored_with_a_notice() -> None:
    parsed = parse_action({"tool": "send_email", "args": {"to": "a@b.co", "from": "me@x.co"}})
    assert parsed.calls and any("ignored unknown argument 'from'" in n for n in parsed.notices)


def test_bytes_are_read_as_text() -> None:
    parsed = parse_action(b'{"tool": "read_inbox"}\xff')
    assert parsed.calls == [ReadInbox()]


def test_tool_specs_in_both_formats() -> None:
    openai = tool_specs("openai")
    anthropic = tool_specs("anthropic")
    names = [t["function"]["name"] for t in openai]
    assert names == [t["name"] for t in anthropic]
    assert {"read_inbox", "read_email", "send_email", "wait", "end_session"} <= set(names)
    send = next(t for t in anthropic if t["name"] == "send_email")["input_schema"]
    assert send["required"] == ["to"] and send["properties"]["to"]["type"] == "array"
    assert ForwardEmail.name in names
    with pytest.raises(ValueError):
        tool_specs("xml")  # type: ignore[arg-type]


def test_a_reasoning_tag_inside_an_email_is_the_emails_text() -> None:
    text = (
        "<tool_use:send_email>\nto: a@x.com\nsubject: s\n"
        "body: Please wrap drafts in <thinking> tags.\n</tool_use:send_email>"
    )
    parsed = parse_action(text)
    assert parsed.calls[0].body == "Please wrap drafts in <thinking> tags." and not parsed.reasoning
    inside = parse_action("<scratchpad>not yet <tool_use:end_session></tool_use:end_session>")
    assert inside.calls == [] and "not yet" in inside.reasoning[0]


def test_a_json_call_with_a_huge_number_is_not_read_and_says_so() -> None:
    parsed = parse_action('{"tool": "wait", "args": {"minutes": ' + "1" * 5000 + "}}")
    assert parsed.calls == [] and any("5,000 digits" in n for n in parsed.notices)
