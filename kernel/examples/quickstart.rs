//! The quickstart: a real Managed Auth login, then a browser with the
//! logged-in profile.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! Without `KERNEL_API_KEY` it runs against an embedded fake Kernel and a fake
//! site that asks for a password and then a TOTP code. With a key it uses the
//! real API (or `KERNEL_BASE_URL`); point it at your own site with
//! `QUICKSTART_DOMAIN`, `QUICKSTART_USERNAME`, `QUICKSTART_PASSWORD` and
//! `QUICKSTART_TOTP_SECRET`.

mod common;

use kernel::auth::{Answer, InputRequest};
use kernel::prelude::*;
use std::time::{Duration, Instant};

/// Answers from the credential and prints each step as the flow moves.
struct Progress {
    answers: CredentialAnswers,
    started: Instant,
}

impl LoginHandler for Progress {
    async fn on_input(&mut self, request: &InputRequest) -> kernel::Result<Answer> {
        let asked: Vec<&str> = request.fields.iter().map(|f| f.name.as_str()).collect();
        println!("   … the site asks for {asked:?}: answering from the credential");
        self.answers.on_input(request).await
    }

    async fn on_state(&mut self, state: &FlowState) {
        println!(
            "   [{:>4.1}s] {}",
            self.started.elapsed().as_secs_f64(),
            state.name()
        );
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let connected = common::connect().await?;
    match &connected.fake {
        Some(fake) => println!(
            "No KERNEL_API_KEY: using the embedded fake Kernel at {}",
            fake.base_url()
        ),
        None => println!("Using the Kernel API at {}", connected.kernel.base_url()),
    }
    let kernel = connected.kernel;
    let run = std::process::id();
    let domain = env_or("QUICKSTART_DOMAIN", "totp.example");
    let username = env_or("QUICKSTART_USERNAME", kernel_mock::sites::USERNAME);
    let password = env_or("QUICKSTART_PASSWORD", kernel_mock::sites::PASSWORD);
    let totp_secret = env_or("QUICKSTART_TOTP_SECRET", kernel_mock::sites::TOTP_SECRET);
    let profile = format!("quickstart-{run}");

    // 1. A credential with a TOTP secret: Kernel fills the login form and the
    //    one-time code from it.
    let credential_name = format!("quickstart-{run}");
    let credential = kernel
        .credentials()
        .create()
        .name(&credential_name)
        .domain(&domain)
        .values([("username", &username), ("password", &password)])
        .totp_secret(&totp_secret)
        .send()
        .await?;
    println!(
        "1. Created credential {:?} for {} (TOTP secret stored)",
        credential.name, credential.domain
    );

    // 2 + 3. An auth connection for the site, logged in by the state machine:
    //    no polling loop, no input from the person running this.
    println!("2. Logging profile {profile:?} in to {domain}:");
    let mut handler = Progress {
        answers: CredentialAnswers::new()
            .value("username", username)
            .value("password", password)
            .totp_secret(&totp_secret)?,
        started: Instant::now(),
    };
    let outcome = kernel
        .auth()
        .connections()
        .ensure_logged_in(&domain, &profile, &mut handler)
        .credential(types::CredentialReference::builder().name(credential_name.clone()))
        .send()
        .await?;
    let connection = match outcome {
        Outcome::Success(connection) => connection,
        other => return Err(format!("login did not succeed: {other:?}").into()),
    };
    println!(
        "3. Logged in: connection {} is {}",
        connection.id, connection.status
    );

    // 4. A browser with the logged-in profile, telemetry on (all categories).
    let browser = kernel
        .browsers()
        .create()
        .profile(
            types::BrowserProfile::builder().name(profile.parse::<types::BrowserProfileName>()?),
        )
        .telemetry(types::BrowserTelemetryConfig::builder())
        .send()
        .await?;
    println!(
        "4. Created browser {} with profile {profile:?}",
        browser.session_id
    );

    // 5. List browsers through the paginating stream.
    let browsers: Vec<types::Browser> = kernel
        .browsers()
        .list()
        .limit(10)
        .items()
        .try_collect()
        .await?;
    println!("5. Listed {} browser(s) across all pages", browsers.len());

    // 6. Follow a few telemetry events.
    println!("6. Telemetry:");
    let mut telemetry = kernel
        .browsers()
        .telemetry(&browser.session_id)
        .send()
        .await?;
    let mut seen = 0;
    while seen < 3 {
        match tokio::time::timeout(Duration::from_secs(10), telemetry.next()).await {
            Ok(Some(Ok(Telemetry::Event(event)))) => {
                seen += 1;
                println!(
                    "   seq {} {}",
                    event.seq,
                    event.event.tag().unwrap_or_default()
                );
            }
            Ok(Some(Ok(Telemetry::Gap { from, to }))) => {
                println!("   (server skipped seq {from}..={to})")
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => return Err(e.into()),
            Ok(None) => break,
            Err(_) => {
                println!("   (no telemetry within 10 s)");
                break;
            }
        }
    }
    drop(telemetry);

    // 7. Clean up.
    kernel.browsers().delete(&browser.session_id).send().await?;
    kernel.credentials().delete(&credential_name).send().await?;
    println!(
        "7. Deleted browser {} and credential {credential_name:?}. Done.",
        browser.session_id
    );
    Ok(())
}
