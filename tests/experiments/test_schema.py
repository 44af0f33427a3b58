"""Experiment files: every bad field gives one line with the file, the field path and what was
expected; the shipped experiment files validate."""

from __future__ import annotations

from pathlib import Path

import pytest

from biomech.errors import SpecError
from biomech.experiments import load_experiment, parse_experiment
from biomech.experiments.sweep import expand

REPO = Path(__file__).resolve().parents[2]
SRC = "experiments/x.yaml"


def _error(doc: dict) -> str:
    with pytest.raises(SpecError) as info:
        parse_experiment(doc, SRC)
    message = str(info.value)
    assert "\n" not in message
    return message


# (document, expected message after "experiments/x.yaml: ")
BAD = [
    # out of range: physiological_ranges of biomech/gait/defaults.yaml (step rate 0.8-5.5 Hz,
    # speed 0.1-10.5 m/s, peak swing knee flexion 30-140 deg, trunk lean -20-45 deg)
    ({"name": "x", "sweep": {"step_rate_hz": [2.8, 3.0, 6.0]}},
     "sweep.step_rate_hz[2]: 6.0 Hz is above 5.5 Hz"),
    ({"name": "x", "sweep": {"speed_m_s": [0.05]}}, "sweep.speed_m_s[0]: 0.05 m/s is below 0.1 m/s"),
    ({"name": "x", "conditions": {"peak_swing_knee_flexion_deg": [90, 400]}},
     "conditions.peak_swing_knee_flexion_deg[1]: 400.0 deg is above 140.0 deg"),
    ({"name": "x", "gait": {"params": {"trunk_lean_deg": -30}}},
     "gait.params.trunk_lean_deg: -30.0 deg is below -20.0 deg"),
    ({"name": "x", "runs": [{"direction": "backward", "speed_m_s": 11.0}]},
     "runs[0].speed_m_s: 11.0 m/s is above 10.5 m/s"),
    ({"name": "x", "sweep": {"step_rate_rel": [1.0, 2.0]}}, "sweep.step_rate_rel[1]: 2.0 is above 1.5"),
    ({"name": "x", "subject": {"mass_kg": 750}}, "subject.mass_kg: 750.0 kg is above 200.0 kg"),
    ({"name": "x", "subject": {"height_m": 178}}, "subject.height_m: 178.0 m is above 2.3 m"),
    ({"name": "x", "analyses": {"tendon_hysteresis": 0.9}}, "analyses.tendon_hysteresis: 0.9 is above 0.5"),
    ({"name": "x", "sweep": {"duty_factor": [0.3, 0.6]}},
     "sweep.duty_factor[1]: 0.6 is not below 0.5 (running needs a flight phase)"),
    ({"name": "x", "executor": {"jobs": 0}}, "executor.jobs: got 0; expected greater than or equal to 1"),
    # unknown keys, with their path
    ({"name": "x", "bogus": 1}, "bogus: unknown field; expected one of name, description, subject, "
     "model, gait, analyses, conditions, sweep, runs, executor, run_function"),
    ({"name": "x", "subject": {"mass": 75}},
     "subject.mass: unknown field; expected one of mass_kg, height_m"),
    ({"name": "x", "model": {"spek": "a"}}, "model.spek: unknown field; expected one of spec"),
    ({"name": "x", "runs": [{}, {"direction": "backward", "sped": 3}]}, None),
    ({"name": "x", "executor": {"jobqueue": {"cluster": "SLURMCluster", "cores": 1}}},
     "executor.jobqueue.cores: unknown field; expected one of cluster, kwargs"),
    # wrong types
    ({"name": "x", "sweep": {"speed_m_s": [2.5, "3"]}}, "sweep.speed_m_s[1]: got '3'; expected a number"),
    ({"name": "x", "sweep": {"speed_m_s": 3.0}}, "sweep.speed_m_s: got 3.0; expected a list"),
    ({"name": "x", "subject": {"mass_kg": "75"}}, "subject.mass_kg: got '75'; expected a number"),
    ({"name": "x", "subject": {"mass_kg": True}}, "subject.mass_kg: got True; expected a number"),
    ({"name": "x", "gait": {"params": {"samples_per_step": 60.5}}},
     "gait.params.samples_per_step: got 60.5; expected an integer"),
    ({"name": "x", "conditions": {"direction": ["sideways"]}},
     "conditions.direction[0]: got 'sideways'; expected 'forward' or 'backward'"),
    ({"name": "x", "sweep": {"mode": "grid", "speed_m_s": [3.0]}},
     "sweep.mode: got 'grid'; expected 'product' or 'zip'"),
    ({"name": "x", "executor": {"kind": "slurm"}}, "executor.kind: got 'slurm'; expected 'local' or 'dask'"),
    ({"name": "x", "gait": {"source": "video"}}, "gait.source: got 'video'; expected 'synthesis' or 'files'"),
    ({"name": "x", "analyses": {"tendon": "elastic"}},
     "analyses.tendon: got 'elastic'; expected 'rigid' or 'compliant'"),
    ({"name": "x y"}, "name: got 'x y'; expected letters, digits, '_', '.', '-' (a folder name)"),
    ({"name": "x", "run_function": "nocolon"}, "run_function: got 'nocolon'; expected 'module:function'"),
    ({}, "name: required field is missing"),
    ({"name": "x", "sweep": {"speed_m_s": []}}, "sweep.speed_m_s: expected at least one value"),
    # combinations
    ({"name": "x", "sweep": {"mode": "zip", "speed_m_s": [2.5, 3.0], "trunk_lean_deg": [5.0]}},
     "sweep.trunk_lean_deg: has 1 values but sweep.speed_m_s has 2; mode zip needs lists of equal length"),
    ({"name": "x", "gait": {"params": {"speed_m_s": 3.0}}, "sweep": {"speed_m_s": [3.0]}},
     "sweep.speed_m_s: also set in gait.params; set it once"),
    ({"name": "x", "conditions": {"step_rate_hz": [2.8]}, "sweep": {"step_rate_rel": [1.0]}},
     "sweep.step_rate_rel: cannot be combined with step_rate_hz (in conditions)"),
    ({"name": "x", "executor": {"scheduler": "tcp://127.0.0.1:8786"}},
     "executor.scheduler: only used with executor.kind: dask"),
    ({"name": "x", "gait": {"source": "files"}},
     "gait.motions: required with gait.source: files (a list of *_coordinates.mot files written by "
     "Motion.to_files)"),
    ({"name": "x", "gait": {"source": "files", "motions": ["a_coordinates.mot"],
                            "backward": "time_reversed"}},
     "gait.backward: only applies to gait.source: synthesis"),
    ({"name": "x", "gait": {"backward": "mirrored"}},
     "gait.backward: got 'mirrored'; expected 'synthesis' or 'time_reversed'"),
]


@pytest.mark.parametrize(("doc", "expected"), BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_field_gives_one_line_with_its_path(doc, expected):
    message = _error(doc)
    if expected is None:  # only the path is checked
        assert message.startswith(f"{SRC}: runs[1].sped: unknown field; expected one of direction, ")
    else:
        assert message == f"{SRC}: {expected}"


def test_out_of_range_step_rate_from_a_relative_step_rate(tmp_path):
    # 1.5 x the BR preferred step rate at 10 m/s (2.54 + 0.17 x 10 = 4.24 Hz) = 6.36 Hz > 5.5 Hz
    exp = parse_experiment({"name": "x", "conditions": {"direction": ["backward"]},
                            "sweep": {"speed_m_s": [10.0], "step_rate_rel": [1.5]}}, SRC)
    with pytest.raises(SpecError, match=r"^experiments/x.yaml: sweep: \(direction=backward, "
                                        r"speed_m_s=10.0, step_rate_rel=1.5\) gives step_rate_hz 6.36 Hz, "
                                        r"above 5.5 Hz$"):
        expand(exp)


def test_yaml_errors_and_missing_files_are_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsweep: [1, 2\n")
    with pytest.raises(SpecError, match=r"bad.yaml: line \d+: not valid YAML"):
        load_experiment(bad)
    with pytest.raises(SpecError, match=r"nothere.yaml: <file>: no such experiment file"):
        load_experiment(tmp_path / "nothere.yaml")
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n")
    with pytest.raises(SpecError, match=r"list.yaml: <root>: expected a mapping"):
        load_experiment(listed)


def test_missing_model_spec_is_named(tmp_path):
    exp = parse_experiment({"name": "x", "model": {"spec": "models/nothere.yaml"}}, SRC)
    with pytest.raises(SpecError, match=r"^experiments/x.yaml: model.spec: no such model spec file "
                                        r"'models/nothere.yaml'"):
        expand(exp)


@pytest.mark.parametrize(("name", "n_runs"), [("retro_vs_forward", 6), ("retro_vs_forward_compliant", 6),
                                              ("step_rate_sweep", 10), ("speed_sweep", 10),
                                              ("sole_compression_sweep", 6), ("br_foot_angle_sweep", 4),
                                              ("retro_vs_forward_time_reversed", 6)])
def test_shipped_experiments_validate(name, n_runs):
    # retro_vs_forward: 2 directions x 3 speeds; its extra run (BR at the default BR speed,
    # 3.0 m/s in defaults.yaml) is the matched 3.0 m/s BR run and is kept once.
    # step_rate_sweep: 2 directions x 5 step rates; speed_sweep: 2 directions x 5 speeds.
    exp = load_experiment(REPO / "experiments" / f"{name}.yaml")
    assert exp.name == name
    assert len(expand(exp)) == n_runs
