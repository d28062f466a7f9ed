//! `csnas verify`: runs every op forward and backward on two backends from
//! identical seeded inputs and reports the divergence per op and output.
//!
//! Why: DESIGN 3.1.4 — the GPU path is verified against the CPU reference
//! within stated tolerances, and the measured divergence is reported. The
//! comparison is generic over [`OpBackend`]; the one runner over the backend
//! traits is [`SeamOps`] (the CPU reference is `SeamOps(CpuF32)`). It is
//! tested with the CPU on both sides (every error exactly 0) and with the
//! perturbed backend (the check fails, naming the op).
//!
//! Errors, per output element `a` (candidate) against `r` (reference):
//! `abs = |a - r|`, `rel = abs / |r|` (0 when both are 0, infinite when only
//! `r` is 0). An element passes when `abs <= atol + rtol·|r|` (NaN passes
//! only against NaN). Each op's tolerance is in [`tolerance`]: ops whose
//! kernels follow the CPU's order exactly are held to 0; batch norm, whose
//! GPU reductions use a block tree order, and the ops a GPU may hand to
//! cuDNN/cuBLAS or reduce in another order (convolutions, linear, the
//! losses, the clipping norm) to `atol 1e-5, rtol 1e-4`.

mod cases;
mod seam;
#[cfg(test)]
mod tests;

pub use cases::{OpCase, VerifyOp, cases};
pub use seam::SeamOps;

/// The CPU reference as an [`OpBackend`].
pub fn cpu_ops() -> SeamOps<crate::backend::CpuF32> {
    SeamOps(crate::backend::CpuF32::new())
}

use crate::backend::{BackendKind, Device};
use crate::error::{Error, Result};

/// A dense f32 tensor: a shape and its row-major values.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// A backend that can run every [`VerifyOp`] forward and backward.
pub trait OpBackend {
    /// Its name in the report, e.g. `cpu` or `cuda:0`.
    fn name(&self) -> String;
    /// Runs `case` (forward and backward) and returns its named outputs, in
    /// a fixed order per op.
    fn run(&self, case: &OpCase) -> Result<Vec<(&'static str, Tensor)>>;
}

/// Opens the op backend for `kind`.
pub fn op_backend(kind: BackendKind) -> Result<Box<dyn OpBackend>> {
    match kind.open()? {
        Device::Cpu => Ok(Box::new(cpu_ops())),
        Device::Cuda(d) => Ok(Box::new(SeamOps(d.backend(kind.is_exact())?))),
    }
}

/// Stated tolerance `(atol, rtol)` for an op.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    pub atol: f32,
    pub rtol: f32,
}

/// Zero tolerance: a bit-exact candidate (`--exact`).
pub const EXACT: Tolerance = Tolerance {
    atol: 0.0,
    rtol: 0.0,
};

/// The tolerance each op is held to (see the module doc).
pub fn tolerance(op: VerifyOp) -> Tolerance {
    match op {
        VerifyOp::BatchNorm
        | VerifyOp::Conv2d
        | VerifyOp::DepthwiseConv
        | VerifyOp::Linear
        | VerifyOp::NtXent
        | VerifyOp::PirlNce
        | VerifyOp::CrossEntropy
        | VerifyOp::ClipNorm => Tolerance {
            atol: 1e-5,
            rtol: 1e-4,
        },
        _ => Tolerance {
            atol: 0.0,
            rtol: 0.0,
        },
    }
}

/// The measured divergence of one output of one op.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputDivergence {
    pub op: VerifyOp,
    pub output: &'static str,
    pub max_abs: f32,
    pub max_rel: f32,
    pub tolerance: Tolerance,
    /// Why it fails, or `None` when within tolerance.
    pub failure: Option<String>,
}

/// Runs every case on both backends and measures each output's divergence
/// against the op's [`tolerance`].
pub fn compare(
    reference: &dyn OpBackend,
    candidate: &dyn OpBackend,
    seed: u64,
) -> Result<Vec<OutputDivergence>> {
    compare_with(reference, candidate, seed, false)
}

/// [`compare`]; with `exact`, every output is held to zero error ([`EXACT`]),
/// as a bit-exact candidate must be.
pub fn compare_with(
    reference: &dyn OpBackend,
    candidate: &dyn OpBackend,
    seed: u64,
    exact: bool,
) -> Result<Vec<OutputDivergence>> {
    let mut rows = Vec::new();
    for case in cases(seed) {
        let want = reference.run(&case)?;
        let got = candidate.run(&case)?;
        let tol = if exact { EXACT } else { tolerance(case.op) };
        if want.len() != got.len() {
            return Err(Error::CheckFailed(format!(
                "{}: {} gave {} outputs, {} gave {}",
                case.op.name(),
                reference.name(),
                want.len(),
                candidate.name(),
                got.len()
            )));
        }
        for ((name, r), (_, a)) in want.iter().zip(&got) {
            rows.push(divergence(case.op, name, r, a, tol));
        }
    }
    Ok(rows)
}

fn divergence(
    op: VerifyOp,
    output: &'static str,
    r: &Tensor,
    a: &Tensor,
    tol: Tolerance,
) -> OutputDivergence {
    let mut row = OutputDivergence {
        op,
        output,
        max_abs: 0.0,
        max_rel: 0.0,
        tolerance: tol,
        failure: None,
    };
    if r.shape != a.shape {
        row.failure = Some(format!("shape {:?} against {:?}", a.shape, r.shape));
        return row;
    }
    let mut bad = 0usize;
    for (&rv, &av) in r.data.iter().zip(&a.data) {
        if rv.is_nan() || av.is_nan() {
            if rv.is_nan() != av.is_nan() {
                bad += 1;
                row.max_abs = f32::NAN;
            }
            continue;
        }
        let abs = (av - rv).abs();
        let rel = if abs == 0.0 { 0.0 } else { abs / rv.abs() };
        row.max_abs = row.max_abs.max(abs);
        row.max_rel = row.max_rel.max(rel);
        if abs > tol.atol + tol.rtol * rv.abs() {
            bad += 1;
        }
    }
    if bad > 0 {
        row.failure = Some(format!(
            "{bad} of {} values outside tolerance",
            r.data.len()
        ));
    }
    row
}

/// The report table, one row per op output, with the tolerances.
pub fn render_table(reference: &str, candidate: &str, rows: &[OutputDivergence]) -> String {
    let mut s = format!("verify: {candidate} against {reference} (reference)\n");
    s += &format!(
        "{:<28} {:>11} {:>11} {:>9} {:>9}  result\n",
        "op.output", "max abs", "max rel", "atol", "rtol"
    );
    for r in rows {
        let label = format!("{}.{}", r.op.name(), r.output);
        let result = r
            .failure
            .as_deref()
            .map_or("ok".to_string(), |f| format!("FAIL: {f}"));
        s += &format!(
            "{label:<28} {:>11.3e} {:>11.3e} {:>9.1e} {:>9.1e}  {result}\n",
            r.max_abs, r.max_rel, r.tolerance.atol, r.tolerance.rtol
        );
    }
    s
}

/// The report as one JSON object: the two backends and one entry per op
/// output (`op`, `output`, `max_abs`, `max_rel`, `atol`, `rtol`, `ok`,
/// `failure`). A NaN divergence is written as `null`.
pub fn render_json(reference: &str, candidate: &str, rows: &[OutputDivergence]) -> String {
    let num = |v: f32| {
        serde_json::Number::from_f64(f64::from(v)).map_or(serde_json::Value::Null, Into::into)
    };
    let outputs: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "op": r.op.name(),
                "output": r.output,
                "max_abs": num(r.max_abs),
                "max_rel": num(r.max_rel),
                "atol": num(r.tolerance.atol),
                "rtol": num(r.tolerance.rtol),
                "ok": r.failure.is_none(),
                "failure": r.failure,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "reference": reference,
        "candidate": candidate,
        "outputs": outputs,
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("plain values");
    s.push('\n');
    s
}

/// `Ok` when every row is within tolerance, else [`Error::CheckFailed`]
/// (exit 1) naming the failing op outputs.
pub fn check(rows: &[OutputDivergence]) -> Result<()> {
    let failed: Vec<String> = rows
        .iter()
        .filter(|r| r.failure.is_some())
        .map(|r| format!("{}.{}", r.op.name(), r.output))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::CheckFailed(format!(
            "verify: {} output(s) outside tolerance: {}",
            failed.len(),
            failed.join(", ")
        )))
    }
}
