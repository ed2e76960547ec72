//! Follow a browser's telemetry, resuming across drops.
//!
//! ```text
//! cargo run -p kernel --example telemetry -- BROWSER_ID [--count N]
//! ```
//!
//! Uses `KERNEL_API_KEY` and `KERNEL_BASE_URL` like the client. Prints one
//! line per event on stdout: the `seq`, a space, and the event's `type`. Stops
//! after N events with `--count`, otherwise when the stream ends for good
//! (the browser is gone). Gaps the server leaves are reported on stderr.

use futures::StreamExt;
use kernel::sse::Telemetry;
use std::io::Write;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut browser = None;
    let mut count: Option<u64> = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--count" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => count = Some(n),
                None => return usage("--count needs a number"),
            },
            flag if flag.starts_with('-') => return usage(&format!("unknown argument {flag:?}")),
            id if browser.is_none() => browser = Some(id.to_string()),
            extra => return usage(&format!("unexpected argument {extra:?}")),
        }
    }
    let Some(browser) = browser else {
        return usage("BROWSER_ID is required");
    };
    let kernel = match kernel::Kernel::from_env() {
        Ok(kernel) => kernel,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut events = match kernel.browsers().telemetry(&browser).send().await {
        Ok(events) => events,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let mut printed = 0u64;
    let stdout = std::io::stdout();
    while count.is_none_or(|n| printed < n) {
        match events.next().await {
            Some(Ok(Telemetry::Event(event))) => {
                let kind = event.event.tag().unwrap_or("unknown");
                let mut out = stdout.lock();
                if writeln!(out, "{} {kind}", event.seq)
                    .and_then(|_| out.flush())
                    .is_err()
                {
                    // stdout closed (e.g. piped into `head`): stop quietly.
                    return ExitCode::SUCCESS;
                }
                printed += 1;
            }
            Some(Ok(Telemetry::Gap { from, to })) => {
                eprintln!("gap: the server skipped seq {from}..={to}")
            }
            Some(Ok(Telemetry::Reset { previous, seq })) => {
                eprintln!("reset: the numbering started again at seq {seq} after {previous}")
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
            None => break,
        }
    }
    ExitCode::SUCCESS
}

fn usage(why: &str) -> ExitCode {
    eprintln!("error: {why}\nusage: telemetry BROWSER_ID [--count N]");
    ExitCode::from(2)
}
