"""An interactive 3D viewer in the browser (rerun's web viewer, served from this machine).

Each input motion becomes an entity ``motions/<index>-<label>`` with a ``skeleton`` (line segments)
and ``joints`` (points), plus a ``mesh`` when a body is asked for, logged on two timelines:
``frame`` (the motion's frame index) and ``time`` (seconds). Rerun's time panel gives the
timeline: play/pause, a frame slider, loop and speed. The scene's up axis follows the data.
Frames are thinned to at most :data:`~posefield.viz.scene.MAX_DRAWN_FPS` per second so that long clips stay light.
"""
from __future__ import annotations

import dataclasses
import socket
from typing import Sequence

import numpy as np

from posefield.motion import Motion
from posefield.viz.camera import body_axes
from posefield.requires import require
from posefield.viz.scene import MAX_DRAWN_FPS, Track, make_tracks

APPLICATION_ID = "posefield"


@dataclasses.dataclass(frozen=True)
class ViewerAddress:
    """Where a running viewer is: open ``url`` in a browser."""

    web_port: int
    grpc_uri: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}/?url={self.grpc_uri}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rgb(colour: str) -> list[int]:
    from matplotlib.colors import to_rgb

    return [int(round(255 * c)) for c in to_rgb(colour)]


def entity(index: int, track: Track) -> str:
    """Entity path of the ``index``-th track: ``motions/<index>-<label>``, characters that rerun
    treats specially replaced by ``_``."""
    return f"motions/{index}-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in track.label)


def log_scene(recording, motions: Sequence[Motion], labels: Sequence[str], mesh: str | None = None) -> list[str]:
    """Log the motions into a rerun recording stream; returns the entity paths logged."""
    import rerun as rr

    tracks = make_tracks(motions, labels, mesh)
    up, _ = body_axes(motions[0])
    k = int(np.argmax(np.abs(up)))
    coords = {(1, 1): rr.ViewCoordinates.RIGHT_HAND_Y_UP, (1, -1): rr.ViewCoordinates.RIGHT_HAND_Y_DOWN,
              (2, 1): rr.ViewCoordinates.RIGHT_HAND_Z_UP, (2, -1): rr.ViewCoordinates.RIGHT_HAND_Z_DOWN}
    recording.log("motions", coords.get((k, int(up[k])), rr.ViewCoordinates.RIGHT_HAND_Y_UP), static=True)
    fps = motions[0].fps
    step = max(1, int(round(fps / MAX_DRAWN_FPS)))
    paths = []
    for k, track in enumerate(tracks):
        path = entity(k, track)
        colour = _rgb(track.colour)
        paths += [f"{path}/skeleton", f"{path}/joints"] + ([f"{path}/mesh"] if track.vertices is not None else [])
        if track.faces is not None:
            recording.log(f"{path}/mesh", rr.Mesh3D(vertex_positions=track.vertices[0], triangle_indices=track.faces,
                                                    albedo_factor=colour + [255]), static=True)
    for f in range(0, tracks[0].points.shape[0], step):
        recording.set_time("frame", sequence=f)
        recording.set_time("time", duration=f / fps)
        for k, track in enumerate(tracks):
            path, colour = entity(k, track), _rgb(track.colour)
            points = track.points[f]
            strips = np.stack([points[track.segments.start], points[track.segments.end]], axis=1)
            recording.log(f"{path}/skeleton", rr.LineStrips3D(strips, colors=colour, radii=0.008))
            recording.log(f"{path}/joints", rr.Points3D(points, colors=colour, radii=0.015))
            if track.vertices is not None:
                recording.log(f"{path}/mesh", rr.Mesh3D.from_fields(vertex_positions=track.vertices[f]))
    return paths


def start_viewer(motions: Sequence[Motion], labels: Sequence[str], mesh: str | None = None,
                 web_port: int | None = None, grpc_port: int | None = None, open_browser: bool = True):
    """Serve the motions: a gRPC data server and the web viewer connected to it (both return at
    once and run until this process ends or the returned recording is disconnected).

    Returns:
        (recording, address): the rerun recording stream and where to point a browser.
    """
    require("rerun", "view", "the 3D viewer", "rerun-sdk")
    import rerun as rr

    recording = rr.RecordingStream(APPLICATION_ID)
    uri = rr.serve_grpc(grpc_port=grpc_port or free_port(), recording=recording)
    log_scene(recording, motions, labels, mesh)
    address = ViewerAddress(web_port or free_port(), uri)
    rr.serve_web_viewer(web_port=address.web_port, open_browser=open_browser, connect_to=uri)
    return recording, address
