//! The `groupgate` command; see `groupgate --help` and [`groupgate_host::cli`].

use std::io::{self, BufReader, BufWriter, Write};

fn main() {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    let status = {
        let mut stdin = BufReader::with_capacity(1 << 16, io::stdin().lock());
        let mut stdout = BufWriter::with_capacity(1 << 16, io::stdout().lock());
        // Not locked for the whole run: `serve` writes its log lines from many threads.
        let mut stderr = io::stderr();
        let status = groupgate_host::cli::run(&args, &mut stdin, &mut stdout, &mut stderr);
        // A failed final flush (a closed pipe) has nothing left to report to.
        let _ = stdout.flush();
        status
    };
    std::process::exit(status);
}
