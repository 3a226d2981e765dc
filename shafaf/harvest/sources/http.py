"""The ``http`` source kind: one CSV, XLSX or JSON file at a URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from shafaf.config.registry import Source
from shafaf.harvest.net.fetch import fetch
from shafaf.harvest.sources.base import Capture, HarvestContext, format_of, safe_name


class HttpHarvester:
    kind = "http"

    def capture(self, source: Source, dest: Path, ctx: HarvestContext) -> Capture:
        assert source.url is not None, "the registry requires a url for http sources"
        name = safe_name(unquote(Path(urlsplit(source.url).path).name), default=f"{source.dataset}.data")
        fmt = format_of(source, name)
        got = fetch(source.url, dest / name, policy=ctx.policy, expect=fmt, validators=ctx.validators)
        return Capture(
            path=got.path,
            bytes=got.bytes,
            sha256=got.sha256,
            format=fmt,
            url=got.url,
            status=got.status,
            etag=got.etag,
            last_modified=got.last_modified,
            not_modified=got.not_modified,
        )
