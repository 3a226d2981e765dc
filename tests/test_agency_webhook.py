"""An agency's own webhook (``webhook_url`` of the agency in the registry): told of its runs only, beside the portal's."""

from __future__ import annotations

import dataclasses
import json
import socket

import pytest
from conftest import write_registry
from faultserver import Request, respond

from shafaf.config import registry
from shafaf.config.registry import Portal
from shafaf.core.errors import RegistryError
from shafaf.schedule import webhook


def test_the_registry_reads_an_agencys_webhook_and_the_portals_accept_shrink_setting(tmp_path):
    path = write_registry(tmp_path / "src")
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "    website: https://alpha.example.ir\n",
        "    website: https://alpha.example.ir\n    webhook_url: https://hooks.alpha.example.ir/shafaf\n",
    )
    path.write_text(text, encoding="utf-8")
    reg = registry.load(path)
    assert reg.agency("alpha").webhook_url == "https://hooks.alpha.example.ir/shafaf"
    assert reg.agency("beta").webhook_url is None
    assert reg.portal.agencies_may_accept_shrink is False  # off by default: an operator decision
    path.write_text(
        text.replace(
            "    webhook_url: https://hooks.alpha.example.ir/shafaf\n", "    webhook_url: javascript:alert(1)\n"
        ).replace("portal:\n", "portal:\n  agencies_may_accept_shrink: yes please\n", 1),
        encoding="utf-8",
    )
    with pytest.raises(RegistryError) as caught:
        registry.load(path)
    found = str(caught.value)
    assert (
        "webhook_url" in found
        and "agency 'alpha'" in found
        and "agencies_may_accept_shrink must be true or false" in found
    )


def test_each_agency_hears_of_its_own_runs_and_the_portal_of_all(tmp_path, fault_server):
    heard: dict[str, list[str]] = {"portal": [], "alpha": []}

    def hook(name: str):
        def behaviour(conn: socket.socket, request: Request) -> None:
            heard[name].append(json.loads(request.body)["agency_id"])
            respond(204)(conn, request)

        return behaviour

    fault_server.add("/portal", hook("portal"))
    fault_server.add("/alpha", hook("alpha"))
    path = write_registry(tmp_path / "src")
    reg = registry.load(path)
    alpha = [a for a in reg.agencies if a.id == "alpha"][0]
    agencies = [dataclasses.replace(alpha, webhook_url=fault_server.url("/alpha")), reg.agency("beta")]
    portal = Portal(webhook_url=fault_server.url("/portal"), allow_private_networks=True, fetch_retries=0)
    payloads = [webhook.stale_message("alpha", ["services"]), webhook.stale_message("beta", ["services"])]
    assert webhook.send(portal, payloads, agencies=agencies) == []
    assert heard == {"portal": ["alpha", "beta"], "alpha": ["alpha"]}
    heard["portal"].clear(), heard["alpha"].clear()
    assert webhook.send(Portal(allow_private_networks=True, fetch_retries=0), payloads, agencies=agencies) == []
    assert heard == {"portal": [], "alpha": ["alpha"]}  # an agency's hook without the portal's
