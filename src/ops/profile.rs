//! Optional per-op-class timing, for `csnas bench`'s breakdown of a step.
//!
//! Why here: the share of a training step spent in each kind of op is what
//! tells us where the CPU reference loses time against PyTorch, and only the
//! ops themselves know which kind they are (a convolution is depthwise or
//! dense only once its groups are known). The hook is off by default and then
//! costs one thread-local read per op call; it never touches any value, so
//! results are the same bits with it on or off.
//!
//! The accumulator is per thread: enable it, run the step and read it on the
//! same thread (the ops are called from the thread that drives the network;
//! their rayon workers are not timed separately). Nested timed calls count
//! once, in the outermost class. At more than one thread a convolution's
//! backward-data half may run on a worker beside its filter gradient
//! (`rayon::join`), and the driving thread's wait for it counts as "other":
//! the shares are exact at 1 thread, indicative above. Whole ops that the
//! CPU backend runs side by side (a cell's edges, `BackendCore::join` and
//! `map_independent`) are timed on the thread that runs them and added
//! ([`timed`], [`add`]), so above 1 thread the classes sum thread time and
//! can exceed the step's wall time.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// The op classes a step is broken into; everything else is "other".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpClass {
    /// Convolution with `groups < channels` (stem, 1×1 preprocessing, the
    /// pointwise halves of separable and dilated convolutions, factorized reduce).
    ConvDense,
    /// Depthwise convolution (`groups == Cin == Cout`).
    ConvDepthwise,
    /// Batch norm, forward and backward.
    BatchNorm,
    /// Max, average and global average pooling.
    Pool,
    /// Fully connected layers (the projection head).
    Linear,
    /// ReLU, forward and backward.
    Relu,
}

impl OpClass {
    /// Every class, in report order.
    pub const ALL: [OpClass; 6] = [
        OpClass::ConvDense,
        OpClass::ConvDepthwise,
        OpClass::BatchNorm,
        OpClass::Pool,
        OpClass::Linear,
        OpClass::Relu,
    ];

    /// Short name used in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            OpClass::ConvDense => "conv_dense",
            OpClass::ConvDepthwise => "conv_depthwise",
            OpClass::BatchNorm => "batch_norm",
            OpClass::Pool => "pool",
            OpClass::Linear => "linear",
            OpClass::Relu => "relu",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Time spent in each class, indexed as [`OpClass::ALL`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpTimes {
    pub nanos: [u64; 6],
}

impl OpTimes {
    /// Time spent in `class`.
    pub fn get(&self, class: OpClass) -> Duration {
        Duration::from_nanos(self.nanos[class.index()])
    }

    /// Time spent in all classes together.
    pub fn total(&self) -> Duration {
        Duration::from_nanos(self.nanos.iter().sum())
    }
}

thread_local! {
    static ENABLED: Cell<bool> = const { Cell::new(false) };
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    static TIMES: Cell<OpTimes> = const { Cell::new(OpTimes { nanos: [0; 6] }) };
}

/// Turns timing on for this thread and clears its accumulator.
pub fn enable() {
    TIMES.with(|t| t.set(OpTimes::default()));
    DEPTH.with(|d| d.set(0));
    ENABLED.with(|e| e.set(true));
}

/// Turns timing off for this thread and returns what it accumulated.
pub fn disable() -> OpTimes {
    ENABLED.with(|e| e.set(false));
    TIMES.with(|t| t.get())
}

/// Returns this thread's accumulated times and clears them (timing stays on or off).
pub fn take() -> OpTimes {
    TIMES.with(|t| t.replace(OpTimes::default()))
}

/// Whether timing is on for this thread.
pub fn is_enabled() -> bool {
    ENABLED.with(|e| e.get())
}

/// Whether timing is on for this thread and no timed op call is running on
/// it (a parallel helper called here must carry timing to its tasks).
pub fn is_outermost() -> bool {
    is_enabled() && DEPTH.with(|d| d.get()) == 0
}

/// Runs `f` with timing on, from an empty accumulator at depth 0, and
/// returns its result and what its op calls took; this thread's own timing
/// state is restored afterwards. For the tasks a parallel helper hands to
/// the pool (the CPU backend's `join` and `map_independent`): each task is
/// timed on whichever thread runs it, and the caller [`add`]s the times.
pub fn timed<R>(f: impl FnOnce() -> R) -> (R, OpTimes) {
    let (enabled, depth) = (is_enabled(), DEPTH.with(|d| d.get()));
    let saved = take();
    DEPTH.with(|d| d.set(0));
    ENABLED.with(|e| e.set(true));
    let r = f();
    let times = TIMES.with(|t| t.replace(saved));
    DEPTH.with(|d| d.set(depth));
    ENABLED.with(|e| e.set(enabled));
    (r, times)
}

/// Adds `times` to this thread's accumulator.
pub fn add(times: OpTimes) {
    TIMES.with(|t| {
        let mut v = t.get();
        for (a, b) in v.nanos.iter_mut().zip(times.nanos) {
            *a += b;
        }
        t.set(v);
    });
}

/// A running timer; adds its elapsed time to its class when dropped.
#[must_use = "the scope times until it is dropped"]
pub struct Scope {
    /// Whether this scope raised the nesting depth (timing was on at its start).
    active: bool,
    started: Option<(OpClass, Instant)>,
}

/// Starts timing one op call of `class` (a no-op unless [`enable`]d, or when
/// nested inside another timed call).
#[inline]
pub fn scope(class: OpClass) -> Scope {
    if !is_enabled() {
        return Scope {
            active: false,
            started: None,
        };
    }
    let outer = DEPTH.with(|d| {
        let depth = d.get();
        d.set(depth + 1);
        depth == 0
    });
    Scope {
        active: true,
        started: outer.then(|| (class, Instant::now())),
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        if !self.active {
            return;
        }
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
        if let Some((class, start)) = self.started {
            let ns = start.elapsed().as_nanos() as u64;
            TIMES.with(|t| {
                let mut v = t.get();
                v.nanos[class.index()] += ns;
                t.set(v);
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_scopes_accumulate_nothing() {
        disable();
        take();
        drop(scope(OpClass::ConvDense));
        assert_eq!(take(), OpTimes::default());
    }

    #[test]
    fn timed_counts_its_own_calls_and_restores_the_threads_state() {
        enable();
        let ms = Duration::from_millis(1);
        let (r, t) = timed(|| {
            let _s = scope(OpClass::Relu);
            std::thread::sleep(ms);
            7
        });
        assert_eq!(r, 7);
        assert!(t.get(OpClass::Relu) >= ms);
        assert_eq!(take(), OpTimes::default());
        disable();
        let (_, t) = timed(|| {
            let _s = scope(OpClass::Pool);
            std::thread::sleep(ms);
        });
        assert!(t.get(OpClass::Pool) >= ms);
        assert!(!is_enabled());
        add(t);
        assert_eq!(take(), t);
    }

    #[test]
    fn nested_scopes_count_once_in_the_outer_class() {
        enable();
        {
            let _outer = scope(OpClass::Linear);
            let _inner = scope(OpClass::Relu);
            std::thread::sleep(Duration::from_millis(2));
        }
        let t = disable();
        assert!(t.get(OpClass::Linear) >= Duration::from_millis(2));
        assert_eq!(t.get(OpClass::Relu), Duration::ZERO);
    }
}
