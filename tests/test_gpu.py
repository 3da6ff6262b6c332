"""The GPU path, checked on a CPU: benchmarks/gpu.py at tiny sizes, backend-aware seed groups and flags, doctor's accelerators."""

from __future__ import annotations

import json

import pytest

from parity.config import TrainConfig
from parity.engine import devices, machine
from parity.shell import doctor, render


def test_the_gpu_benchmark_runs_at_tiny_sizes_and_writes_its_json(tmp_path, capsys, compilation_cache):
    from benchmarks import gpu

    result = gpu.main(["--tiny", "--repeats", "1", "--out", str(tmp_path / "gpu.json")])
    assert json.loads((tmp_path / "gpu.json").read_text()) == result
    assert result["tiny"] and result["backend"] == "cpu"
    assert [r["seeds"] for r in result["seeds_sweep"]] == list(gpu.TINY_SEEDS)
    for row in result["seeds_sweep"] + list(result["paper_scale"].values()):
        assert row["steps_per_second"] > 0 and row["eval_seconds"] >= 0
        assert row["model_steps_per_second"] == pytest.approx(row["seeds"] * row["steps_per_second"], rel=1e-3)
    paper = result["paper_scale"]
    assert (paper["teacher"]["width"], paper["student"]["width"], paper["student_distill"]["teacher_width"]) == (gpu.TINY_TEACHER_WIDTH, 100, 2_000)
    assert (paper["teacher"]["d"], paper["teacher"]["batch"]) == (100, 1)
    goal = result["paper_scale_goal"]
    evals = gpu.GOAL_STEPS / gpu.GOAL_EVAL_EVERY
    teacher = gpu.GOAL_STEPS / paper["teacher"]["steps_per_second"] + evals * paper["teacher"]["eval_seconds"]
    assert goal["teacher_seconds"] == pytest.approx(teacher, abs=1) and goal["total_seconds"] == pytest.approx(
        goal["teacher_seconds"] + goal["students_seconds"], abs=1
    )
    out = capsys.readouterr().out
    assert "paper-scale goal (Panigrahi et al. Fig. 1: teacher 8M steps" in out and "not the paper's" in out
    rows = result["kernels"]  # benchmarks/kernels.py: with and without the check, the default variant only on a CPU
    assert {(r["kind"], r["check_every"]) for r in rows} == {(k, c) for k in ("teacher", "student", "distill") for c in (100, 0)}
    for row in rows:
        assert row["us_per_step"] > 0 and row["variant"] == "default" and row["kernels_per_step"]["fusion"] > 0
    us = {(r["kind"], r["check_every"]): r["us_per_step"] for r in rows}
    estimate = 8e6 * (us["teacher", 0] + us["student", 0] + 2 * us["distill", 0]) / 6e7
    assert result["fig1_estimate_minutes"]["default, check_every 0"] == pytest.approx(estimate, abs=0.1)
    assert "Fig. 1 from per-step times (default, check_every 100)" in out


def test_the_kernel_count_reads_the_step_loops_body():
    """A hand-written module: the step loop (100 iterations) holds a fusion, a conditional with a fusion in each branch, and
    a 5-iteration loop of random bits; the evaluation loop outside it is not counted."""
    from benchmarks import kernels

    hlo = """HloModule m

%bits_body (p: u32[]) -> u32[] {
  %f = u32[] fusion(%p), kind=kLoop, calls=%fused_bits
}

%branch_a (p: f32[]) -> f32[] {
  %a = f32[] fusion(%p), kind=kLoop, calls=%fused_a
}

%branch_b (p: f32[]) -> f32[] {
  %b = f32[] copy(%p)
}

%step_body (p: f32[]) -> f32[] {
  %x = f32[] fusion(%p), kind=kLoop, calls=%fused_x
  %c = f32[] conditional(%pred, %p, %p), branch_computations={%branch_a, %branch_b}
  %w = u32[] while(%t), condition=%bits_cond, body=%bits_body, backend_config={"known_trip_count":{"n":"5"}}
}

%eval_body (p: f32[]) -> f32[] {
  %e = f32[] fusion(%p), kind=kLoop, calls=%fused_e
  %e2 = f32[] fusion(%p), kind=kLoop, calls=%fused_e2
}

ENTRY %main (p: f32[]) -> f32[] {
  %s = f32[] while(%t), condition=%step_cond, body=%step_body, backend_config={"known_trip_count":{"n":"100"}}
  %v = f32[] while(%t), condition=%eval_cond, body=%eval_body, backend_config={"known_trip_count":{"n":"4"}}
}
"""
    assert kernels.body_kernels(hlo) == {"fusion": 3, "custom-call": 0, "copy": 1, "conditional": 1, "while": 1, "other": 0}


def test_the_benchmark_keeps_the_papers_sizes_for_a_gpu():
    from benchmarks import gpu

    assert gpu.SEEDS == (1, 8, 64, 256, 1024) and (gpu.SWEEP.d, gpu.SWEEP.width, gpu.SWEEP.batch_size) == (50, 1000, 32)
    assert (gpu.TEACHER.d, gpu.TEACHER.k, gpu.TEACHER.width, gpu.TEACHER.batch_size, gpu.TEACHER.n_out) == (100, 6, 50_000, 1, 2)
    assert gpu.STUDENT.width == 100 and gpu.DISTILL.alpha == 0.0


def test_the_cache_rule_groups_seeds_on_a_cpu_and_a_gpu_runs_them_all_in_one_group():
    cfg = TrainConfig(d=50, k=3, width=1000)
    assert devices.seeds_per_group(cfg, 64, backend="cpu") == 4  # the 4 MiB rule
    assert devices.seeds_per_group(cfg, 64, backend="gpu") == 64
    assert devices.seeds_per_group(cfg, 1024, backend="tpu") == 1024
    assert devices.seeds_per_group(cfg, 8) == 4  # this machine's backend: the CPU


def test_on_a_gpu_the_cpu_device_flags_are_left_out(monkeypatch):
    monkeypatch.setattr(machine, "gpu_present", lambda environ: True)
    environ = {"XLA_FLAGS": "--xla_gpu_autotune_level=2"}
    machine.configure_cpu_workers(environ, n_devices=4)
    assert environ == {"XLA_FLAGS": "--xla_gpu_autotune_level=2"}
    monkeypatch.setattr(machine, "gpu_present", lambda environ: False)
    machine.configure_cpu_workers(environ, n_devices=4)
    assert environ["XLA_FLAGS"].split() == ["--xla_gpu_autotune_level=2", f"{machine.DEVICE_COUNT}=4", *machine.CPU_FLAGS]


def test_a_task_share_of_cores_replaces_an_inherited_device_count():
    environ = {"XLA_FLAGS": f"{machine.DEVICE_COUNT}=64 --xla_cpu_multi_thread_eigen=false"}  # the login node's, passed on by sbatch
    machine.configure_cpu_workers(environ, n_devices=1)
    assert f"{machine.DEVICE_COUNT}=1" in environ["XLA_FLAGS"] and "=64" not in environ["XLA_FLAGS"]


def test_gpu_present_needs_a_cuda_plugin_and_respects_jax_platforms():
    assert machine.gpu_present({"JAX_PLATFORMS": "cpu"}) is False
    assert machine.gpu_present({}) is False  # no jax[cuda12] here


class FakeDevice:
    def __init__(self, platform, name, kind, stats):
        self.platform, self.name, self.device_kind, self.stats = platform, name, kind, stats

    def __str__(self) -> str:
        return self.name

    def memory_stats(self):
        return self.stats


def test_doctor_shows_each_accelerator_with_its_memory_and_the_xla_settings(run_cli, capsys, monkeypatch):
    h200 = FakeDevice("gpu", "cuda:0", "NVIDIA H200", {"bytes_limit": 140 * 2**30, "bytes_in_use": 2**29})
    found = doctor.accelerators([FakeDevice("cpu", "cpu:0", "cpu", None), h200, FakeDevice("tpu", "tpu:0", "TPU v5", None)])
    assert found == [
        {"device": "cuda:0", "kind": "NVIDIA H200", "memory_bytes": 140 * 2**30, "memory_in_use_bytes": 2**29},
        {"device": "tpu:0", "kind": "TPU v5", "memory_bytes": None, "memory_in_use_bytes": None},
    ]
    monkeypatch.setenv("XLA_PYTHON_CLIENT_MEM_FRACTION", "0.5")
    r = run_cli("doctor", "--json")
    report = json.loads(r.out)
    assert report["backend"] == "cpu" and report["accelerators"] == [] and report["xla_env"]["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.5"
    assert report["extras"]["cuda"] is False and machine.DEVICE_COUNT in report["xla_flags"]
    render.print_doctor({**report, "backend": "gpu", "accelerators": found}, as_json=False)
    out = capsys.readouterr().out
    assert "accelerator cuda:0" in out and "NVIDIA H200, 140.0 GiB (0.5 GiB in use)" in out and "memory not reported" in out
