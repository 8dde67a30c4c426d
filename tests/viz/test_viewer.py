"""The browser viewer: scene content, and a headless start on free local ports."""
from __future__ import annotations

import urllib.request

import pytest

rr = pytest.importorskip("rerun")

from rerun.chunk import RrdReader  # noqa: E402

from posefield.viz.viewer import log_scene, start_viewer  # noqa: E402


def test_scene_has_a_skeleton_and_mesh_per_input_on_a_timeline(walk, noisy, tmp_path):
    recording = rr.RecordingStream("posefield-test")
    memory = rr.memory_recording(recording)
    paths = log_scene(recording, [walk, noisy], ["clean", "noisy data"], mesh="capsules")
    recording.flush()
    (tmp_path / "scene.rrd").write_bytes(memory.drain_as_bytes())
    store = RrdReader(tmp_path / "scene.rrd").store()
    logged = set(store.schema().entity_paths())
    assert set(paths) == {f"motions/{k}-{name}/{part}" for k, name in ((0, "clean"), (1, "noisy_data"))
                          for part in ("skeleton", "joints", "mesh")}
    assert {"/" + p for p in paths} <= logged
    summary = store.summary()
    line = next(s for s in summary.splitlines() if s.startswith("/motions/0-clean/skeleton"))
    assert f"rows={walk.num_frames}" in line and "'frame'" in line and "'time'" in line


def test_viewer_starts_on_free_local_ports_and_stops(walk):
    recording, address = start_viewer([walk], ["walk"], open_browser=False)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{address.web_port}/", timeout=10) as response:
            assert response.status == 200
            assert b"<html" in response.read(2000).lower()
        assert address.grpc_uri.startswith("rerun+http://127.0.0.1:")
    finally:
        recording.disconnect()
