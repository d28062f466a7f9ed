//! Documented upper bounds on every size a user or a file can set.
//!
//! Why: a size read from a flag, a config file, a log's config record, a
//! checkpoint's metadata or an image header used to go straight into an
//! allocation or a loop, so `--classes 18446744073709551615` panicked,
//! `--channels 4000000000` aborted asking for a terabyte, a config with
//! `tpe.n_ei_candidates = 4294967296` hung `audit`, and a PNG header claiming
//! 65536×1048576 asked for 512 GiB. Every such value is checked here first,
//! before anything is allocated, and refused with one line that names the
//! flag, setting or file it came from (exit 2).
//!
//! The bounds are generous: each is far above what the DARTS and CSNAS
//! protocols use (shown beside it), and low enough that a network or a batch
//! within all of them can be built on a workstation. Where a product of sizes
//! matters more than any one size (a network's parameter count), the product
//! is bounded too, from the shapes alone ([`parameter_bound`]).

use crate::data::batch::Portion;
use crate::error::Result;
use crate::genotype::{Cell, Genotype, Op};
use crate::invalid;
use crate::model::{NetworkConfig, NetworkKind};
use crate::search::config::{SearchConfig, Strategy};

/// A closed range of allowed values for one size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    /// What the value counts, for the message (`"initial channels"`).
    pub what: &'static str,
    pub min: usize,
    pub max: usize,
}

impl Bound {
    /// `value` if it lies within the bound; otherwise an error naming
    /// `label` — a flag (`--classes`), a setting (`subset.count`) or a file
    /// and key (`m.safetensors: metadata 'classes'`).
    pub fn check(&self, label: &str, value: usize) -> Result<usize> {
        self.check_u64(label, value as u64).map(|_| value)
    }

    /// [`Bound::check`] for values that arrive as `u64` (headers, CBOR).
    pub fn check_u64(&self, label: &str, value: u64) -> Result<u64> {
        if value < self.min as u64 {
            return Err(invalid!(
                "{}: must be at least {} ({})",
                labelled(label, value),
                self.min,
                self.what
            ));
        }
        if value > self.max as u64 {
            return Err(invalid!(
                "{}: must be at most {} ({}; csnas's limit)",
                labelled(label, value),
                self.max,
                self.what
            ));
        }
        Ok(value)
    }
}

/// `--flag V`, `key = V` or `file: metadata 'key' = V`.
fn labelled(label: &str, value: u64) -> String {
    if label.starts_with("--") {
        format!("{label} {value}")
    } else {
        format!("{label} = {value}")
    }
}

const fn bound(what: &'static str, min: usize, max: usize) -> Bound {
    Bound { what, min, max }
}

/// Initial channels `C` (DARTS: 16 in search, 36 on CIFAR, 48 on ImageNet).
pub const CHANNELS: Bound = bound("initial channels C", 2, 1024);
/// Cells (DARTS: 8 in search, 20 on CIFAR, 14 on ImageNet).
pub const LAYERS: Bound = bound("number of cells", 1, 256);
/// Classifier outputs (ImageNet-21k has 21,841).
pub const CLASSES: Bound = bound("number of classes", 1, 100_000);
/// Input image channels (1 grey, 3 RGB, 4 RGBA).
pub const IN_CHANNELS: Bound = bound("input image channels", 1, 64);
/// Input height = width in pixels (CIFAR 32, ImageNet 224).
pub const IMAGE_SIZE: Bound = bound("image side in pixels", 1, 2048);
/// Intermediate nodes of a cell (DARTS 4, the CSNAS authors 5).
pub const NODES: Bound = bound("intermediate nodes per cell", 1, 16);
/// Training epochs (DARTS evaluation: 600).
pub const EPOCHS: Bound = bound("epochs", 1, 100_000);
/// Images per batch (DARTS: 96 to 256).
pub const BATCH_SIZE: Bound = bound("images per batch", 1, 65_536);
/// Trials of a search (the CSNAS authors: 120 to 220).
pub const TRIALS: Bound = bound("trials", 1, 1_000_000);
/// TPE candidates per proposal (hyperopt: 24; the authors' unused setting: 20,000).
pub const TPE_CANDIDATES: Bound = bound("TPE candidates per proposal", 1, 100_000);
/// TPE counts measured in trials (start-up jobs, gamma cap, forgetting).
pub const TPE_TRIALS: Bound = bound("a count of trials", 0, 1_000_000);
/// Projection-head widths (SimCLR: 128 to 2048).
pub const HEAD_WIDTH: Bound = bound("projection head width", 1, 65_536);
/// Images drawn from a data set (subset, hold-out, test part).
pub const SAMPLES: Bound = bound("number of images", 1, 100_000_000);
/// Side of a decoded image file, before resizing (16384 = 2^14).
pub const DECODED_SIDE: Bound = bound("decoded image side in pixels", 1, 16_384);
/// Pixels of one decoded image file (64 Mpx: a 8192×8192 photograph).
pub const DECODED_PIXELS: u64 = 1 << 26;
/// Parameters of a network, bounded from its shapes ([`parameter_bound`]):
/// 2^28 floats are 1 GiB, 3 GiB with gradients and momentum. DARTS_V2 at
/// C=36, 20 layers has 3.3 M (bound: about 6 M).
pub const PARAMETERS: u64 = 1 << 28;
/// Floats of one input batch (batch × channels × side²): 2^30 floats, 4 GiB.
pub const BATCH_FLOATS: u64 = 1 << 30;

/// How to name each field of a [`NetworkConfig`] in a message: given
/// `"channels"`, `"layers"`, `"classes"`, `"in_channels"` or `"image_size"`,
/// the label the user knows it by.
pub type Namer<'a> = &'a dyn Fn(&str) -> String;

/// Names fields by the command-line flags (`--in-channels`).
pub fn flag_names(field: &str) -> String {
    format!("--{}", field.replace('_', "-"))
}

/// Names fields as a search config file does (`network.channels`).
pub fn config_names(field: &str) -> String {
    format!("network.{field}")
}

/// Checks each size of `config` against its bound, then the network's
/// parameter count, computed from shapes ([`parameter_bound`]) when a
/// genotype is given. Allocates nothing.
pub fn check_network(
    config: &NetworkConfig,
    genotype: Option<&Genotype>,
    kind: NetworkKind,
    name: Namer<'_>,
) -> Result<()> {
    CHANNELS.check(&name("channels"), config.channels)?;
    LAYERS.check(&name("layers"), config.layers)?;
    CLASSES.check(&name("classes"), config.classes)?;
    IN_CHANNELS.check(&name("in_channels"), config.in_channels)?;
    IMAGE_SIZE.check(&name("image_size"), config.image_size)?;
    if let Some(g) = genotype {
        NODES.check("genotype: nodes of the normal cell", g.normal.nodes())?;
        NODES.check("genotype: nodes of the reduction cell", g.reduce.nodes())?;
        if let NetworkKind::Search(h) = kind {
            HEAD_WIDTH.check("head.out_dim", h.out_dim)?;
            if let Some(hidden) = h.hidden {
                HEAD_WIDTH.check("head.hidden", hidden)?;
            }
        }
        let p = parameter_bound(g, config, kind);
        if p > PARAMETERS {
            return Err(invalid!(
                "{} {}, {} {}: the network would have up to {p} parameters, more than \
                 csnas's limit of {PARAMETERS} (lower the channels or the layers)",
                name("channels"),
                config.channels,
                name("layers"),
                config.layers
            ));
        }
    }
    Ok(())
}

/// Checks that a batch of `batch` images of `channels × side²` fits
/// [`BATCH_FLOATS`]; `label` names the batch-size setting.
pub fn check_batch(label: &str, batch: usize, channels: usize, side: usize) -> Result<()> {
    BATCH_SIZE.check(label, batch)?;
    let floats = (batch as u128) * (channels as u128) * (side as u128) * (side as u128);
    if floats > BATCH_FLOATS as u128 {
        return Err(invalid!(
            "{}: a batch of {batch} images of {channels}×{side}×{side} is {floats} floats, \
             more than csnas's limit of {BATCH_FLOATS}",
            labelled(label, batch as u64)
        ));
    }
    Ok(())
}

/// An upper bound on the parameter count of the network `genotype` and
/// `config` describe, from the shapes alone (nothing is built), in
/// saturating arithmetic so that any input gives an answer. Each cell is
/// counted at its own width with every input taken as wide as the widest
/// cell output (the most a preprocessing input can be); the stem, the
/// classifier and the auxiliary head (evaluation network) or the projection
/// head (search network) exactly.
pub fn parameter_bound(genotype: &Genotype, config: &NetworkConfig, kind: NetworkKind) -> u64 {
    let c = config.channels as u128;
    let layers = config.layers;
    let stem = (config.in_channels as u128) * 3 * c * 9 + 6 * c;
    let mut total = stem;
    let mut width = c;
    let mut last_out = 3 * c;
    let concat = |cell: &Cell| cell.concat.len() as u128;
    let widest = concat(&genotype.normal)
        .max(concat(&genotype.reduce))
        .max(3);
    for i in 0..layers.min(LAYERS.max + 1) {
        let reduction = i == layers / 3 || i == 2 * layers / 3;
        if reduction {
            width *= 2;
        }
        let cell = if reduction {
            &genotype.reduce
        } else {
            &genotype.normal
        };
        let widest_input = widest * width;
        total += 2 * (widest_input * width + 2 * width);
        total += cell_ops(cell, width);
        last_out = cell.concat.len() as u128 * width;
    }
    let classes = config.classes as u128;
    match kind {
        NetworkKind::Eval => {
            total += last_out * classes + classes;
            if config.auxiliary {
                total += last_out * 128 + 256 + 128 * 768 * 4 + 2 * 768 + 768 * classes + classes;
            }
        }
        NetworkKind::Search(h) => {
            let out = h.out_dim as u128;
            let hidden = h.hidden.map_or(last_out, |w| w as u128);
            total += last_out * hidden + hidden + hidden * out + out;
        }
    }
    total.min(u64::MAX as u128) as u64
}

/// Parameters of a cell's edge ops at width `c` (exact for each op; a
/// skip connection is counted as the factorized reduction it becomes in a
/// reduction cell).
fn cell_ops(cell: &Cell, c: u128) -> u128 {
    cell.edges
        .iter()
        .map(|&(op, _)| match op {
            Op::None | Op::MaxPool3x3 | Op::AvgPool3x3 => 0,
            Op::SkipConnect => c * c + 2 * c,
            Op::SepConv3x3 => 2 * (9 * c + c * c + 2 * c),
            Op::SepConv5x5 => 2 * (25 * c + c * c + 2 * c),
            Op::SepConv7x7 => 2 * (49 * c + c * c + 2 * c),
            Op::DilConv3x3 => 9 * c + c * c + 2 * c,
            Op::DilConv5x5 => 25 * c + c * c + 2 * c,
            Op::Conv7x1_1x7 => 14 * c * c + 2 * c,
        })
        .sum()
}

/// Checks every size of a search config against its bound, naming the
/// config key (`nodes`, `tpe.n_ei_candidates`, `subset.count`): called
/// when a config file or a log's config record is read, before a search,
/// an audit or a replay allocates anything from it.
pub fn check_search(config: &SearchConfig) -> Result<()> {
    NODES.check("nodes", config.space.nodes)?;
    TRIALS.check("trials", config.trials)?;
    let spec = &config.spec;
    EPOCHS.check("epochs", spec.epochs)?;
    let net = &spec.network;
    check_network(net, None, NetworkKind::Search(spec.head), &config_names)?;
    check_batch(
        "batch_size",
        spec.batch_size,
        net.in_channels,
        net.image_size,
    )?;
    HEAD_WIDTH.check("head.out_dim", spec.head.out_dim)?;
    if let Some(h) = spec.head.hidden {
        HEAD_WIDTH.check("head.hidden", h)?;
    }
    if let Portion::Count(k) = config.subset {
        SAMPLES.check("subset.count", k)?;
    }
    if let Some(k) = config.holdout {
        SAMPLES.check("objective.holdout", k)?;
    }
    if let Strategy::Tpe(t) = &config.strategy {
        TPE_CANDIDATES.check("tpe.n_ei_candidates", t.n_ei_candidates)?;
        TPE_TRIALS.check("tpe.n_startup_jobs", t.n_startup_jobs)?;
        TPE_TRIALS.check("tpe.gamma_cap", t.gamma_cap)?;
        TPE_TRIALS.check("tpe.linear_forgetting", t.linear_forgetting)?;
    }
    Ok(())
}

/// `text` with control characters and other unprintable characters escaped
/// (`\u{1b}`), so a message quoting a file's content cannot move the cursor,
/// clear the screen or split one error into several lines.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if ch.is_control() {
            out.extend(ch.escape_default());
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;
