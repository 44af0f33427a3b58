"""Expansion of conditions x sweep into resolved runs; run ids (hashes of resolved configs)."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest

from biomech.errors import SpecError
from biomech.experiments import expand, parse_experiment, run_id
from biomech.experiments.sweep import canonical_json, preferred_step_rate_hz
from biomech.gait.params import default_value


def _exp(**doc):
    return parse_experiment({"name": "x", **doc}, "experiments/x.yaml")


def _points(runs, *keys):
    return [tuple(r.inputs[k] for k in keys) for r in runs]


def test_product_count_and_order():
    runs = expand(_exp(conditions={"direction": ["forward", "backward"]},
                       sweep={"speed_m_s": [2.5, 3.0, 3.5], "trunk_lean_deg": [0.0, 10.0]}))
    assert len(runs) == 2 * 3 * 2
    # conditions slowest, then the sweep keys in file order (first key slowest)
    assert _points(runs, "direction", "speed_m_s", "trunk_lean_deg")[:7] == [
        ("forward", 2.5, 0.0), ("forward", 2.5, 10.0), ("forward", 3.0, 0.0), ("forward", 3.0, 10.0),
        ("forward", 3.5, 0.0), ("forward", 3.5, 10.0), ("backward", 2.5, 0.0)]
    # file order, not schema order
    swapped = expand(_exp(sweep={"trunk_lean_deg": [0.0, 10.0], "speed_m_s": [2.5, 3.0]}))
    assert _points(swapped, "trunk_lean_deg", "speed_m_s") == [
        (0.0, 2.5), (0.0, 3.0), (10.0, 2.5), (10.0, 3.0)]


def test_zip_count_and_order():
    runs = expand(_exp(conditions={"direction": ["forward", "backward"]},
                       sweep={"mode": "zip", "speed_m_s": [2.5, 3.0, 3.5], "step_rate_hz": [2.6, 2.7, 2.8]}))
    assert len(runs) == 2 * 3
    assert _points(runs, "direction", "speed_m_s", "step_rate_hz") == [
        ("forward", 2.5, 2.6), ("forward", 3.0, 2.7), ("forward", 3.5, 2.8),
        ("backward", 2.5, 2.6), ("backward", 3.0, 2.7), ("backward", 3.5, 2.8)]


def test_defaults_filled_and_extra_runs_appended_and_duplicates_kept_once():
    runs = expand(_exp(gait={"params": {"knee_flexion_at_contact_deg": 30.0}},
                       conditions={"direction": ["backward"]}, sweep={"speed_m_s": [2.5, 3.0]},
                       runs=[{"direction": "backward"}, {"direction": "forward", "trunk_lean_deg": 12.0}]))
    # the first extra run is BR at its default speed (3.0 m/s) = the second sweep run
    assert [r.labels for r in runs] == [
        {"direction": "backward", "speed_m_s": 2.5}, {"direction": "backward", "speed_m_s": 3.0},
        {"direction": "forward", "trunk_lean_deg": 12.0}]
    fr = runs[2].inputs
    assert fr["speed_m_s"] == default_value("running", "forward", "speed_m_s")
    assert fr["duty_factor"] == default_value("running", "forward", "duty_factor")
    assert fr["knee_flexion_at_contact_deg"] == 30.0  # gait.params apply to extra runs too
    assert fr["trunk_lean_deg"] == 12.0
    for run in runs:
        json.loads(canonical_json(run.config))  # plain JSON data


def test_step_rate_follows_speed_and_relative_step_rate():
    runs = expand(_exp(conditions={"direction": ["forward", "backward"]},
                       sweep={"speed_m_s": [3.0], "step_rate_rel": [0.9, 1.1]}))
    # step_rate_vs_speed of defaults.yaml: FR 2.205 + 0.17 v, BR 2.54 + 0.17 v (Hz)
    expected = [0.9 * 2.715, 1.1 * 2.715, 0.9 * 3.05, 1.1 * 3.05]
    assert [r.inputs["step_rate_hz"] for r in runs] == pytest.approx(expected, abs=1e-9)
    fixed = expand(_exp(gait={"step_rate_rule": "default"}, sweep={"speed_m_s": [3.0]}))
    assert fixed[0].inputs["step_rate_hz"] == default_value("running", "forward", "step_rate_hz")
    value, note = preferred_step_rate_hz("forward", 2.0)
    assert value == pytest.approx(2.205 + 0.17 * 2.0) and "extrapolated" in note


def test_run_id_is_the_sha256_of_the_canonical_json():
    config = {"b": [1, 2.5, "x"], "a": {"z": None, "y": True}}
    text = '{"a":{"y":true,"z":null},"b":[1,2.5,"x"]}'
    assert canonical_json(config) == text
    assert run_id(config) == hashlib.sha256(text.encode()).hexdigest()[:12]


def test_run_id_is_stable_and_independent_of_key_order():
    run = expand(_exp())[0]
    again = expand(_exp())[0]
    assert run.run_id == again.run_id == run_id(run.config)
    reordered = json.loads(json.dumps(run.config, sort_keys=True))
    reordered = {k: reordered[k] for k in reversed(list(reordered))}
    reordered["gait"]["inputs"] = dict(reversed(list(reordered["gait"]["inputs"].items())))
    assert run_id(reordered) == run.run_id


def test_run_id_changes_with_any_parameter():
    config = expand(_exp())[0].config
    base = run_id(config)
    seen = {base}
    paths = [("subject", k) for k in config["subject"]] + [("analyses", k) for k in config["analyses"]]
    paths += [("gait", "inputs", k) for k in config["gait"]["inputs"]] + [("model", "spec_sha256")]
    for path in paths:
        changed = copy.deepcopy(config)
        node = changed
        for key in path[:-1]:
            node = node[key]
        value = node[path[-1]]
        if value is None:
            node[path[-1]] = 1.0
        elif isinstance(value, str):
            node[path[-1]] = "backward" if value == "forward" else value + "0"
        else:
            node[path[-1]] = value + 1
        rid = run_id(changed)
        assert rid not in seen, path
        seen.add(rid)


def test_executor_and_output_are_not_in_the_hash():
    local = expand(_exp(sweep={"speed_m_s": [3.0, 3.5]}))
    dask = expand(_exp(sweep={"speed_m_s": [3.0, 3.5]},
                       executor={"kind": "dask", "scheduler": "tcp://127.0.0.1:8786", "jobs": 8}))
    assert [r.run_id for r in local] == [r.run_id for r in dask]
    assert not {"executor", "output", "name"} & set(local[0].config)


def test_the_fake_run_function_hashes_like_the_engine():
    from experiments_fakes import run_id as fake_run_id

    config = expand(_exp())[0].config
    assert fake_run_id(config) == run_id(config)


def test_motion_files_are_hashed_by_content(tmp_path):
    for suffix in ("_coordinates.mot", "_grf.mot", "_events.json"):
        (tmp_path / f"trial{suffix}").write_text("a")
    doc = {"gait": {"source": "files", "motions": [str(tmp_path / "trial_coordinates.mot")]}}
    (run,) = expand(_exp(**doc))
    assert run.labels == {"motion": "trial"}
    assert sorted(run.config["gait"]["sha256"]) == [
        "trial_coordinates.mot", "trial_events.json", "trial_grf.mot"]
    (tmp_path / "trial_grf.mot").write_text("b")
    assert expand(_exp(**doc))[0].run_id != run.run_id
    (tmp_path / "other.mot").write_text("a")
    with pytest.raises(SpecError, match=r"gait.motions\[0\]: 'other.mot': expected a <stem>_coordinates.mot"):
        expand(parse_experiment({"name": "x", "gait": {"source": "files", "motions": ["other.mot"]}},
                                str(tmp_path / "x.yaml")))


def test_stride_length_and_contact_time_set_step_rate_and_duty_factor():
    runs = expand(_exp(sweep={"stride_length_m": [2.4, 2.6]}, gait={"params": {"contact_time_s": 0.24}}))
    speed = default_value("running", "forward", "speed_m_s")
    # step rate (both feet) = 2 speed / stride length; duty factor = contact time * step rate / 2
    assert [r.inputs["step_rate_hz"] for r in runs] == pytest.approx([2 * speed / 2.4, 2 * speed / 2.6])
    assert [r.inputs["duty_factor"] for r in runs] == pytest.approx(
        [0.24 * r.inputs["step_rate_hz"] / 2 for r in runs])
    with pytest.raises(SpecError, match="step_rate_rel"):
        expand(_exp(sweep={"stride_length_m": [2.4], "step_rate_rel": [1.1]}))


def test_walking_experiment_uses_the_walking_defaults():
    runs = expand(_exp(gait={"mode": "walking"}, conditions={"direction": ["forward", "backward"]}))
    for run, direction in zip(runs, ("forward", "backward"), strict=True):
        assert run.inputs["mode"] == "walking"
        for name in ("speed_m_s", "step_rate_hz", "duty_factor"):
            assert run.inputs[name] == default_value("walking", direction, name)
    with pytest.raises(SpecError, match="duty_factor"):
        expand(_exp(gait={"mode": "walking", "params": {"duty_factor": 0.4}}))


def test_backward_by_time_reversal_is_the_forward_synthesis_at_the_backward_stride():
    doc = {"conditions": {"direction": ["forward", "backward"]}, "sweep": {"speed_m_s": [2.5, 3.0]}}
    own = expand(_exp(**doc))
    reversed_ = expand(_exp(gait={"backward": "time_reversed"}, **doc))
    # forward runs unchanged (same run ids)
    assert [r.run_id for r in reversed_[:2]] == [r.run_id for r in own[:2]]
    for br, br_own in zip(reversed_[2:], own[2:], strict=True):
        assert br.config["gait"]["time_reversed"] is True and "time_reversed" not in br_own.config["gait"]
        assert br.inputs["direction"] == "backward"          # the direction the run travels
        synthesised = br.config["gait"]["inputs"]              # what the runner synthesises
        assert synthesised["direction"] == "forward"
        for name in ("speed_m_s", "step_rate_hz", "duty_factor"):   # the backward stride
            assert synthesised[name] == br_own.inputs[name], name
        for name in ("foot_angle_at_contact_deg", "knee_flexion_at_contact_deg", "peak_hip_swing_fraction"):
            assert synthesised[name] == default_value("running", "forward", name), name   # forward otherwise
        assert any("time_reversed" in note for note in br.notes)
    # a stride alias of the backward run resolves first, then carries over
    runs = expand(_exp(gait={"backward": "time_reversed", "params": {"contact_time_s": 0.25}},
                       conditions={"direction": ["backward"]}))
    assert runs[0].config["gait"]["inputs"]["duty_factor"] == pytest.approx(
        0.25 * runs[0].inputs["step_rate_hz"] / 2)
