"""Rendering on a Dask cluster: a LocalCluster of two worker processes renders the fixture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_project

from builder.build import BuildOptions, build
from builder.video.render import cached_render

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    import distributed
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, host="127.0.0.1") as local:
        yield local.scheduler_address


def test_dask_renders_land_in_the_client_cache(tmp_path: Path, cluster: str) -> None:
    root = make_project(tmp_path / "gallery", "tiny")
    report = build(root / "mkdocs.yml", BuildOptions(scheduler=cluster, site=False))
    assert {c.status for c in report.concepts.values()} == {"built"}
    for item in report.concepts.values():
        assert item.render_key is not None
        output = cached_render(root / ".cache" / "render", item.render_key)
        assert output is not None
        assert output.video.stat().st_size > 10_000
        assert output.duration > 1.0
        assert output.storyboard(), "storyboard frames came back with the video"
    # a second build through the cluster finds everything cached: no task is submitted
    again = build(root / "mkdocs.yml", BuildOptions(scheduler=cluster, site=False))
    assert {c.status for c in again.concepts.values()} == {"cached"}


def test_unreachable_scheduler_is_a_clear_error(tmp_path: Path) -> None:
    from builder.errors import MathreelError

    root = make_project(tmp_path / "gallery", "tiny")
    with pytest.raises(MathreelError, match="cannot reach the Dask scheduler"):
        build(root / "mkdocs.yml", BuildOptions(scheduler="tcp://127.0.0.1:9", site=False))
