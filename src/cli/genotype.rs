//! `csnas genotype`: parse, print, hash a genotype and count its parameters.
//!
//! Why here: the genotype is the unit everything else records (DESIGN 3.3);
//! this command lets a user check a pasted DARTS genotype, see its canonical
//! hash as the ledger will record it, and compare its parameter count with the
//! published figure, before spending any compute on it.

use std::io::Write;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::error::Result;
use crate::genotype::{BUILTIN_NAMES, Genotype};
use crate::invalid;
use crate::limits;
use crate::model::{NetworkConfig, NetworkKind, count_parameters};

/// Arguments of `csnas genotype`.
#[derive(Debug, Args)]
pub struct GenotypeArgs {
    #[command(subcommand)]
    pub command: GenotypeCommand,
}

/// The `csnas genotype` sub-commands.
#[derive(Debug, Subcommand)]
pub enum GenotypeCommand {
    /// Print a genotype in DARTS text form, its hash, and the parameter count of
    /// the DARTS evaluation network (NetworkCIFAR) built from it.
    #[command(
        after_help = "Example:\n  csnas genotype show DARTS_V2 --channels 36 --layers 20 --auxiliary"
    )]
    Show(ShowArgs),
    /// List the built-in genotype names.
    #[command(after_help = "Example:\n  csnas genotype list")]
    List,
    /// Draw the normal and reduction cells as SVG pictures (`normal.svg`,
    /// `reduce.svg`), as DARTS draws them with graphviz.
    #[command(after_help = "Example:\n  csnas genotype draw CNAS_ISIC_s5 --out docs/cells")]
    Draw(DrawArgs),
}

/// Arguments of `csnas genotype draw`.
#[derive(Debug, Args)]
pub struct DrawArgs {
    /// A built-in name or the DARTS text form.
    #[arg(value_name = "NAME|TEXT")]
    pub genotype: String,
    /// Folder the pictures are written to (created if missing).
    #[arg(long, value_name = "FOLDER", default_value = ".")]
    pub out: std::path::PathBuf,
}

/// Writes `normal.svg` and `reduce.svg` of `args.genotype` into
/// `args.out`; returns their paths, one a line.
pub fn draw(args: &DrawArgs) -> Result<String> {
    let genotype = Genotype::parse_or_builtin(&args.genotype)?;
    let name = if args.genotype.contains('(') {
        format!("genotype {}", &genotype.hash().to_hex()[..12])
    } else {
        args.genotype.trim().to_string()
    };
    std::fs::create_dir_all(&args.out).map_err(|e| crate::Error::io(&args.out, e))?;
    let mut text = String::new();
    for (file, cell, what) in [
        ("normal.svg", &genotype.normal, "normal cell"),
        ("reduce.svg", &genotype.reduce, "reduction cell"),
    ] {
        let path = args.out.join(file);
        let svg = crate::genotype::draw::cell_svg(cell, &format!("{name}: {what}"));
        std::fs::write(&path, svg).map_err(|e| crate::Error::io(&path, e))?;
        text.push_str(&format!("{}\n", path.display()));
    }
    Ok(text)
}

/// Arguments of `csnas genotype show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A built-in name (DARTS_V1, DARTS_V2, NASNet, AmoebaNet) or the DARTS text
    /// form, e.g. "Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], ...)".
    #[arg(value_name = "NAME|TEXT")]
    pub genotype: String,
    /// Initial channels C of the network (even: reduction cells split channels in two).
    #[arg(long, default_value_t = 36)]
    pub channels: usize,
    /// Number of cells; reduction cells sit at layers/3 and 2·layers/3.
    #[arg(long, default_value_t = 20)]
    pub layers: usize,
    /// Count the auxiliary head's parameters too (DARTS leaves them out).
    #[arg(long)]
    pub auxiliary: bool,
    /// Number of classes of the classifier.
    #[arg(long, default_value_t = 10)]
    pub classes: usize,
    /// Input image channels (3 for CIFAR-10, 1 for digits).
    #[arg(long, default_value_t = 3)]
    pub in_channels: usize,
    /// Input image height = width, in pixels.
    #[arg(long, default_value_t = 32)]
    pub image_size: usize,
    #[command(flatten)]
    pub export: super::export::ExportArgs,
}

impl ShowArgs {
    /// The network settings, checked; each error names the flag to fix.
    pub fn network_config(&self) -> Result<NetworkConfig> {
        if self.channels == 0 || !self.channels.is_multiple_of(2) {
            return Err(invalid!(
                "--channels {}: must be a positive even number (FactorizedReduce splits \
                 channels into two halves)",
                self.channels
            ));
        }
        for (flag, value) in [
            ("--layers", self.layers),
            ("--classes", self.classes),
            ("--in-channels", self.in_channels),
            ("--image-size", self.image_size),
        ] {
            if value == 0 {
                return Err(invalid!("{flag} 0: must be at least 1"));
            }
        }
        let config = NetworkConfig {
            channels: self.channels,
            layers: self.layers,
            classes: self.classes,
            auxiliary: self.auxiliary,
            in_channels: self.in_channels,
            image_size: self.image_size,
        };
        limits::check_network(&config, None, NetworkKind::Eval, &limits::flag_names)?;
        Ok(config)
    }
}

/// Runs `csnas genotype ...`, writing the report to `out`.
pub fn run(args: GenotypeArgs, out: &mut dyn Write) -> Result<()> {
    let text = match args.command {
        GenotypeCommand::List => list_report(),
        GenotypeCommand::Draw(d) => draw(&d)?,
        GenotypeCommand::Show(show) => {
            let config = show.network_config()?;
            let genotype = Genotype::parse_or_builtin(&show.genotype)?;
            let kind = NetworkKind::Eval;
            limits::check_network(&config, Some(&genotype), kind, &limits::flag_names)?;
            let parameters = count_parameters(&genotype, &config, show.auxiliary)?;
            if show.export.json {
                super::export::json_text(&show_json(&genotype, &config, parameters))
            } else if show.export.csv {
                show_csv(&genotype, &config, parameters)
            } else {
                show_report(&genotype, &config, show.auxiliary)?
            }
        }
    };
    super::write_out(out, &text)
}

/// The built-in names, one a line.
pub fn list_report() -> String {
    BUILTIN_NAMES
        .iter()
        .map(|name| format!("{name}\n"))
        .collect()
}

/// The genotype's text form and hash lines (everything `show` prints but the
/// parameter count):
///
/// ```text
/// Genotype(normal=[...], normal_concat=[...], reduce=[...], reduce_concat=[...])
/// hash: <blake3 hex of the canonical bytes>
/// ```
pub fn describe(genotype: &Genotype) -> String {
    format!(
        "{}\nhash: {}\n",
        genotype.to_darts_string(),
        genotype.hash().to_hex()
    )
}

/// The full `show` report: [`describe`] followed by `parameters: N`, counted
/// as DARTS counts them (parameters only, auxiliary head only if asked).
pub fn show_report(
    genotype: &Genotype,
    config: &NetworkConfig,
    include_auxiliary: bool,
) -> Result<String> {
    let parameters = count_parameters(genotype, config, include_auxiliary)?;
    Ok(format!("{}parameters: {parameters}\n", describe(genotype)))
}

/// `genotype show --json`: the genotype (text, hash, each cell's edges and
/// concat), the network settings and the parameter count (README, "Export
/// formats").
pub fn show_json(genotype: &Genotype, config: &NetworkConfig, parameters: usize) -> Value {
    let edges = |cell: &crate::genotype::Cell| -> Vec<Value> {
        (cell.edges.iter())
            .map(|(op, input)| json!({ "op": op.name(), "input": input }))
            .collect()
    };
    json!({
        "genotype": genotype.to_darts_string(),
        "hash": genotype.hash().to_hex().to_string(),
        "normal": edges(&genotype.normal),
        "normal_concat": genotype.normal.concat,
        "reduce": edges(&genotype.reduce),
        "reduce_concat": genotype.reduce.concat,
        "channels": config.channels,
        "layers": config.layers,
        "classes": config.classes,
        "in_channels": config.in_channels,
        "image_size": config.image_size,
        "auxiliary": config.auxiliary,
        "parameters": parameters,
    })
}

/// `genotype show --csv`: one row of [`SHOW_CSV`] columns.
pub fn show_csv(genotype: &Genotype, config: &NetworkConfig, parameters: usize) -> String {
    let row = vec![
        genotype.to_darts_string(),
        genotype.hash().to_hex().to_string(),
        config.channels.to_string(),
        config.layers.to_string(),
        config.classes.to_string(),
        config.in_channels.to_string(),
        config.image_size.to_string(),
        config.auxiliary.to_string(),
        parameters.to_string(),
    ];
    super::export::csv(&SHOW_CSV, &[row])
}

/// The columns of `genotype show --csv`.
pub const SHOW_CSV: [&str; 9] = [
    "genotype",
    "hash",
    "channels",
    "layers",
    "classes",
    "in_channels",
    "image_size",
    "auxiliary",
    "parameters",
];

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn show_args(extra: &[&str]) -> ShowArgs {
        let mut argv = vec!["csnas", "genotype", "show", "DARTS_V2"];
        argv.extend_from_slice(extra);
        match crate::cli::Cli::try_parse_from(argv).unwrap().command {
            crate::cli::Command::Genotype(GenotypeArgs {
                command: GenotypeCommand::Show(s),
            }) => s,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn show_defaults_are_the_darts_evaluation_network() {
        let config = show_args(&[]).network_config().unwrap();
        let expected = NetworkConfig {
            channels: 36,
            layers: 20,
            classes: 10,
            auxiliary: false,
            in_channels: 3,
            image_size: 32,
        };
        assert_eq!(config, expected);
        assert!(
            show_args(&["--auxiliary"])
                .network_config()
                .unwrap()
                .auxiliary
        );
    }

    #[test]
    fn odd_or_zero_channels_are_rejected_naming_the_flag() {
        for c in ["7", "0"] {
            let e = show_args(&["--channels", c]).network_config().unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(
                e.to_string()
                    .starts_with(&format!("--channels {c}: must be a positive even"))
            );
        }
        assert!(show_args(&["--channels", "16"]).network_config().is_ok());
    }

    #[test]
    fn zero_layers_classes_or_sizes_are_rejected_naming_the_flag() {
        for flag in ["--layers", "--classes", "--in-channels", "--image-size"] {
            let e = show_args(&[flag, "0"])
                .network_config()
                .unwrap_err()
                .to_string();
            assert_eq!(e, format!("{flag} 0: must be at least 1"));
        }
    }

    #[test]
    fn describe_prints_text_then_hash() {
        let g = crate::genotype::builtin("NASNet").unwrap();
        let text = describe(&g);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(Genotype::parse(lines[0]).unwrap(), g);
        assert_eq!(lines[1], format!("hash: {}", g.hash().to_hex()));
        assert_eq!(lines[1].len(), "hash: ".len() + 64);
    }

    #[test]
    fn list_prints_every_builtin_name_once_per_line() {
        let want: String = BUILTIN_NAMES.iter().map(|n| format!("{n}\n")).collect();
        assert_eq!(list_report(), want);
        assert!(want.starts_with("DARTS_V1\nDARTS_V2\nNASNet\nAmoebaNet\nPC_DARTS_cifar\n"));
    }
}
