from pathlib import Path

from setuptools import find_packages, setup

VERSION = "0.1.0"

setup(
    name="shafaf",
    version=VERSION,
    description="A transparency open-data portal for government agencies: harvest, validate, publish, serve.",
    long_description=Path(__file__).with_name("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.11",
    packages=find_packages(include=["shafaf", "shafaf.*"]),
    package_data={
        "shafaf.datasette_plugins": ["templates/*.html", "static/*", "locale/*.pot", "locale/*/LC_MESSAGES/*.po"],
        # The standard and the demo: links to datasets/ and metadata/ in the repository, files in a wheel.
        "shafaf.standard": ["schemas/*.json", "schemas/*.md"],
        "shafaf": ["bundled/*.yml", "bundled/demo/*.md", "bundled/demo/*/*", "bundled/examples/*"],
    },
    install_requires=[
        # Datasette's stable line: the 1.0 alphas change plugin configuration and permissions.
        "datasette>=0.65.2,<0.66",
        "sqlite-utils>=4.2,<5",
        "frictionless[excel,json]>=5.18,<6",
        "click>=8.1,<9",
        "PyYAML>=6,<7",
        "croniter>=2,<8",
        "jdatetime>=5,<7",
        # The columnar validation engine's key index and bounds screen (validate/keys.py, number_columns.py):
        # chosen over polars, pyarrow and DuckDB in docs/benchmarks.md (17 MB wheel; they are 25-55 MB).
        "numpy>=1.26,<3",
        # The pages' gettext catalogues (read_po/write_mo) and Gregorian month names in Persian.
        "babel>=2.14,<3",
        # fetch.py replaces the transport's connection pool to check every connected address
        # (no public hook in 0.28, encode/httpx#3180): keep to the minor version it was checked on.
        "httpx>=0.28,<0.29",
        "httpcore>=1.0,<2",
        "certifi",
        # CKAN action calls; its requests session is routed through our guarded fetch.
        "ckanapi>=4.11,<5",
        # DCAT-AP catalogs (/catalog.jsonld, /catalog.ttl): the graph is built and serialized by rdflib.
        "rdflib>=7.1,<8",
        # Atom feeds of publications and failed harvests (feeds.py): feedgen writes and escapes the XML.
        "feedgen>=1.0,<2",
    ],
    extras_require={
        "test": [
            "pytest>=8,<10",
            # Browser tests (tests/test_browser.py): the API only, driving Debian's /usr/bin/chromium;
            # never `playwright install`. axe-playwright-python bundles axe-core (0.x: keep to the minor).
            "playwright>=1.49,<2",
            "axe-playwright-python>=0.1.8,<0.2",
            # /data.json checked against the DCAT-US JSON Schema (draft 4, $refs through referencing).
            "jsonschema>=4.18,<5",
            "referencing>=0.30,<1",
            # Generated requests against the OpenAPI description of the API (test_api_schemathesis.py).
            "schemathesis>=4.0,<5",
            # The feeds read by a real feed reader's parser.
            "feedparser>=6.0,<7",
        ],
    },
    entry_points={
        "console_scripts": ["shafaf=shafaf.cli:main"],
        "datasette": ["shafaf=shafaf.datasette_plugins"],
    },
)
