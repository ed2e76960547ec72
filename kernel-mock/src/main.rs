//! `kernel-mock`: serves the fake Kernel API until Ctrl-C.
//!
//! ```text
//! cargo run -p kernel-mock -- --port 4020 --api-key mock-api-key
//! ```

use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use kernel_mock::{KernelMock, DEFAULT_API_KEY};

const USAGE: &str = "\
kernel-mock: a stateful in-memory fake of the Kernel API

USAGE:
    kernel-mock [--port PORT] [--host ADDR] [--api-key KEY] [--step-delay-ms MS]
                [--heartbeat-ms MS] [--flow-ttl-secs SECS] [--chromium PATH]

OPTIONS:
    --port PORT            Port to listen on (default 4020; 0 = any free port)
    --host ADDR            Address to listen on (default 127.0.0.1)
    --api-key KEY          Accepted bearer token (default mock-api-key)
    --step-delay-ms MS     Delay between login-flow steps (default 200)
    --heartbeat-ms MS      SSE heartbeat period (default 15000)
    --flow-ttl-secs SECS   Login flow lifetime (default 300)
    --chromium PATH        Back each browser with a headless Chromium run from
                           PATH (e.g. /usr/bin/chromium); cdp_ws_url reaches it
    -h, --help             Print this help

Point a client at the printed base URL with KERNEL_API_KEY set to the key.";

fn parse_args() -> Result<Option<kernel_mock::KernelMockBuilder>, String> {
    let mut builder = KernelMock::builder().port(4020);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        let number = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: {v:?} is not a number"))
        };
        builder = match flag.as_str() {
            "--port" => builder.port(
                value()?
                    .parse()
                    .map_err(|_| format!("{flag}: not a port"))?,
            ),
            "--host" => builder.host(
                value()?
                    .parse::<IpAddr>()
                    .map_err(|_| format!("{flag}: not an IP address"))?,
            ),
            "--api-key" => builder.api_key(value()?),
            "--step-delay-ms" => builder.step_delay(Duration::from_millis(number(value()?)?)),
            "--heartbeat-ms" => {
                builder.heartbeat_interval(Duration::from_millis(number(value()?)?))
            }
            "--flow-ttl-secs" => builder.flow_ttl(Duration::from_secs(number(value()?)?)),
            "--chromium" => {
                let path = value()?;
                // Said now, not at the first browser's 500.
                if !std::path::Path::new(&path).is_file() {
                    return Err(format!(
                        "{flag}: {path:?} is not a file (apt-get install chromium)"
                    ));
                }
                builder.chromium(path)
            }
            other => return Err(format!("unknown argument {other:?}")),
        };
    }
    Ok(Some(builder))
}

#[tokio::main]
async fn main() -> ExitCode {
    let builder = match parse_args() {
        Ok(Some(builder)) => builder,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("kernel-mock: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mock = match builder.start().await {
        Ok(mock) => mock,
        Err(e) => {
            eprintln!("kernel-mock: cannot listen: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", mock.base_url());
    let key = mock.api_key();
    let note = if key == DEFAULT_API_KEY {
        " (default)"
    } else {
        ""
    };
    eprintln!(
        "kernel-mock listening on {} — API key: {key}{note}",
        mock.base_url()
    );
    eprintln!("sites: {}", mock.sites().join(", "));
    eprintln!("press Ctrl-C to stop");
    let _ = tokio::signal::ctrl_c().await;
    mock.shutdown().await;
    ExitCode::SUCCESS
}
