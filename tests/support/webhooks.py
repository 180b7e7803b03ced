"""Webhooks: subscribing over HTTP, and the README's signature verifier as users copy it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from entrypoints.wiring.settings import PROJECT_ROOT
from tests.api import Account


def readme_verifier() -> Any:
    """The `verify_cascade_signature` of the README, exactly as users copy it."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("### Verifying a delivery", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None, "the README shows the verifier"
    namespace: dict[str, Any] = {}
    exec(compile(code[1], str(Path("README.md")), "exec"), namespace)  # noqa: S102 - our own README
    return namespace["verify_cascade_signature"]


async def subscribe(api: Any, owner: Account, workspace: str, url: str, events: list[str]) -> dict[str, Any]:
    response = await api.post(
        f"/api/v1/workspaces/{workspace}/webhooks", json={"url": url, "events": events}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json()["data"])
