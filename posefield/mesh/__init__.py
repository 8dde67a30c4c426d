"""Body meshes on posefield skeletons: the Anny body (CMU ASF rig), a capsule body for any
skeleton, linear blend skinning, per-vertex error and self-penetration."""
from posefield.mesh.body import BodyMesh, skin, skin_motion
from posefield.mesh.metrics import per_vertex_error
from posefield.mesh.penetration import self_penetration
from posefield.mesh.select import body_mesh

__all__ = ["BodyMesh", "body_mesh", "per_vertex_error", "self_penetration", "skin", "skin_motion"]
