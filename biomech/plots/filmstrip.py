"""Stick-figure filmstrip of one stride of a :class:`~biomech.gait.motion.Motion`."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from biomech.gait.motion import Motion  # noqa: E402
from biomech.models.kinematics import PlanarKinematics  # noqa: E402
from biomech.models.skeleton import Skeleton  # noqa: E402
from biomech.plots.style import use_style  # noqa: E402


def _chain(kin: PlanarKinematics, q: np.ndarray, side: str, sk: Skeleton) -> np.ndarray:
    """Hip, knee, ankle, heel, toe positions (m) of one leg, shape (n, 5, 2)."""
    lm = sk.landmarks_m
    pts = [kin.point(q, "pelvis", (0.0, 0.0)), kin.point(q, f"tibia_{side}", (0.0, 0.0)),
           kin.point(q, f"calcn_{side}", (0.0, 0.0)),
           kin.point(q, f"calcn_{side}", lm[f"heel_edge_{side}"][1]),
           kin.point(q, f"calcn_{side}", lm[f"toe_{side}"][1])]
    return np.stack(pts, axis=1)


@use_style()
def filmstrip(motion: Motion, skeleton: Skeleton, path: str | Path, *, frames: int = 12,
              kinematics: PlanarKinematics | None = None, title: str | None = None) -> Path:
    """Write a PNG filmstrip of the first stride: stick figures side by side, GRF arrows.

    Each figure is drawn relative to its own pelvis x, shifted along the strip; the ground is
    y = 0. Right leg red, left leg blue, trunk black; GRF as a green arrow (1 BW = 0.3 m).
    """
    kin = kinematics or PlanarKinematics.from_skeleton(skeleton)
    names = motion.coordinate_names
    strikes = motion.events.get("foot_strike_r", np.array([motion.time_s[0]]))
    t0 = float(strikes[0])
    t1 = float(strikes[1]) if len(strikes) > 1 else float(motion.time_s[-1])
    times = np.linspace(t0, t1, frames, endpoint=False)
    idx = np.searchsorted(motion.time_s, times).clip(0, motion.n_frames - 1)
    q = motion.q[idx]
    if tuple(names) != tuple(kin.coordinates):
        order = [names.index(c) for c in kin.coordinates]
        q = q[:, order]
    pelvis_x = kin.point(q, "pelvis", (0.0, 0.0))[:, 0]
    head = kin.point(q, "torso", (0.0, 0.6 * skeleton.height_m / 1.78))
    legs = {s: _chain(kin, q, s, skeleton) for s in ("r", "l")}
    weight = skeleton.total_mass_kg * -skeleton.gravity_m_s2
    spacing = 0.75
    fig, ax = plt.subplots(figsize=(1.1 * frames, 3.2))
    for k in range(frames):
        dx = k * spacing - pelvis_x[k]
        ax.plot([head[k, 0] + dx, pelvis_x[k] + dx], [head[k, 1], legs["r"][k, 0, 1]], color="k", lw=2)
        for side, colour in (("l", "tab:blue"), ("r", "tab:red")):
            p = legs[side][k]
            ax.plot(p[:4, 0] + dx, p[:4, 1], color=colour, lw=2)
            ax.plot(p[[3, 4], 0] + dx, p[[3, 4], 1], color=colour, lw=2)
            load = motion.loads.get(side)
            if load is not None:
                f = load.force_n[idx[k]]
                if f[1] > 1e-6 * weight:
                    cop = load.cop_m[idx[k]]
                    ax.annotate("", xy=(cop[0] + dx + 0.3 * f[0] / weight, 0.3 * f[1] / weight),
                                xytext=(cop[0] + dx, 0.0),
                                arrowprops={"arrowstyle": "->", "color": "tab:green"})
        pct = 100 * (times[k] - t0) / (t1 - t0)
        ax.text(k * spacing, -0.12, f"{pct:.0f}%", ha="center", fontsize=8)
    ax.axhline(0.0, color="0.5", lw=1)
    ax.set_aspect("equal")
    ax.set_ylim(-0.2, 1.0 + 0.6 * skeleton.height_m / 1.78 + 0.1)
    ax.set_xlim(-0.6, (frames - 1) * spacing + 0.6)
    ax.axis("off")
    ax.set_title(title or f"{motion.name}: one stride from right foot strike "
                 f"(direction of travel: {motion.direction})", fontsize=10)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
