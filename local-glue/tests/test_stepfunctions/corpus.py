"""The migration corpus of state machines, with template placeholders given stand-in values."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

#: The corpus folder: beside the repository's checkout in a shared folder.
CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "migration_corpus" / "asl"
REGION = "us-east-1"
ACCOUNT = "123456789012"
_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")


def stand_in(name: str) -> str:
    """The stand-in value of a CloudFormation / Terraform placeholder ``${name}``."""
    return {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT}.get(name) or re.sub(
        r"[^A-Za-z0-9_-]", "_", name
    )


def filled(definition: Any) -> Any:
    """The definition with every placeholder filled: a whole-Resource placeholder becomes a stand-in
    Lambda's ARN (an activity's, where its name says Activity); every other placeholder its stand-in name."""
    if isinstance(definition, dict):
        out = {}
        for key, value in definition.items():
            whole = _PLACEHOLDER.fullmatch(value) if key == "Resource" and isinstance(value, str) else None
            if whole:
                kind = "activity" if "Activity" in whole.group(1) else "function"
                out[key] = (
                    f"arn:aws:{'states' if kind == 'activity' else 'lambda'}:{REGION}:{ACCOUNT}:{kind}:{stand_in(whole.group(1))}"
                )
            else:
                out[key] = filled(value)
        return out
    if isinstance(definition, list):
        return [filled(item) for item in definition]
    if isinstance(definition, str):
        return _PLACEHOLDER.sub(lambda m: stand_in(m.group(1)), definition)
    return definition


def corpus() -> dict[str, str]:
    """File name -> the definition text, placeholders filled."""
    return {
        path.name: json.dumps(filled(json.loads(path.read_text()))) for path in sorted(CORPUS.glob("*.json"))
    }
