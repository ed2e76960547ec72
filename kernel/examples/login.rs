//! Log a profile in to a site from the command line.
//!
//! ```text
//! cargo run -p kernel --example login -- --domain DOMAIN --profile NAME \
//!     [--value FIELD=VALUE]... [--credential NAME] [--totp-secret BASE32] \
//!     [--mfa TYPE] [--sso PROVIDER] [--legacy]
//! ```
//!
//! With `KERNEL_API_KEY` it talks to `KERNEL_BASE_URL` (default: the real
//! API); without it, to an embedded fake Kernel. A needed field without
//! `--value` is asked on stderr as `FIELD_NAME (FIELD_TYPE): ` and read from
//! stdin; so is an MFA choice without `--mfa`. Each state transition is one
//! line on stderr. On success the final auth connection (with `--legacy`, the
//! invocation) is printed as JSON on stdout and the exit code is 0; on
//! failure `error: CODE: MESSAGE` goes to stderr and the exit code is 1.
//! Usage errors exit with 2.

mod common;

use kernel::auth::{
    legacy::LegacyFlow, Answer, CredentialAnswers, FlowState, InputRequest, LoginHandler, Outcome,
};
use kernel::types;
use std::io::{BufRead, Write};
use std::process::ExitCode;

const USAGE: &str =
    "usage: login --domain DOMAIN --profile NAME [--value FIELD=VALUE]... [--credential NAME] \
[--totp-secret BASE32] [--mfa TYPE] [--sso PROVIDER] [--legacy]";

#[derive(Debug, Default)]
struct Args {
    domain: String,
    profile: String,
    values: Vec<(String, String)>,
    credential: Option<String>,
    totp_secret: Option<String>,
    mfa: Option<String>,
    sso: Option<String>,
    legacy: bool,
}

fn parse(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args::default();
    while let Some(flag) = argv.next() {
        let mut value = |name: &str| argv.next().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "--domain" => args.domain = value("--domain")?,
            "--profile" => args.profile = value("--profile")?,
            "--value" => {
                let pair = value("--value")?;
                let (field, v) = pair
                    .split_once('=')
                    .ok_or_else(|| format!("--value expects FIELD=VALUE, got {pair:?}"))?;
                args.values.push((field.to_string(), v.to_string()));
            }
            "--credential" => args.credential = Some(value("--credential")?),
            "--totp-secret" => args.totp_secret = Some(value("--totp-secret")?),
            "--mfa" => args.mfa = Some(value("--mfa")?),
            "--sso" => args.sso = Some(value("--sso")?),
            "--legacy" => args.legacy = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if args.domain.is_empty() || args.profile.is_empty() {
        return Err("--domain and --profile are required".into());
    }
    Ok(args)
}

/// Reads one line from stdin after a prompt on stderr.
fn ask(prompt: &str) -> kernel::Result<String> {
    eprint!("{prompt}");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    if line.is_empty() {
        return Err(kernel::Error::InvalidRequest(format!(
            "no answer on stdin for {:?}",
            prompt.trim_end()
        )));
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Answers from the command line and prompts, and reports every transition.
struct Cli {
    answers: CredentialAnswers,
}

impl LoginHandler for Cli {
    async fn on_input(&mut self, request: &InputRequest) -> kernel::Result<Answer> {
        if let Some(error) = &request.website_error {
            eprintln!("website says: {error}");
        }
        self.answers.on_input(request).await
    }

    async fn on_external_action(
        &mut self,
        message: Option<&str>,
        _: &InputRequest,
    ) -> kernel::Result<Option<Answer>> {
        eprintln!(
            "waiting: {}",
            message.unwrap_or("complete the action outside the browser")
        );
        Ok(None)
    }

    async fn on_state(&mut self, state: &FlowState) {
        eprintln!("state: {}", state.name());
    }
}

fn handler(args: &Args, kernel: &kernel::Kernel) -> kernel::Result<Cli> {
    let mut answers = CredentialAnswers::new()
        .values(args.values.iter().cloned())
        .on_missing(|field: &types::DiscoveredField| {
            ask(&format!("{} ({}): ", field.name, field.type_))
        })
        .on_mfa_choice(|options: &Vec<types::MfaOption>| {
            let types: Vec<&str> = options.iter().map(|o| o.type_.as_str()).collect();
            ask(&format!("mfa ({}): ", types.join(", ")))
        });
    if let Some(secret) = &args.totp_secret {
        answers = answers.totp_secret(secret)?;
    } else if let Some(credential) = &args.credential {
        answers = answers.totp_from_credential(kernel, credential);
    }
    if let Some(mfa) = &args.mfa {
        answers = answers.mfa(mfa);
    }
    if let Some(sso) = &args.sso {
        answers = answers.sso(sso);
    }
    Ok(Cli { answers })
}

fn report<T: serde::Serialize + std::fmt::Debug>(outcome: Outcome<T>) -> ExitCode {
    match outcome {
        Outcome::Success(done) => match serde_json::to_string_pretty(&done) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => fail("internal", &e.to_string()),
        },
        Outcome::Failed(failure) => fail(
            failure.code.as_deref().unwrap_or("login_failed"),
            failure.message.as_deref().unwrap_or("the login failed"),
        ),
        Outcome::Expired => fail("expired", "the login flow expired"),
        Outcome::Canceled => fail("canceled", "the login flow was canceled"),
        other => fail("unknown", &format!("the login ended as {other:?}")),
    }
}

fn fail(code: &str, message: &str) -> ExitCode {
    eprintln!("error: {code}: {message}");
    ExitCode::from(1)
}

fn fail_with(e: &kernel::Error) -> ExitCode {
    use kernel::Error as E;
    let (code, message) = match e {
        E::Api(api) => (
            api.code
                .clone()
                .unwrap_or_else(|| api.status.as_u16().to_string()),
            api.message.clone(),
        ),
        E::InvalidRequest(why) => ("invalid_request".into(), why.clone()),
        E::Timeout(why) => ("timeout".into(), why.clone()),
        E::Config(why) => ("config".into(), why.clone()),
        E::Connection(_) => ("connection".into(), e.to_string()),
        other => ("error".into(), other.to_string()),
    };
    fail(&code, &message)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(why) => {
            if !why.is_empty() {
                eprintln!("error: {why}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let connected = match common::connect().await {
        Ok(connected) => connected,
        Err(e) => return fail("config", &e.to_string()),
    };
    if let Some(fake) = &connected.fake {
        eprintln!(
            "no KERNEL_API_KEY: using the embedded fake Kernel at {}",
            fake.base_url()
        );
    }
    let kernel = &connected.kernel;
    let mut cli = match handler(&args, kernel) {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if args.legacy {
        let flow = match LegacyFlow::start(kernel, &args.domain, &args.profile, None).await {
            Ok(flow) => flow,
            Err(e) => return fail_with(&e),
        };
        return match flow.run(&mut cli).await {
            Ok(outcome) => report(outcome),
            Err(e) => fail_with(&e),
        };
    }
    let mut login =
        kernel
            .auth()
            .connections()
            .ensure_logged_in(&args.domain, &args.profile, &mut cli);
    if let Some(name) = &args.credential {
        login = login.credential(types::CredentialReference::builder().name(name.clone()));
    }
    match login.send().await {
        Ok(outcome) => report(outcome),
        Err(e) => fail_with(&e),
    }
}
