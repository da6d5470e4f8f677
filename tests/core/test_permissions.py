"""The one table of who may send what: every command has a row, protocol.md says exactly what it
says, and only it answers "other_site"."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from server.core import commands, permissions

PROTOCOL = Path(__file__).parents[2] / "docs" / "protocol.md"
ROW = re.compile(r"^\| ((?:`[a-z_]+`(?:, )?)+) \| .* \| ([^|]+) \|$")


def command_types() -> dict[str, type]:
    return {kind.__struct_config__.tag: kind for kind in typing.get_args(commands.Command)}


def documented_who() -> dict[str, str]:
    who: dict[str, str] = {}
    text = PROTOCOL.read_text(encoding="utf-8")
    commands_section = text.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    for line in commands_section.splitlines():
        row = ROW.match(line)
        if row:
            for name in re.findall(r"`([a-z_]+)`", row.group(1)):
                who[name] = row.group(2).strip()
    return who


def test_every_command_has_one_row() -> None:
    assert set(permissions.PERMISSIONS) == set(command_types().values())


def test_protocol_md_says_who_may_send_each_command_as_the_table_does() -> None:
    documented = documented_who()
    expected = {
        name: permissions.who_may(kind)
        for name, kind in command_types().items()
        if kind is not commands.CreateMeeting  # over HTTP only, said in prose
    }
    assert documented == expected, "\n".join(
        f"| `{name}` | … | {who} |" for name, who in expected.items() if documented.get(name) != who
    )


def test_only_the_table_knows_that_a_secretary_touches_only_their_own_site() -> None:
    core = Path(permissions.__file__).parent
    users = sorted(p.name for p in core.glob("*.py") if "OTHER_SITE" in p.read_text("utf-8"))
    assert users == ["permissions.py", "rules.py"]  # defined in rules, used in permissions only
