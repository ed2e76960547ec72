//! Scripted fake websites that login flows run against.
//!
//! A [`Site`] is a domain plus a list of [`Step`]s (login pages). A login flow
//! on an auth connection whose `domain` is the site's domain walks the steps:
//! every form asks for its [`Field`]s (unless a stored credential fills them),
//! choices ask for an MFA method, SSO provider or account, external actions
//! wait, and failures end the flow with a `ManagedAuthError` code. A flow on a
//! domain without a site fails with `login_form_not_found`.
//!
//! # Default sites
//!
//! Unless [`KernelMockBuilder::without_default_sites`](crate::KernelMockBuilder::without_default_sites)
//! is used, these sites exist. Unless said otherwise the valid username is
//! [`USERNAME`] (`user@example.com`) and the valid password [`PASSWORD`]
//! (`correct-horse`); TOTP codes are RFC 6238 codes of the connection's
//! credential `totp_secret`, or of [`TOTP_SECRET`] (`JBSWY3DPEHPK3PXP`) when
//! the credential has none (see [`crate::totp::code_now`]).
//!
//! | Domain | Pages | Valid input | On wrong input |
//! |---|---|---|---|
//! | `password.example` | `username` + `password` | `user@example.com` / `correct-horse` | `FAILED`, `credentials_invalid` |
//! | `email-first.example` | `email`, then `password` on a second page | `user@example.com`, then `correct-horse` | `website_error`, retry (3 attempts) |
//! | `totp.example` | `username` + `password`, then `totp_code` (type `totp`) | a current TOTP code (±30 s); filled by the mock itself when the credential has a `totp_secret` | `website_error` "Invalid verification code", retry |
//! | `mfa-choice.example` | `username` + `password`, then an MFA choice: `sms`, `totp`, `push` | `sms` → field `sms_code` = [`SMS_CODE`] (`123456`); `totp` → field `totp_code`; `push` → approved by itself | `website_error`, retry |
//! | `sso.example` | SSO buttons `google` / `github` | either provider (submit `sso_provider` or the button's `sso_button_selector`) | — |
//! | `push.example` | `username` + `password`, then `AWAITING_EXTERNAL_ACTION` (push) | approved by itself after 5 step delays | — |
//! | `wrong-password.example` | `username` + `password` | `user@example.com` / `correct-horse` | `website_error` "Incorrect password", retry; the 3rd wrong attempt fails with `max_attempts_reached` |
//! | `account-picker.example` | `email` + `password`, then a sign-in option `personal` / `work` | either option (`sign_in_option_id`) | `website_error`, retry |
//! | `bot.example` | — | — | fails during discovery with `bot_detected` |
//! | `captcha.example` | `username` + `password` (any values) | — | fails after submit with `captcha_blocked` |
//! | `slow.example` | discovery never finishes | — | `EXPIRED` after 3 s (or the mock's `flow_ttl` if shorter) |
//!
//! # Custom sites
//!
//! ```
//! use kernel_mock::{Field, Form, OnWrong, Site, Step, MfaChoice};
//!
//! let site = Site::builder("intranet.test")
//!     .form(
//!         Form::new()
//!             .field(Field::email("email", "Work email").expect("me@corp.test"))
//!             .field(Field::password("password", "Password").expect("hunter2"))
//!             .on_wrong(OnWrong::retry("Wrong email or password")),
//!     )
//!     .step(Step::choose_mfa([
//!         MfaChoice::new("sms", "Text me").then(Step::form(Form::new().field(Field::code("code", "Code").expect("000000")))),
//!         MfaChoice::new("push", "Send a push").then(Step::external_action("Approve on your phone")),
//!     ]))
//!     .build();
//! assert_eq!(site.domain(), "intranet.test");
//! ```

mod fields;
mod steps;

pub(crate) use fields::Expect;
pub use fields::{Field, MfaChoice, SignInChoice, SsoChoice};
pub use steps::{Form, OnWrong, Step};
pub(crate) use steps::{OnWrongKind, StepKind};

use std::time::Duration;

/// The valid username/email of the default sites.
pub const USERNAME: &str = "user@example.com";
/// The valid password of the default sites.
pub const PASSWORD: &str = "correct-horse";
/// The fixed SMS code of `mfa-choice.example`.
pub const SMS_CODE: &str = "123456";
/// The TOTP secret sites check codes against when the connection's credential
/// has no `totp_secret`.
pub const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXP";

/// A scripted fake website: a domain and its login pages.
#[derive(Clone, Debug)]
pub struct Site {
    pub(crate) domain: String,
    pub(crate) steps: Vec<Step>,
    pub(crate) flow_ttl: Option<Duration>,
    pub(crate) totp_secret: String,
    pub(crate) post_login_url: String,
}

impl Site {
    /// Starts a site on `domain` (the auth connection's `domain`).
    pub fn builder(domain: impl Into<String>) -> SiteBuilder {
        let domain = domain.into();
        SiteBuilder {
            site: Site {
                post_login_url: format!("https://{domain}/home"),
                domain,
                steps: Vec::new(),
                flow_ttl: None,
                totp_secret: TOTP_SECRET.to_owned(),
            },
        }
    }

    /// The site's domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The default sites (see the [module documentation](self)).
    pub fn defaults() -> Vec<Site> {
        let login = || {
            Form::new()
                .field(Field::text("username", "Email or username").expect(USERNAME))
                .field(Field::password("password", "Password").expect(PASSWORD))
        };
        let totp_page = || {
            Step::form(
                Form::new()
                    .field(Field::totp("totp_code", "Authentication code"))
                    .on_wrong(OnWrong::retry("Invalid verification code")),
            )
        };
        vec![
            Site::builder("password.example")
                .form(login().on_wrong(OnWrong::fail(
                    "credentials_invalid",
                    "Invalid username or password",
                )))
                .build(),
            Site::builder("email-first.example")
                .form(
                    Form::new()
                        .field(
                            Field::email("email", "Email address")
                                .expect(USERNAME)
                                .placeholder("you@example.com"),
                        )
                        .on_wrong(OnWrong::retry("No account found for that email")),
                )
                .form(
                    Form::new()
                        .field(Field::password("password", "Password").expect(PASSWORD))
                        .on_wrong(OnWrong::retry("Incorrect password")),
                )
                .build(),
            Site::builder("totp.example")
                .form(login().on_wrong(OnWrong::retry("Incorrect username or password")))
                .step(totp_page())
                .build(),
            Site::builder("mfa-choice.example")
                .form(login().on_wrong(OnWrong::retry("Incorrect username or password")))
                .step(Step::choose_mfa([
                    MfaChoice::new("sms", "Text me a code")
                        .target("***-***-0123")
                        .description("We'll send a 6-digit code to your phone")
                        .then(Step::form(
                            Form::new()
                                .field(
                                    Field::code("sms_code", "SMS code")
                                        .expect(SMS_CODE)
                                        .hint("Enter the code sent to ***-***-0123"),
                                )
                                .on_wrong(OnWrong::retry("That code didn't work")),
                        )),
                    MfaChoice::new("totp", "Use your authenticator app").then(totp_page()),
                    MfaChoice::new("push", "Send a push notification").then(Step::external_action(
                        "Approve the sign-in request in the Example app on your phone",
                    )),
                ]))
                .build(),
            Site::builder("sso.example")
                .step(Step::choose_sso([
                    SsoChoice::new("google", "Continue with Google"),
                    SsoChoice::new("github", "Continue with GitHub"),
                ]))
                .build(),
            Site::builder("push.example")
                .form(login().on_wrong(OnWrong::retry("Incorrect username or password")))
                .step(Step::external_action(
                    "Tap 'Yes' on the sign-in prompt on your phone",
                ))
                .build(),
            Site::builder("wrong-password.example")
                .form(login().on_wrong(OnWrong::retry_at_most("Incorrect password", 3)))
                .build(),
            Site::builder("account-picker.example")
                .form(
                    Form::new()
                        .field(Field::email("email", "Email").expect(USERNAME))
                        .field(Field::password("password", "Password").expect(PASSWORD))
                        .on_wrong(OnWrong::retry("Incorrect email or password")),
                )
                .step(Step::choose_sign_in([
                    SignInChoice::new("personal", "Personal account").description(USERNAME),
                    SignInChoice::new("work", "Acme Corp").description("acme-corp workspace"),
                ]))
                .build(),
            Site::builder("bot.example")
                .step(Step::fail(
                    "bot_detected",
                    "The site blocked the automated browser (bot detection)",
                ))
                .build(),
            Site::builder("captcha.example")
                .form(
                    Form::new()
                        .field(Field::text("username", "Username").any())
                        .field(Field::password("password", "Password").any()),
                )
                .step(Step::fail(
                    "captcha_blocked",
                    "A CAPTCHA challenge blocked the login",
                ))
                .build(),
            Site::builder("slow.example")
                .step(Step::hang())
                .flow_ttl(Duration::from_secs(3))
                .build(),
        ]
    }
}

/// Builds a [`Site`].
#[derive(Clone, Debug)]
pub struct SiteBuilder {
    site: Site,
}

impl SiteBuilder {
    /// Appends a step.
    pub fn step(mut self, step: Step) -> Self {
        self.site.steps.push(step);
        self
    }

    /// Appends a form page (shorthand for `step(Step::form(form))`).
    pub fn form(self, form: Form) -> Self {
        self.step(Step::form(form))
    }

    /// Flows on this site expire after `ttl` (or the mock's `flow_ttl` if
    /// shorter).
    pub fn flow_ttl(mut self, ttl: Duration) -> Self {
        self.site.flow_ttl = Some(ttl);
        self
    }

    /// The base32 secret TOTP fields are checked against when the
    /// connection's credential has no `totp_secret` (default [`TOTP_SECRET`]).
    pub fn totp_secret(mut self, secret: impl Into<String>) -> Self {
        self.site.totp_secret = secret.into();
        self
    }

    /// The `post_login_url` reported on success (default `https://<domain>/home`).
    pub fn post_login_url(mut self, url: impl Into<String>) -> Self {
        self.site.post_login_url = url.into();
        self
    }

    /// The site. A site without steps logs in right after discovery.
    pub fn build(self) -> Site {
        self.site
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_sites_have_distinct_domains() {
        let sites = Site::defaults();
        let mut domains: Vec<&str> = sites.iter().map(Site::domain).collect();
        domains.sort_unstable();
        let before = domains.len();
        domains.dedup();
        assert_eq!(before, domains.len());
        assert!(domains.contains(&"password.example"));
    }

    #[test]
    fn one_time_fields() {
        assert!(Field::totp("t", "T").one_time);
        assert!(Field::code("c", "C").one_time);
        assert!(!Field::password("p", "P").one_time);
        assert!(matches!(Field::totp("t", "T").expect, Expect::Totp));
    }
}
