//! Every command's `--help` shows an example, and every example parses:
//! the examples cannot drift from the flags they use.

use clap::{CommandFactory, Parser};
use csnas::cli::Cli;

/// `(command path, example lines)` for every command and sub-command.
fn examples() -> Vec<(String, Vec<String>)> {
    fn walk(cmd: &clap::Command, path: &str, out: &mut Vec<(String, Vec<String>)>) {
        for sub in cmd.get_subcommands() {
            let name = format!("{path} {}", sub.get_name());
            if sub.has_subcommands() {
                walk(sub, &name, out);
                continue;
            }
            let text = sub.clone().render_long_help().to_string();
            let lines: Vec<String> = text
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("csnas "))
                .map(str::to_owned)
                .collect();
            out.push((name, lines));
        }
    }
    let mut out = Vec::new();
    walk(&Cli::command(), "csnas", &mut out);
    out
}

#[test]
fn every_command_has_an_example_that_parses() {
    let all = examples();
    assert!(all.len() >= 14, "{all:?}");
    let mut problems = Vec::new();
    for (name, lines) in all {
        if name.ends_with(" help") {
            continue;
        }
        if lines.is_empty() {
            problems.push(format!("{name}: no example in its help"));
        }
        for line in lines {
            let argv: Vec<&str> = line.split_whitespace().take_while(|w| *w != ">").collect();
            if let Err(e) = Cli::try_parse_from(&argv) {
                problems.push(format!("{name}: example `{line}` does not parse: {e}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_option_shows_its_default_or_says_why_it_has_none() {
    fn walk(cmd: &clap::Command, path: &str, problems: &mut Vec<String>) {
        for sub in cmd.get_subcommands() {
            let name = format!("{path} {}", sub.get_name());
            walk(sub, &name, problems);
            for arg in sub.get_arguments() {
                let id = arg.get_id().as_str();
                if ["help", "version"].contains(&id) || arg.is_positional() {
                    continue;
                }
                let takes_value = arg.get_action().takes_values();
                let help = arg
                    .get_long_help()
                    .or(arg.get_help())
                    .map(|h| h.to_string())
                    .unwrap_or_default();
                if help.is_empty() {
                    problems.push(format!("{name} --{id}: no help text"));
                }
                let says_default = help.contains("default") || help.contains("Default");
                if takes_value
                    && arg.get_default_values().is_empty()
                    && !arg.is_required_set()
                    && !says_default
                {
                    problems.push(format!("{name} --{id}: no default shown: {help}"));
                }
            }
        }
    }
    let mut problems = Vec::new();
    walk(&Cli::command(), "csnas", &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn search_print_config_round_trips_as_a_config_file() {
    let run = |extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_csnas"))
            .args([
                "search",
                "--out",
                "unused-log",
                "--print-config",
                "--trials",
                "7",
            ])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let printed = run(&[]);
    assert!(
        printed.contains("\nnodes = 4\n") && printed.contains("\ntrials = 7\n"),
        "{printed}"
    );
    let file = std::env::temp_dir().join(format!("csnas-print-config-{}.cfg", std::process::id()));
    std::fs::write(&file, &printed).unwrap();
    assert_eq!(run(&["--config", file.to_str().unwrap()]), printed);
    std::fs::remove_file(&file).unwrap();
    assert!(
        !std::path::Path::new("unused-log").exists(),
        "--print-config searched"
    );
}
