//! The `csnas` binary: parse arguments, run, print the error and exit with its code.

fn main() {
    std::process::exit(csnas::cli::main());
}
